/* report_text.c: the terminal report: a lab x tool matrix with the judged verdict, one line per bug, notes, then a TSan-like block per bug. */
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

/* The text of one matrix cell: the tool's kinds, those it had set aside in parentheses. */
static void cell(const struct tl_result *r, char *buf, size_t len)
{
	char kinds[128], aside[128];
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
	tl_kindset_str(r->kept, kinds, sizeof kinds);
	tl_kindset_str(r->kinds & ~r->kept, aside, sizeof aside);
	int dismissed = (r->kinds & ~r->kept) != 0;
	tl__errf(buf, len, "%s%s%s%s%s%s", r->kept != 0 || !dismissed ? kinds : "", r->kept != 0 && dismissed ? " " : "",
		 dismissed ? "(" : "", dismissed ? aside : "", dismissed ? ")" : "",
		 r->compared ? (r->match ? " ok" : " MISMATCH") : "");
}

/* The judged verdict of T: its bugs' kinds, or for a lab's own code that has none, that the
 * bug is gone. */
static void verdict_cell(const struct tl_target *t, enum tl_mode mode, char *buf, size_t len)
{
	char kinds[128];
	tl_kindset_str(t->judged.kinds, kinds, sizeof kinds);
	if (t->judged.kinds == 0 && t->lab != NULL && t->variant == TL_BUGGY && mode == TL_MODE_CHECK)
		snprintf(buf, len, "bug gone");
	else
		snprintf(buf, len, "%s%s", kinds, t->judged.compared ? (t->judged.match ? " ok" : " MISMATCH") : "");
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

/* The width of the first column: the longest name. */
static int name_width(struct tl_target *const *targets, size_t n)
{
	int width = 13;
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(targets[i]->name) > width)
			width = (int)strlen(targets[i]->name);
	return width;
}

/* The lab x tool matrix, with the judge's verdict in the last column. */
static void matrix(FILE *out, const struct tl_config *cfg, enum tl_mode mode, struct tl_target *const *targets,
		   size_t n)
{
	const int analyze = mode == TL_MODE_ANALYZE;
	const int width = name_width(targets, n);
	int cw = 16; /* the tool columns: as wide as the widest cell */
	for (size_t i = 0; i < n; i++)
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			char buf[160];
			cell(&targets[i]->result[tool], buf, sizeof buf);
			if ((int)strlen(buf) > cw)
				cw = (int)strlen(buf);
		}
	fprintf(out, "%-*s %-9s", width, analyze ? "program" : "lab", analyze ? "" : "checked");
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		if (cfg->tools & (1 << tool))
			fprintf(out, " %-*s", cw, tl_tool_name((enum tl_tool)tool));
	fprintf(out, " verdict\n");
	for (size_t i = 0; i < n; i++) {
		const struct tl_target *t = targets[i];
		fprintf(out, "%-*s %-9s", width, t->name, tl_target_role(t, mode));
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			if (!(cfg->tools & (1 << tool)))
				continue;
			char buf[160];
			cell(&t->result[tool], buf, sizeof buf);
			fprintf(out, " %s%-*s%s", c(cfg, verdict_color(t->result[tool].verdict)), cw, buf, c(cfg, RESET));
		}
		char v[160];
		verdict_cell(t, mode, v, sizeof v);
		fprintf(out, " %s%s%s\n", c(cfg, t->judged.kinds ? RED : GREEN), v, c(cfg, RESET));
	}
}

/* The tools of SET, comma-separated, into BUF. */
static const char *tools_str(unsigned set, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		if (set & (1u << tool)) {
			size_t used = strlen(buf);
			snprintf(buf + used, len - used, "%s%s", used ? ", " : "", tl_tool_name((enum tl_tool)tool));
		}
	return buf;
}

/* Whether bugs A and B of T read as one entry of its line: same kind, file and witnesses. */
static int same_entry(const struct tl_target *t, const struct tl_bug *a, const struct tl_bug *b)
{
	return a->kind == b->kind && a->seen_by == b->seen_by && a->confidence == b->confidence &&
	       strcmp(tl_judge_ref(t, a->first)->site.file, tl_judge_ref(t, b->first)->site.file) == 0;
}

