/* report_html.c: one self-contained HTML page: the lab x tool matrix with the judged verdict, then each bug explained with its source, and what the judge set aside.
 * The page is also well-formed XML (void elements closed), so an XML parser checks it in the tests. */
#include "stages.h"

static const char style[] =
	"body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222;padding:0 1em}"
	"h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em}"
	"table.matrix{border-collapse:collapse}table.matrix td,table.matrix th{border:1px solid #ccc;padding:.3em .7em}"
	"td.clean{background:#d9f2d9}td.found{background:#f9d0d0}td.skip{background:#eee;color:#666}"
	"td.bad{background:#f2b3b3;font-weight:bold}"
	".finding{border:1px solid #ddd;border-left:6px solid #c33;border-radius:4px;margin:1.2em 0;padding:.6em 1em}"
	".finding h3{margin:.2em 0;font-size:1.05em}.tool{color:#555;font-weight:normal}"
	"pre.src{background:#f7f7f7;padding:.4em;overflow-x:auto;margin:.3em 0}"
	"pre.src span.hit{background:#ffd7d7;display:block;font-weight:bold}"
	".site{margin:.6em 0 .2em}.hint{background:#fff8dc;padding:.3em .6em;border-radius:3px;margin:.3em 0}"
	".explain{color:#444;font-size:.95em}svg text{font:13px system-ui,sans-serif}"
	".judge{color:#333;margin:.3em 0}.aside{border-left:6px solid #999;background:#f4f4f4;margin:.8em 0;padding:.4em 1em}";

static void excerpt(FILE *out, const struct tl_site *s)
{
	struct tl_excerpt x;
	if (tl_source_excerpt(s->file, s->line, 3, &x) != 0)
		return;
	fputs("<pre class=\"src\">", out);
	for (int i = 0; i < x.count; i++) {
		int hit = x.first + i == x.mark;
		fprintf(out, "%s%5d  ", hit ? "<span class=\"hit\">" : "", x.first + i);
		tl_put_xml(out, x.text[i], 1);
		fputs(hit ? "</span>" : "\n", out);
	}
	fputs("</pre>\n", out);
}

static void site(FILE *out, const char *label, const struct tl_site *s, const char *thread)
{
	if (s->file[0] == '\0' && s->function[0] == '\0')
		return;
	fputs("<div class=\"site\">", out);
	tl_put_xml(out, label, 1);
	if (thread[0] != '\0') {
		fputs(" thread <b>", out);
		tl_put_xml(out, thread, 1);
		fputs("</b>", out);
	}
	fputs(" at <code>", out);
	tl_put_xml(out, s->file, 1);
	fprintf(out, ":%d</code>", s->line);
	if (s->function[0] != '\0') {
		fputs(" in <code>", out);
		tl_put_xml(out, s->function, 1);
		fputs("</code>", out);
	}
	fputs("</div>\n", out);
	excerpt(out, s);
}

/* A deadlock drawn as two threads that wait for each other, each box naming where it waits. */
static void cycle(FILE *out, const struct tl_finding *f)
{
	if (f->other.file[0] == '\0')
		return;
	char a[300], b[300];
	tl__errf(a, sizeof a, "%s waits at %s:%d", f->thread[0] ? f->thread : "thread 1", f->site.file, f->site.line);
	tl__errf(b, sizeof b, "%s waits at %s:%d", f->other_thread[0] ? f->other_thread : "thread 2", f->other.file,
		 f->other.line);
	fputs("<svg width=\"640\" height=\"150\" role=\"img\" aria-label=\"deadlock cycle\">"
	      "<defs><marker id=\"arr\" markerWidth=\"10\" markerHeight=\"10\" refX=\"9\" refY=\"3\" orient=\"auto\">"
	      "<path d=\"M0,0 L9,3 L0,6 z\" fill=\"#c33\"/></marker></defs>"
	      "<rect x=\"10\" y=\"40\" width=\"260\" height=\"60\" rx=\"8\" fill=\"#fde\" stroke=\"#c33\"/>"
	      "<rect x=\"370\" y=\"40\" width=\"260\" height=\"60\" rx=\"8\" fill=\"#fde\" stroke=\"#c33\"/>",
	      out);
	fputs("<text x=\"20\" y=\"75\">", out);
	tl_put_xml(out, a, 1);
	fputs("</text><text x=\"380\" y=\"75\">", out);
	tl_put_xml(out, b, 1);
	fputs("</text>"
	      "<path d=\"M270,55 C320,20 330,20 370,55\" fill=\"none\" stroke=\"#c33\" marker-end=\"url(#arr)\"/>"
	      "<path d=\"M370,85 C330,125 320,125 270,85\" fill=\"none\" stroke=\"#c33\" marker-end=\"url(#arr)\"/>"
	      "<text x=\"285\" y=\"20\">waits for a lock held by</text>"
	      "<text x=\"285\" y=\"140\">waits for a lock held by</text></svg>\n",
	      out);
}

