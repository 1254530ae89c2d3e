/* report_json.c: the machine report: {"programs":[{"path","kinds","findings","dismissed","tools":{name:{status,kinds,findings}}}]}. */
#include <string.h>

#include "stages.h"

/* The kinds of SET as a JSON array of names in alphabetical order (the same order as
 * tl_kindset_str), [] when clean. */
static void jkinds(FILE *out, tl_kindset set)
{
	char buf[256];
	fputc('[', out);
	if (set != 0) {
		tl_kindset_str(set, buf, sizeof buf);
		int first = 1;
		for (char *save = NULL, *w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
			if (!first)
				fputc(',', out);
			tl_put_json(out, w);
			first = 0;
		}
	}
	fputc(']', out);
}

static void jsite(FILE *out, const char *key, const struct tl_site *s)
{
	fprintf(out, ",");
	tl_put_json(out, key);
	fprintf(out, ":{\"file\":");
	tl_put_json(out, s->file);
	fprintf(out, ",\"line\":%d,\"function\":", s->line);
	tl_put_json(out, s->function);
	fputc('}', out);
}

/* The fields of F, from "kind" on, without the braces around them. */
static void jfields(FILE *out, const struct tl_config *cfg, const struct tl_finding *f)
{
	fprintf(out, "\"kind\":");
	tl_put_json(out, tl_kind_name(f->kind));
	fprintf(out, ",\"raw\":");
	tl_put_json(out, f->raw);
	fprintf(out, ",\"file\":");
	tl_put_json(out, f->site.file);
	fprintf(out, ",\"line\":%d,\"function\":", f->site.line);
	tl_put_json(out, f->site.function);
	fprintf(out, ",\"thread\":");
	tl_put_json(out, f->thread);
	fprintf(out, ",\"message\":");
	tl_put_json(out, f->message);
	if (f->other.file[0] != '\0' || f->other.function[0] != '\0') {
		jsite(out, "other", &f->other);
		fprintf(out, ",\"other_thread\":");
		tl_put_json(out, f->other_thread);
	}
	if (cfg->verbose && f->detail != NULL) {
		fprintf(out, ",\"detail\":");
		tl_put_json(out, f->detail);
	}
}

static void jfinding(FILE *out, const struct tl_config *cfg, const struct tl_finding *f)
{
	fputc('{', out);
	jfields(out, cfg, f);
	if (f->dismissed != NULL) {
		fprintf(out, ",\"dismissed\":");
		tl_put_json(out, f->dismissed);
	}
	fputc('}', out);
}

/* The tools of SET as a JSON array of names. */
static void jtools(FILE *out, unsigned set)
{
	fputc('[', out);
	for (int tool = 0, first = 1; tool < TL_TOOL_COUNT; tool++)
		if (set & (1u << tool)) {
			fprintf(out, "%s", first ? "" : ",");
			tl_put_json(out, tl_tool_name((enum tl_tool)tool));
			first = 0;
		}
	fputc(']', out);
}

/* A report the judge set aside: whose, what, where, the rule and its reason. */
static void jaside(FILE *out, const struct tl_target *t, const struct tl_aside *a)
{
	const struct tl_finding *f = tl_judge_ref(t, a->ref);
	fprintf(out, "{\"tool\":");
	tl_put_json(out, tl_tool_name(a->ref.tool));
	fprintf(out, ",\"kind\":");
	tl_put_json(out, tl_kind_name(f->kind));
	fprintf(out, ",\"file\":");
	tl_put_json(out, f->site.file);
	fprintf(out, ",\"line\":%d,\"rule\":", f->site.line);
	tl_put_json(out, tl_rule_name(a->rule));
	fprintf(out, ",\"reason\":");
	tl_put_json(out, a->reason);
	fputc('}', out);
}

/* One judged bug: its standing report's fields, the tools that saw it, how sure the judge is,
 * where tools disagree, and the reports merged into it. */
