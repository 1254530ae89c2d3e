/* report_text.c: the terminal report: a lab x tool matrix, then a TSan-like block per finding. */
#include <string.h>

#include "stages.h"

#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

static const char *c(const struct tl_config *cfg, const char *code)
{
	return cfg->color ? code : "";
}

/* The text of one matrix cell. */
static void cell(const struct tl_result *r, char *buf, size_t len)
{
	char kinds[128];
	switch (r->status) {
	case TL_ST_NOT_RUN:
		snprintf(buf, len, "-");
		return;
	case TL_ST_SKIPPED:
		snprintf(buf, len, "skipped");
		return;
	case TL_ST_ERROR:
		snprintf(buf, len, "ERROR");
		return;
	case TL_ST_RAN:
		break;
	}
	tl_kindset_str(r->kinds, kinds, sizeof kinds);
	if (r->compared)
		snprintf(buf, len, "%s %s", kinds, r->match ? "ok" : "MISMATCH");
	else
		snprintf(buf, len, "%s", kinds);
}

static const char *verdict_color(enum tl_verdict v)
{
	switch (v) {
	case TL_VERDICT_SKIP:
		return YELLOW;
	case TL_VERDICT_ERROR:
	case TL_VERDICT_FAIL:
		return RED;
	case TL_VERDICT_PASS:
		return GREEN;
	}
	return "";
}

/* One site: where, which thread, and the source lines around it with the line marked. */
static void site_block(FILE *out, const struct tl_config *cfg, const char *label, const struct tl_site *s,
		       const char *thread)
{
	if (s->file[0] == '\0' && s->function[0] == '\0')
		return;
	fprintf(out, "  %s", label);
	if (thread != NULL && thread[0] != '\0')
		fprintf(out, " thread %s", thread);
	fprintf(out, " at %s:%d", s->file[0] ? s->file : "?", s->line);
	if (s->function[0] != '\0')
		fprintf(out, " in %s", s->function);
	fputc('\n', out);
	struct tl_excerpt x;
	if (tl_source_excerpt(s->file, s->line, 2, &x) != 0)
		return;
	for (int i = 0; i < x.count; i++) {
		int here = x.first + i == x.mark;
		fprintf(out, "    %s%s%5d | %s%s\n", here ? c(cfg, RED) : "", here ? ">" : " ", x.first + i, x.text[i],
			here ? c(cfg, RESET) : "");
	}
}

static void finding_block(FILE *out, const struct tl_config *cfg, const struct tl_target *t,
			  const struct tl_finding *f)
{
	fprintf(out, "==================\n");
	fprintf(out, "%sWARNING: %s in %s", c(cfg, BOLD), tl_kind_name(f->kind), t->name);
	if (t->lab != NULL)
		fprintf(out, " (%s)", tl_variant_name(t->variant));
	fprintf(out, ", reported by %s%s\n", tl_tool_name(f->tool), c(cfg, RESET));
	/* The headline in plain words: the lab's lesson, or what the kind means. */
	fprintf(out, "  %s\n", t->lab != NULL ? t->lab->lesson : tl_kind_meaning(f->kind));
	fprintf(out, "  %s: %s\n", tl_tool_name(f->tool), f->message);
	const char *first = f->kind == TL_KIND_RACE ? "access by" : f->kind == TL_KIND_THREAD_LEAK ? "stuck" : "where";
	const char *second = f->kind == TL_KIND_RACE ? "races with" :
			     f->kind == TL_KIND_THREAD_LEAK ? "created" : "also";
	site_block(out, cfg, first, &f->site, f->thread);
	site_block(out, cfg, second, &f->other, f->other_thread);
	fprintf(out, "SUMMARY: %s %s %s:%d in %s\n", tl_tool_name(f->tool), tl_kind_name(f->kind),
		f->site.file[0] ? f->site.file : "?", f->site.line, f->site.function[0] ? f->site.function : "?");
	if (t->lab != NULL)
		for (int i = 0; i < t->lab->nhint; i++)
			fprintf(out, "  Hint: %s\n", t->lab->hint[i]);
	fprintf(out, "  More: threadlab explain %s%s%s\n", tl_kind_name(f->kind), t->lab != NULL ? ", and labs/" : "",
		t->lab != NULL ? t->lab->slug : "");
	if (cfg->verbose && f->detail != NULL)
		fprintf(out, "  --- %s's own report ---\n%s\n", tl_tool_name(f->tool), f->detail);
}