/* The tools of SET, comma-separated. */
static void tools(FILE *out, unsigned set)
{
	for (int tool = 0, first = 1; tool < TL_TOOL_COUNT; tool++)
		if (set & (1u << tool)) {
			fprintf(out, "%s%s", first ? "" : ", ", tl_tool_name((enum tl_tool)tool));
			first = 0;
		}
}

/* What the judge weighed for bug B of T: who saw it, how sure, where the tools disagree, and
 * the reports folded into it with their rule and reason. */
static void evidence(FILE *out, const struct tl_target *t, int b)
{
	const struct tl_bug *bug = &t->judged.bug[b];
	fputs("<p class=\"judge\">Seen by <b>", out);
	tools(out, bug->seen_by);
	fprintf(out, "</b>; confidence %s.", tl_confidence_name(bug->confidence));
	if (bug->note[0] != '\0') {
		fputs(" ", out);
		tl_put_xml(out, bug->note, 1);
	}
	fputs("</p>\n", out);
	for (int a = 0; a < t->judged.naside; a++) {
		const struct tl_aside *x = &t->judged.aside[a];
		if (x->bug != b)
			continue;
		fprintf(out, "<p class=\"judge\">Also %s: %s (<code>%s</code>): ", tl_tool_name(x->ref.tool),
			tl_kind_name(tl_judge_ref(t, x->ref)->kind), tl_rule_name(x->rule));
		tl_put_xml(out, x->reason, 1);
		fputs("</p>\n", out);
	}
}

/* A report the judge set aside as its tool's known false report, with the rule and reason. */
static void set_aside(FILE *out, const struct tl_target *t, const struct tl_aside *x)
{
	const struct tl_finding *f = tl_judge_ref(t, x->ref);
	fprintf(out, "<div class=\"aside\" data-rule=\"%s\"><b>Set aside:</b> %s %s in ", tl_rule_name(x->rule),
		tl_tool_name(x->ref.tool), tl_kind_name(f->kind));
	tl_put_xml(out, t->name, 1);
	fputs(" at <code>", out);
	tl_put_xml(out, f->site.file, 1);
	fprintf(out, ":%d</code> (rule <code>%s</code>). ", f->site.line, tl_rule_name(x->rule));
	tl_put_xml(out, x->reason, 1);
	fputs("</div>\n", out);
}

/* One bug of T (B), shown through its standing report F. */
static void finding(FILE *out, const struct tl_target *t, int b, const struct tl_finding *f, int id)
{
	fprintf(out, "<div class=\"finding\" id=\"f%d\" data-kind=\"%s\"><h3>", id, tl_kind_name(f->kind));
	tl_put_xml(out, tl_kind_name(f->kind), 1);
	fputs(" in ", out);
	tl_put_xml(out, t->name, 1);
	fputs(" <span class=\"tool\">seen by ", out);
	tools(out, t->judged.bug[b].seen_by);
	fputs("</span></h3>\n<p><b>", out);
	tl_put_xml(out, t->lab != NULL ? t->lab->lesson : tl_kind_meaning(f->kind), 1);
	fputs("</b></p>\n<p>", out);
	tl_put_xml(out, f->message, 1);
	fputs("</p>\n", out);
	if (f->kind == TL_KIND_DEADLOCK)
		cycle(out, f);
	site(out, f->kind == TL_KIND_RACE ? "Access by" : f->kind == TL_KIND_THREAD_LEAK ? "Stuck" : "Where", &f->site,
	     f->thread);
	site(out, f->kind == TL_KIND_RACE ? "Races with" : f->kind == TL_KIND_THREAD_LEAK ? "Created" : "Also",
	     &f->other, f->other_thread);
	evidence(out, t, b);
	if (t->lab != NULL)
		for (int i = 0; i < t->lab->nhint; i++) {
			fputs("<div class=\"hint\">Hint: ", out);
			tl_put_xml(out, t->lab->hint[i], 1);
			fputs("</div>\n", out);
		}
	fputs("<details class=\"explain\"><summary>What is a ", out);
	tl_put_xml(out, tl_kind_name(f->kind), 1);
	fputs("?</summary><p>", out);
	tl_put_xml(out, tl_explain_short(f->kind), 1);
	fputs("</p><p>", out);
	tl_put_xml(out, tl_explain_tools(f->kind), 1);
	fputs("</p></details>\n</div>\n", out);
}

