/* report_platform.c: prints a grade as a course platform's result file: PrairieLearn's external grader results.json, or Classroom 50's result/v1 (the part threadlab knows). */
#include <string.h>

#include "stages.h"

/* Classroom 50 caps a test's name at 100 bytes (schemas/tests-v1.schema.json). */
#define C50_NAME_MAX 100

/* The one line every platform's result carries: how the grade was made, and in what sandbox. */
static void how_graded(const struct tl_grade *g, char *buf, size_t len)
{
	snprintf(buf, len, "Graded by threadlab; each tool ran %d time(s) per lab.%s Sandbox: %s", g->runs,
		 g->unsafe ? " UNSAFE: graded with --unsafe-no-sandbox." : "", g->sandbox);
}

/* What item K of lab GL says to the student: its feedback, with the lab's note (a missing or
 * refused file) in front, or "ok". */
static void item_message(const struct tl_grade_lab *gl, int k, char *buf, size_t len)
{
	const char *fb = gl->item[k].feedback[0] != '\0' ? gl->item[k].feedback : "ok";
	if (gl->note[0] != '\0')
		snprintf(buf, len, "%s (%s)", fb, gl->note);
	else
		snprintf(buf, len, "%s", fb);
}

/* The platforms take no negative points, so a broken gate (an item of max 0 whose points are
 * minus what it took) shows 0 and its cost comes off the lab's earned items, in order: SHOWN[k]
 * (GL's item count of them) then adds up to the lab's points. */
static void shown_points(const struct tl_grade_lab *gl, double *shown)
{
	double debt = 0;
	for (int k = 0; k < gl->nitem; k++) {
		shown[k] = gl->item[k].points < 0 ? 0 : gl->item[k].points;
		debt += gl->item[k].points < 0 ? -gl->item[k].points : 0;
	}
	for (int k = 0; k < gl->nitem && debt > 0; k++) {
		double take = shown[k] < debt ? shown[k] : debt;
		shown[k] -= take;
		debt -= take;
	}
}

/* An item's name and what it is, for a platform's test list. */
static void item_name(const struct tl_grade_lab *gl, int k, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s%s", gl->lab->slug, gl->item[k].check.name, gl->item[k].check.gate ? " (gate)" : "");
}

/* PrairieLearn (https://prairielearn.readthedocs.io/en/latest/externalGrading/#grading-results):
 * score in [0, 1], gradable, and one test per lab item with its points and message. */
void tl_grade_prairielearn(FILE *out, const struct tl_grade *g)
{
	char line[1024], msg[2048];
	double score = g->max > 0 ? g->points / g->max : 0;
	fprintf(out, "{\"gradable\":true,\"score\":%.4f,\"message\":", score < 0 ? 0 : score > 1 ? 1 : score);
	snprintf(line, sizeof line, "%.1f of %.1f points", g->points, g->max);
	tl_put_json(out, line);
	fprintf(out, ",\"output\":");
	how_graded(g, line, sizeof line);
	tl_put_json(out, line);
	fprintf(out, ",\"tests\":[");
	int first = 1;
	for (size_t i = 0; i < g->n; i++) {
		const struct tl_grade_lab *gl = &g->labs[i];
		double shown[TL_CHECKS_MAX];
		shown_points(gl, shown);
		for (int k = 0; k < gl->nitem; k++) {
			item_name(gl, k, line, sizeof line);
			fprintf(out, "%s{\"name\":", first ? "" : ",");
			first = 0;
			tl_put_json(out, line);
			fprintf(out, ",\"description\":");
			tl_put_json(out, gl->item[k].check.gate ? "a gate: passes on the handout, costs points when broken"
								 : "a check the handout fails and a fix passes");
			fprintf(out, ",\"points\":%.2f,\"max_points\":%.2f,\"message\":", shown[k], gl->item[k].max);
			item_message(gl, k, msg, sizeof msg);
			tl_put_json(out, msg);
			fputc('}', out);
		}
	}
	fprintf(out, "]}\n");
}

/* Classroom 50 counts whole points. Each item of GL gets a whole maximum M[k], the lab's
 * maximum shared out by largest remainder (so that 2.5 + 2.5 + 5 stays 10, not 2 + 2 + 5), and
 * whole points P[k]: all of M[k] when the item shows all its points, else its share rounded
 * down. */
static void whole_points(const struct tl_grade_lab *gl, long *m, long *p)
{
	double shown[TL_CHECKS_MAX], total = 0;
	shown_points(gl, shown);
	long given = 0;
	for (int k = 0; k < gl->nitem; k++) {
		double max = gl->item[k].max > 0 ? gl->item[k].max : 0;
		m[k] = (long)(max + 1e-9);
		given += m[k];
		total += max;
	}
	for (long left = (long)(total + 0.5) - given; left > 0; left--) {
		int best = -1;
		double frac = 1e-9;
		for (int k = 0; k < gl->nitem; k++) {
			double f = gl->item[k].max - (double)m[k];
			if (f > frac) { /* an item already rounded up has f < 0 */
				frac = f;
				best = k;
			}
		}
		if (best < 0)
			break;
		m[best]++;
	}
	for (int k = 0; k < gl->nitem; k++) {
		double max = gl->item[k].max;
		p[k] = max <= 0 ? 0 : shown[k] + 1e-9 >= max ? m[k] : (long)(shown[k] / max * (double)m[k] + 1e-9);
	}
}

/* Classroom 50 (schemas/result-v1.schema.json of foundation50/classroom50): integer scores,
 * one test per lab item. The runner's fields (classroom, assignment, owner, submission, links,
 * dates) are the bundle's autograder.py's to add: they come from the runner's environment.
 * The schema allows no field of threadlab's at the top, so how the grade was made (the sandbox)
 * is a first test worth no points. */
void tl_grade_classroom50(FILE *out, const struct tl_grade *g)
{
	char name[C50_NAME_MAX + 1], msg[2048], line[1024];
	long score = 0, max = 0;
	for (size_t i = 0; i < g->n; i++) {
		long m[TL_CHECKS_MAX], p[TL_CHECKS_MAX];
		whole_points(&g->labs[i], m, p);
		for (int k = 0; k < g->labs[i].nitem; k++) {
			max += m[k];
			score += p[k];
		}
	}
	fprintf(out, "{\"schema\":\"classroom50/result/v1\",\"score\":%ld,\"max-score\":%ld,\"tests\":[", score, max);
	how_graded(g, line, sizeof line);
	fprintf(out, "{\"test-name\":\"how this was graded\",\"passed\":%s,\"score\":0,\"max-score\":0,\"message\":",
		g->unsafe ? "false" : "true");
	tl_put_json(out, line);
	fputc('}', out);
	for (size_t i = 0; i < g->n; i++) {
		const struct tl_grade_lab *gl = &g->labs[i];
		long m[TL_CHECKS_MAX], p[TL_CHECKS_MAX];
		whole_points(gl, m, p);
		for (int k = 0; k < gl->nitem; k++) {
			const struct tl_grade_item *it = &gl->item[k];
			item_name(gl, k, name, sizeof name);
			fprintf(out, ",{\"test-name\":");
			tl_put_json(out, name);
			fprintf(out, ",\"passed\":%s,\"score\":%ld,\"max-score\":%ld,\"message\":",
				it->outcome == TL_OUT_EARNED || it->outcome == TL_OUT_HELD ? "true" : "false", p[k], m[k]);
			item_message(gl, k, msg, sizeof msg);
			tl_put_json(out, msg);
			fputc('}', out);
		}
	}
	fprintf(out, "]}\n");
}
