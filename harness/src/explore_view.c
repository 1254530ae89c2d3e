/* explore_view.c: the printers of `threadlab explore` (text, JSON, HTML): the verdict, the
 * failing schedule with its replay command, and its interleaving as one column per thread. */
#include <string.h>

#include "explore.h"
#include "stages.h"

#define EX_COL 30                   /* width of a thread's column in the text view */
#define EX_LETTERS 26

/* Objects named by letters, in the order they first appear (lockdep's legend). */
struct ex_legend {
	char obj[EX_LETTERS][40];
	int n;
};

/* The letter of object OBJ ("A".."Z"), or OBJ itself when it is a thread, none, or past Z. */
static const char *ex_name(struct ex_legend *l, const char *obj, char *buf, size_t len)
{
	if (obj[0] == 'T' || strcmp(obj, "(nil)") == 0)
		return obj[0] == 'T' ? obj : "";
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->obj[i], obj) == 0) {
			snprintf(buf, len, "%c", 'A' + i);
			return buf;
		}
	if (l->n == EX_LETTERS)
		return obj;
	snprintf(l->obj[l->n], sizeof l->obj[0], "%s", obj);
	snprintf(buf, len, "%c", 'A' + l->n++);
	return buf;
}

/* FILE:LINE without its folders ("" when unknown). */
static const char *ex_base(const char *site)
{
	const char *s = strrchr(site, '/');
	return strcmp(site, "?:0") == 0 ? "" : s != NULL ? s + 1 : site;
}

/* The verdict's lines. */
static void ex_text_head(FILE *out, const struct tl_ex_report *r)
{
	fprintf(out, "threadlab explore: %s\n", r->program);
	if (r->outcome == TL_EX_NONE) {
		fprintf(out, "survived %ld schedules (the default one, then %s, depth %d, seeds %llu..%llu; %ld steps) in %.1f s\n",
			r->schedules, r->strategy, r->depth, r->first_seed,
			r->first_seed + (unsigned long long)(r->schedules - 2), r->steps_hint, r->seconds);
		return;
	}
	fprintf(out, "FAILED at schedule %ld (%s, depth %d, seed %llu; %ld steps) in %.1f s: %s (status %d)\n",
		r->schedules, r->strategy, r->depth, r->seed, r->steps_hint, r->seconds,
		tl_ex_outcome_what(r->outcome), r->status);
	if (r->replays > 0)
		fprintf(out, "  replayed %d times: %d failed the same way\n", r->replays, r->replayed);
	fprintf(out, "  schedule: %ld decisions, %ld preemptions", r->choices, r->preemptions);
	if (r->minimal != NULL)
		fprintf(out, "; minimised: %ld decisions, %ld preemptions", r->min_choices, r->min_preemptions);
	fprintf(out, "\n  replay:   %s\n", r->replay_cmd);
}