/* The class of a matrix cell: its colour. */
static const char *cell_class(enum tl_verdict v, enum tl_mode mode)
{
	switch (v) {
	case TL_VERDICT_SKIP:
	case TL_VERDICT_ERROR:
		return "skip";
	case TL_VERDICT_PASS:
		return "clean";
	case TL_VERDICT_FAIL:
		return mode == TL_MODE_SELFTEST ? "bad" : "found";
	}
	return "skip";
}

/* One tool's cell: its kinds, those the judge set aside struck through. */
static void tool_cell(FILE *out, const struct tl_result *r, enum tl_mode mode)
{
	char kept[128], aside[128];
	tl_kindset_str(r->kept, kept, sizeof kept);
	tl_kindset_str(r->kinds & ~r->kept, aside, sizeof aside);
	fprintf(out, "<td class=\"%s\">", cell_class(r->verdict, mode));
	if (r->status != TL_ST_RAN)
		tl_put_xml(out, tl_status_name(r->status), 1);
	else if (r->kept != 0 || r->kinds == 0)
		tl_put_xml(out, kept, 1);
	if (r->status == TL_ST_RAN && (r->kinds & ~r->kept) != 0)
		fprintf(out, " <s title=\"set aside by the judge\">%s</s>", aside);
	if (r->compared && !r->match)
		fputs(" (differs from declaration)", out);
	fputs("</td>", out);
}

void tl_report_html(FILE *out, const struct tl_config *cfg, enum tl_mode mode, struct tl_target *const *targets,
		    size_t n)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\" /><title>threadlab report</title>"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" /><style>",
	      out);
	fputs(style, out);
	fputs("</style></head><body>\n<h1>threadlab ", out);
	tl_put_xml(out, tl_mode_name(mode), 1);
	fputs("</h1>\n<table class=\"matrix\" id=\"matrix\"><thead><tr><th>", out);
	fputs(mode == TL_MODE_ANALYZE ? "program" : "lab", out);
	fputs("</th><th>checked</th>", out);
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		if (cfg->tools & (1 << tool))
			fprintf(out, "<th>%s</th>", tl_tool_name((enum tl_tool)tool));
	fputs("<th>verdict</th></tr></thead><tbody>\n", out);
	int id = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tl_target *t = targets[i];
		fputs("<tr><td>", out);
		tl_put_xml(out, t->name, 1);
		fprintf(out, "</td><td>%s</td>", tl_target_role(t, mode));
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
			if (cfg->tools & (1 << tool))
				tool_cell(out, &t->result[tool], mode);
		char kinds[128];
		tl_kindset_str(t->judged.kinds, kinds, sizeof kinds);
		fprintf(out, "<td class=\"%s\">", t->judged.kinds ? "found" : "clean");
		if (t->judged.nbug > 0)
			fprintf(out, "<a href=\"#f%d\">%s</a>", id, kinds);
		else
			fputs(t->lab != NULL && t->variant == TL_BUGGY && mode == TL_MODE_CHECK ? "bug gone" : kinds, out);
		fputs("</td></tr>\n", out);
		id += t->judged.nbug;
	}
	fputs("</tbody></table>\n<p>Each tool's own reports; struck through, what the judge set aside as that "
	      "tool's known false report; verdict: the judge's, one block per bug below.</p>\n<h2>Findings</h2>\n",
	      out);
	id = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tl_target *t = targets[i];
		for (int b = 0; b < t->judged.nbug; b++)
			finding(out, t, b, tl_judge_ref(t, t->judged.bug[b].first), id++);
		for (int a = 0; a < t->judged.naside; a++)
			if (t->judged.aside[a].decision == TL_DISMISS)
				set_aside(out, t, &t->judged.aside[a]);
	}
	if (id == 0)
		fputs("<p>Nothing found.</p>\n", out);
	fputs("</body></html>\n", out);
}