/* The lab x tool matrix. */
static void matrix(FILE *out, const struct tl_config *cfg, enum tl_mode mode, struct tl_target *const *targets,
		   size_t n)
{
	const int analyze = mode == TL_MODE_ANALYZE;
	int width = 12;
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(targets[i]->name) > width)
			width = (int)strlen(targets[i]->name);
	fprintf(out, "\n%-*s %-7s", width, analyze ? "program" : "lab", analyze ? "" : "variant");
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		if (cfg->tools & (1 << tool))
			fprintf(out, " %-22s", tl_tool_name((enum tl_tool)tool));
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		const struct tl_target *t = targets[i];
		fprintf(out, "%-*s %-7s", width, t->name, t->lab != NULL ? tl_variant_name(t->variant) : "");
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			if (!(cfg->tools & (1 << tool)))
				continue;
			char buf[160];
			cell(&t->result[tool], buf, sizeof buf);
			fprintf(out, " %s%-22s%s", c(cfg, verdict_color(t->result[tool].verdict)), buf, c(cfg, RESET));
		}
		fputc('\n', out);
	}
}

/* A result that differs from its declaration, with what was reported (the first findings), so
 * that a mismatch seen once (on CI, say) can be diagnosed from the log alone. */
static void mismatch(FILE *out, const struct tl_target *t, enum tl_tool tool, const struct tl_result *r)
{
	char want[128], got[128];
	fprintf(out, "MISMATCH: %s %s under %s: declared '%s', reported '%s'\n", t->name, tl_variant_name(t->variant),
		tl_tool_name(tool), tl_kindset_str(r->expected, want, sizeof want),
		tl_kindset_str(r->kinds, got, sizeof got));
	for (size_t k = 0; k < r->findings.n && k < 3; k++) {
		const struct tl_finding *f = &r->findings.v[k];
		fprintf(out, "  %s at %s:%d: %s\n", tl_kind_name(f->kind), f->site.file[0] != '\0' ? f->site.file : "?",
			f->site.line, f->message);
	}
}

/* Notes: skipped or failing tools, and mismatches against declarations. */
static void notes(FILE *out, const struct tl_config *cfg, struct tl_target *const *targets, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct tl_target *t = targets[i];
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			const struct tl_result *r = &t->result[tool];
			if (!(cfg->tools & (1 << tool)))
				continue;
			if (r->status == TL_ST_SKIPPED || r->status == TL_ST_ERROR || r->note[0] != '\0')
				fprintf(out, "note: %s %s %s: %s%s\n", t->name,
					t->lab != NULL ? tl_variant_name(t->variant) : "", tl_tool_name((enum tl_tool)tool),
					r->status == TL_ST_ERROR ? "tool error: " : "", r->note);
			if (r->compared && !r->match)
				mismatch(out, t, (enum tl_tool)tool, r);
		}
	}
}

void tl_report_text(FILE *out, const struct tl_config *cfg, enum tl_mode mode, struct tl_target *const *targets,
		    size_t n)
{
	matrix(out, cfg, mode, targets, n);
	notes(out, cfg, targets, n);
	if (mode == TL_MODE_SELFTEST && !cfg->verbose)
		return;
	/* A block per finding. */
	fputc('\n', out);
	for (size_t i = 0; i < n; i++)
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
			for (size_t k = 0; k < targets[i]->result[tool].findings.n; k++)
				finding_block(out, cfg, targets[i], &targets[i]->result[tool].findings.v[k]);
}