/* The first lines of the failing run's stderr. */
static void ex_text_detail(FILE *out, const char *detail)
{
	int lines = 0;
	if (detail == NULL || detail[0] == '\0')
		return;
	fprintf(out, "\n  what the run printed on stderr:\n");
	for (const char *p = detail; *p != '\0' && lines < 24; lines++) {
		size_t n = strcspn(p, "\n");
		fprintf(out, "    %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* The interleaving: one column per thread, one row per step. */
static void ex_text_steps(FILE *out, const struct tl_ex_report *r)
{
	struct ex_legend l = { .n = 0 };
	char cell[EX_COL * 16], nb[16];
	if (r->nstep == 0)
		return;
	fprintf(out, "\n  interleaving (one row per synchronisation step; '>>' : preempted here, another thread ran next)\n  %5s  ", "step");
	for (int t = 0; t < r->threads; t++)
		fprintf(out, "%-*s", EX_COL, (snprintf(nb, sizeof nb, "T%d", t), nb));
	fputc('\n', out);
	for (long i = 0; i < r->nstep; i++) {
		const struct tl_ex_step *s = &r->step[i];
		char name[48];
		(void)snprintf(cell, sizeof cell, "%s%s %s %.200s", s->preempt ? ">> " : "", s->op,
			 ex_name(&l, s->obj, name, sizeof name), ex_base(s->site));
		fprintf(out, "  %5ld  %*s%s\n", s->step, EX_COL * s->thread, "", cell);
	}
	for (int i = 0; i < l.n; i++)
		fprintf(out, "  %c = %s\n", 'A' + i, l.obj[i]);
}

void tl_ex_text(FILE *out, const struct tl_ex_report *r)
{
	ex_text_head(out, r);
	if (r->outcome == TL_EX_NONE && r->nstep == 0)
		return;
	ex_text_detail(out, r->detail);
	ex_text_steps(out, r);
}

/* One JSON member "KEY": "VALUE" (NULL: null), with a comma before it unless FIRST. */
static void ex_json_str(FILE *out, const char *key, const char *value)
{
	fprintf(out, ",\n  \"%s\": ", key);
	if (value == NULL)
		fputs("null", out);
	else
		tl_put_json(out, value);
}

void tl_ex_json(FILE *out, const struct tl_ex_report *r)
{
	fprintf(out, "{\n  \"program\": ");
	tl_put_json(out, r->program);
	ex_json_str(out, "outcome", tl_ex_outcome_name(r->outcome));
	ex_json_str(out, "strategy", r->strategy);
	fprintf(out, ",\n  \"depth\": %d,\n  \"seed\": %llu,\n  \"schedules\": %ld,\n  \"steps\": %ld,\n"
		     "  \"seconds\": %.3f,\n  \"status\": %d,\n  \"replays\": %d,\n  \"replayed\": %d,\n"
		     "  \"choices\": %ld,\n  \"preemptions\": %ld,\n  \"minimal_choices\": %ld,\n"
		     "  \"minimal_preemptions\": %ld",
		r->depth, r->seed, r->schedules, r->steps_hint, r->seconds, r->status, r->replays,
		r->replayed, r->choices, r->preemptions, r->min_choices, r->min_preemptions);
	ex_json_str(out, "decisions", r->decisions);
	ex_json_str(out, "minimal", r->minimal);
	ex_json_str(out, "replay", r->replay_cmd[0] != '\0' ? r->replay_cmd : NULL);
	ex_json_str(out, "stderr", r->detail);
	fprintf(out, ",\n  \"interleaving\": [");
	for (long i = 0; i < r->nstep; i++) {
		const struct tl_ex_step *s = &r->step[i];
		fprintf(out, "%s\n    {\"step\": %ld, \"thread\": \"T%d\", \"op\": ", i > 0 ? "," : "", s->step,
			s->thread);
		tl_put_json(out, s->op);
		fputs(", \"object\": ", out);
		tl_put_json(out, s->obj);
		fputs(", \"function\": ", out);
		tl_put_json(out, s->function);
		fputs(", \"site\": ", out);
		tl_put_json(out, s->site);
		fprintf(out, ", \"preempt\": %s}", s->preempt ? "true" : "false");
	}
	fprintf(out, "\n  ]\n}\n");
}

static const char ex_css[] =
	"body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-family:monospace}"
	"td,th{border:1px solid #ccc;padding:2px 8px;vertical-align:top}th{background:#eee}"
	"td.pre{background:#fdd}td.step{color:#888;text-align:right}pre{background:#f6f6f6;padding:1em}";

/* The table of the interleaving: a row per step, the step's cell in its thread's column. */
static void ex_html_steps(FILE *out, const struct tl_ex_report *r)
{
	struct ex_legend l = { .n = 0 };
	char name[48];
	fprintf(out, "<table>\n<tr><th>step</th>");
	for (int t = 0; t < r->threads; t++)
		fprintf(out, "<th>T%d</th>", t);
	fprintf(out, "</tr>\n");
	for (long i = 0; i < r->nstep; i++) {
		const struct tl_ex_step *s = &r->step[i];
		fprintf(out, "<tr><td class=\"step\">%ld</td>", s->step);
		for (int t = 0; t < r->threads; t++) {
			if (t != s->thread) {
				fputs("<td></td>", out);
				continue;
			}
			fprintf(out, "<td class=\"%s\" title=\"", s->preempt ? "pre" : "");
			tl_put_xml(out, s->function, 1);
			fputs("\">", out);
			tl_put_xml(out, s->op, 1);
			fprintf(out, " %s ", ex_name(&l, s->obj, name, sizeof name));
			tl_put_xml(out, ex_base(s->site), 1);
			fputs(s->preempt ? " &#x21e5;</td>" : "</td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</table>\n<p>", out);
	for (int i = 0; i < l.n; i++)
		fprintf(out, "%c = %s<br>", 'A' + i, l.obj[i]);
	fputs("</p>\n", out);
}

void tl_ex_html(FILE *out, const struct tl_ex_report *r)
{
	fprintf(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>threadlab explore</title>"
		     "<style>%s</style></head><body>\n<h1>threadlab explore: ", ex_css);
	tl_put_xml(out, r->program, 1);
	fputs("</h1>\n<pre>", out);
	FILE *mem = tmpfile();
	if (mem != NULL) {
		int ch;
		ex_text_head(mem, r);
		ex_text_detail(mem, r->detail);
		rewind(mem);
		char buf[2] = { 0 };
		while ((ch = fgetc(mem)) != EOF) {
			buf[0] = (char)ch;
			tl_put_xml(out, buf, 1);
		}
		fclose(mem);
	}
	fputs("</pre>\n<p>Red cells: the thread was preempted there (another thread ran next).</p>\n", out);
	if (r->nstep > 0)
		ex_html_steps(out, r);
	fputs("</body></html>\n", out);
}