/* A line per program with bugs: each bug's kind and place and the tools that saw it, bugs of a
 * kind in one file seen by the same tools sharing one entry ("race a.c:3, :9 (tsan, helgrind)"),
 * so that the matrix and every bug fit on one screen. */
static void bug_lines(FILE *out, struct tl_target *const *targets, size_t n, int width)
{
	int any = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tl_target *t = targets[i];
		if (t->judged.nbug == 0)
			continue;
		if (!any)
			fprintf(out, "bugs: each one's kind, where, and (the tools that saw it):\n");
		any = 1;
		fprintf(out, "%-*s", width, t->name);
		for (int b = 0; b < t->judged.nbug; b++) {
			const struct tl_bug *bug = &t->judged.bug[b];
			const struct tl_finding *f = tl_judge_ref(t, bug->first);
			const char *prev = b > 0 ? tl_judge_ref(t, t->judged.bug[b - 1].first)->site.file : NULL;
			if (b > 0 && same_entry(t, &t->judged.bug[b - 1], bug))
				fprintf(out, ", :%d", f->site.line);
			else if (prev != NULL && f->site.file[0] != '\0' && strcmp(prev, f->site.file) == 0)
				fprintf(out, "; %s :%d", tl_kind_name(bug->kind), f->site.line); /* same file */
			else
				fprintf(out, "%s%s %s:%d", b ? "; " : " ", tl_kind_name(bug->kind),
					f->site.file[0] ? f->site.file : "?", f->site.line);
			if (b + 1 == t->judged.nbug || !same_entry(t, bug, &t->judged.bug[b + 1])) {
				char who[128];
				fprintf(out, " (%s%s)", tools_str(bug->seen_by, who, sizeof who),
					bug->confidence == TL_CONF_LOW ? "; the tools disagree" : "");
			}
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

/* Notes: skipped or failing tools, mismatches against declarations, and what the judge set
 * aside (one line each). */
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
		if (t->judged.compared && !t->judged.match)
			fprintf(out, "MISMATCH: %s %s: the judge found %s\n", t->name, tl_variant_name(t->variant),
				t->judged.kinds ? "a bug in the fixed version" : "no bug in the buggy version");
		for (int a = 0; a < t->judged.naside; a++) {
			const struct tl_aside *x = &t->judged.aside[a];
			const struct tl_finding *f = tl_judge_ref(t, x->ref);
			if (x->decision == TL_DISMISS)
				fprintf(out, "set aside: %s %s %s at %s:%d (rule %s)\n", t->name, tl_tool_name(x->ref.tool),
					tl_kind_name(f->kind), f->site.file[0] ? f->site.file : "?", f->site.line,
					tl_rule_name(x->rule));
		}
	}
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

/* The reports the judge folded into bug B, and with --verbose every tool's own report of it. */
static void bug_evidence(FILE *out, const struct tl_config *cfg, const struct tl_target *t, int b)
{
	for (int a = 0; a < t->judged.naside; a++) {
		const struct tl_aside *x = &t->judged.aside[a];
		int repeat = 0; /* the same tool's report under the same rule is said once */
		for (int e = 0; e < a && !repeat; e++)
			repeat = t->judged.aside[e].bug == b && t->judged.aside[e].ref.tool == x->ref.tool &&
				 t->judged.aside[e].rule == x->rule;
		if (x->bug == b && !repeat)
			fprintf(out, "  also %s: %s (%s: %s)\n", tl_tool_name(x->ref.tool),
				tl_kind_name(tl_judge_ref(t, x->ref)->kind), tl_rule_name(x->rule), x->reason);
	}
	if (!cfg->verbose)
		return;
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		for (size_t k = 0; k < t->result[tool].findings.n; k++) {
			const struct tl_finding *f = &t->result[tool].findings.v[k];
			if (f->kind == t->judged.bug[b].kind && f->detail != NULL && (t->judged.bug[b].seen_by & (1u << tool)))
				fprintf(out, "  --- %s's own report ---\n%s\n", tl_tool_name((enum tl_tool)tool), f->detail);
		}
}

static void bug_block(FILE *out, const struct tl_config *cfg, enum tl_mode mode, const struct tl_target *t, int b)
{
	const struct tl_bug *bug = &t->judged.bug[b];
	const struct tl_finding *f = tl_judge_ref(t, bug->first);
	char who[128];
	fprintf(out, "==================\n");
	fprintf(out, "%sWARNING: %s in %s", c(cfg, BOLD), tl_kind_name(bug->kind), t->name);
	if (t->lab != NULL)
		fprintf(out, " (%s)", tl_target_role(t, mode));
	fprintf(out, ", seen by %s%s\n", tools_str(bug->seen_by, who, sizeof who), c(cfg, RESET));
	/* The headline in plain words: the lab's lesson, or what the kind means. */
	fprintf(out, "  %s\n", t->lab != NULL ? t->lab->lesson : tl_kind_meaning(bug->kind));
	fprintf(out, "  %s: %s\n", tl_tool_name(f->tool), f->message);
	const char *first = bug->kind == TL_KIND_RACE ? "access by" : bug->kind == TL_KIND_THREAD_LEAK ? "stuck" : "where";
	const char *second = bug->kind == TL_KIND_RACE ? "races with" :
			     bug->kind == TL_KIND_THREAD_LEAK ? "created" : "also";
	site_block(out, cfg, first, &f->site, f->thread);
	site_block(out, cfg, second, &f->other, f->other_thread);
	if (bug->note[0] != '\0')
		fprintf(out, "  note: %s\n", bug->note);
	bug_evidence(out, cfg, t, b);
	fprintf(out, "SUMMARY: %s %s:%d in %s (seen by %s; confidence %s)\n", tl_kind_name(bug->kind),
		f->site.file[0] ? f->site.file : "?", f->site.line, f->site.function[0] ? f->site.function : "?", who,
		tl_confidence_name(bug->confidence));
	if (t->lab != NULL)
		for (int i = 0; i < t->lab->nhint; i++)
			fprintf(out, "  Hint: %s\n", t->lab->hint[i]);
	fprintf(out, "  More: threadlab explain %s%s%s\n", tl_kind_name(bug->kind), t->lab != NULL ? ", and labs/" : "",
		t->lab != NULL ? t->lab->slug : "");
}

/* What the judge set aside in T, each with its rule and full reason. */
static void aside_blocks(FILE *out, const struct tl_target *t)
{
	for (int a = 0; a < t->judged.naside; a++) {
		const struct tl_aside *x = &t->judged.aside[a];
		const struct tl_finding *f = tl_judge_ref(t, x->ref);
		if (x->decision != TL_DISMISS)
			continue;
		fprintf(out, "------------------\nSET ASIDE: %s %s in %s at %s:%d (rule %s)\n  %s: %s\n  why: %s\n",
			tl_tool_name(x->ref.tool), tl_kind_name(f->kind), t->name, f->site.file[0] ? f->site.file : "?",
			f->site.line, tl_rule_name(x->rule), tl_tool_name(x->ref.tool), f->message, x->reason);
	}
}

void tl_report_text(FILE *out, const struct tl_config *cfg, enum tl_mode mode, struct tl_target *const *targets,
		    size_t n)
{
	matrix(out, cfg, mode, targets, n);
	bug_lines(out, targets, n, name_width(targets, n));
	fprintf(out, "\n(matrix: each tool's own reports, in parentheses those the judge set aside as the tool's "
		     "known false reports; verdict: the judge's)\n");
	notes(out, cfg, targets, n);
	if (mode == TL_MODE_SELFTEST && !cfg->verbose)
		return;
	if (!cfg->blocks) {
		fprintf(out, "\n(a block per bug, with its sites and hints: --lab NN or --verbose; make check LAB=NN or "
			     "VERBOSE=1)\n");
		return;
	}
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		for (int b = 0; b < targets[i]->judged.nbug; b++)
			bug_block(out, cfg, mode, targets[i], b);
		aside_blocks(out, targets[i]);
	}
}