static void jbug(FILE *out, const struct tl_config *cfg, const struct tl_target *t, int b)
{
	const struct tl_bug *bug = &t->judged.bug[b];
	fputc('{', out);
	jfields(out, cfg, tl_judge_ref(t, bug->first));
	fprintf(out, ",\"seen_by\":");
	jtools(out, bug->seen_by);
	fprintf(out, ",\"clean_by\":");
	jtools(out, bug->clean_by);
	fprintf(out, ",\"confidence\":");
	tl_put_json(out, tl_confidence_name(bug->confidence));
	if (bug->note[0] != '\0') {
		fprintf(out, ",\"note\":");
		tl_put_json(out, bug->note);
	}
	fprintf(out, ",\"merged\":[");
	for (int a = 0, first = 1; a < t->judged.naside; a++)
		if (t->judged.aside[a].bug == b) {
			fprintf(out, "%s", first ? "" : ",");
			jaside(out, t, &t->judged.aside[a]);
			first = 0;
		}
	fprintf(out, "]}");
}

/* The judge's verdict on T: "kinds" (judged, sorted), "findings" (one per bug), "dismissed". */
static void jjudged(FILE *out, const struct tl_config *cfg, const struct tl_target *t)
{
	const struct tl_judgement *j = &t->judged;
	fprintf(out, ",\"kinds\":");
	jkinds(out, j->kinds);
	if (j->compared)
		fprintf(out, ",\"judged_match\":%s", j->match ? "true" : "false");
	fprintf(out, ",\"findings\":[");
	for (int b = 0; b < j->nbug; b++) {
		fprintf(out, "%s", b ? "," : "");
		jbug(out, cfg, t, b);
	}
	fprintf(out, "],\"dismissed\":[");
	for (int a = 0, first = 1; a < j->naside; a++)
		if (j->aside[a].decision == TL_DISMISS) {
			fprintf(out, "%s", first ? "" : ",");
			jaside(out, t, &j->aside[a]);
			first = 0;
		}
	fputc(']', out);
}

void tl_report_json(FILE *out, const struct tl_config *cfg, enum tl_mode mode, struct tl_target *const *targets,
		    size_t n)
{
	fprintf(out, "{\"mode\":");
	tl_put_json(out, tl_mode_name(mode));
	fprintf(out, ",\"programs\":[");
	for (size_t i = 0; i < n; i++) {
		const struct tl_target *t = targets[i];
		fprintf(out, "%s{\"path\":", i ? "," : "");
		tl_put_json(out, t->name);
		if (t->lab != NULL) {
			fprintf(out, ",\"lab\":");
			tl_put_json(out, t->lab->slug);
			fprintf(out, ",\"variant\":");
			tl_put_json(out, tl_variant_name(t->variant));
		}
		jjudged(out, cfg, t);
		fprintf(out, ",\"build_seconds\":%.3f,\"tools\":{", t->build_seconds);
		int first = 1;
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			if (!(cfg->tools & (1 << tool)))
				continue;
			const struct tl_result *r = &t->result[tool];
			if (!first)
				fputc(',', out);
			first = 0;
			tl_put_json(out, tl_tool_name((enum tl_tool)tool));
			fprintf(out, ":{\"status\":");
			tl_put_json(out, tl_status_name(r->status));
			fprintf(out, ",\"runs\":%d,\"seconds\":%.3f,\"kinds\":", r->runs, r->seconds);
			jkinds(out, r->kinds);
			if (r->note[0] != '\0') {
				fprintf(out, ",\"note\":");
				tl_put_json(out, r->note);
			}
			if (r->compared) {
				fprintf(out, ",\"expected\":");
				jkinds(out, r->expected);
				fprintf(out, ",\"match\":%s", r->match ? "true" : "false");
			}
			fprintf(out, ",\"findings\":[");
			for (size_t k = 0; k < r->findings.n; k++) {
				if (k)
					fputc(',', out);
				jfinding(out, cfg, &r->findings.v[k]);
			}
			fprintf(out, "]}");
		}
		fprintf(out, "}}");
	}
	fprintf(out, "]}\n");
}
