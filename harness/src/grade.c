/* grade.c: scores a lab's results against the rubric, with feedback for every lost point. */
#include <stdarg.h>
#include <string.h>

#include "stages.h"

/* Appends printf-style text to BUF (of size LEN), truncating silently. */
static void append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	if (used + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* What went wrong, where, and the lab's lesson: one finding. */
static void describe(char *buf, size_t len, const struct tl_lab *lab, const struct tl_finding *f)
{
	append(buf, len, "%s %s", tl_tool_name(f->tool), tl_kind_name(f->kind));
	if (f->site.file[0] != '\0')
		append(buf, len, " at %s:%d%s%s", f->site.file, f->site.line, f->site.function[0] ? " in " : "",
		       f->site.function);
	if (f->kind == TL_KIND_RACE && f->other.file[0] != '\0')
		append(buf, len, " (racing with %s:%d)", f->other.file, f->other.line);
	append(buf, len, ": %s. ", f->message);
	(void)lab;
}

/* Appends the lab's lesson and first hint, when the kinds FOUND include one the lab declares
 * for its buggy version under some tool: the lesson explains that bug, not a crash or a hang
 * the submission brought in by other means (a thread bomb, an early exit). */
static void lesson(char *buf, size_t len, const struct tl_lab *lab, tl_kindset found)
{
	tl_kindset declared = 0;
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		declared |= lab->expect[TL_BUGGY][tool].kinds;
	if (!(found & declared))
		return;
	append(buf, len, "Lesson (%s): %s.", lab->slug, lab->lesson);
	if (lab->nhint > 0)
		append(buf, len, " Hint: %s", lab->hint[0]);
}

/* The findings of the tools that bear on ITEM. */
static int item_tool(enum tl_item item)
{
	switch (item) {
	case TL_ITEM_TESTS:
		return TL_TOOL_TEST;
	case TL_ITEM_TSAN:
		return TL_TOOL_TSAN;
	case TL_ITEM_HELGRIND:
		return TL_TOOL_HELGRIND;
	case TL_ITEM_THREADS:
		return TL_TOOL_THREADCHECK;
	case TL_ITEM_FINISHES:
	case TL_ITEM_COUNT:
		break;
	}
	return -1;
}

static const tl_kindset stops = TL_KINDSET(TL_KIND_TIMEOUT) | TL_KINDSET(TL_KIND_DEADLOCK) |
				TL_KINDSET(TL_KIND_CRASH) | TL_KINDSET(TL_KIND_BUILD_ERROR);

/* Whether the lab's tests ran but reported no test case without hanging, crashing or failing
 * to build: the process ended early (exit(), _exit(), pthread_exit() from the main thread...).
 * A program that stops before its work shows the detectors nothing, so then no item is earned. */
static int ended_early(const struct tl_target *t)
{
	const struct tl_result *r = &t->result[TL_TOOL_TEST];
	return r->status == TL_ST_RAN && r->tests_total == 0 && !(r->kinds & stops);
}

/* The "finishes" item: lost to any deadlock, hang, crash or build error under any tool. */
static void score_finishes(struct tl_grade_item *it, const struct tl_lab *lab, const struct tl_target *t)
{
	int ok = 1;
	tl_kindset found = 0;
	for (int k = 0; k < TL_TOOL_COUNT; k++) {
		const struct tl_result *r = &t->result[k];
		for (size_t f = 0; f < r->findings.n; f++) {
			/* A hang the judge dismissed (Helgrind out of time on a program the others
			 * finished) is the tool's, not the program's. */
			if (!(TL_KINDSET(r->findings.v[f].kind) & stops) || r->findings.v[f].dismissed != NULL)
				continue;
			if (ok)
				append(it->feedback, sizeof it->feedback, "Lost %g: ", it->max);
			ok = 0;
			found |= TL_KINDSET(r->findings.v[f].kind);
			describe(it->feedback, sizeof it->feedback, lab, &r->findings.v[f]);
		}
	}
	if (ok)
		it->points = it->max;
	else
		lesson(it->feedback, sizeof it->feedback, lab, found);
}

/* An item earned from one tool's runs R (ITEM: which): clean on every run, or for the tests
 * the share of test cases that passed on the worst of the RUNS runs. */
static void score_tool_item(struct tl_grade_item *it, enum tl_item item, const struct tl_lab *lab,
			    const struct tl_result *r, enum tl_tool tool, int runs)
{
	if (r->status != TL_ST_RAN) {
		append(it->feedback, sizeof it->feedback, "Lost %g: %s could not check this lab (%s): %s", it->max,
		       tl_tool_name(tool), tl_status_name(r->status), r->note);
		return;
	}
	if (item == TL_ITEM_TESTS && r->tests_total > 0 && !(r->kinds & stops)) {
		/* Partial credit: the share of test cases that passed on the worst of the runs. */
		int passed = r->tests_passed_min < 0 ? 0 : r->tests_passed_min;
		it->points = it->max * passed / r->tests_total;
		if (passed < r->tests_total)
			append(it->feedback, sizeof it->feedback, "Lost %g: %d of %d tests failed (worst of %d runs). ",
			       it->max - it->points, r->tests_total - passed, r->tests_total, runs);
	} else if (r->kept == 0) {
		/* Only what the judge kept counts: a report it dismissed (a tool's known blind spot,
		 * judge.def) costs nothing. */
		it->points = it->max;
	} else {
		append(it->feedback, sizeof it->feedback, "Lost %g: ", it->max);
	}
	if (it->points < it->max) {
		for (size_t f = 0; f < r->findings.n; f++)
			if (r->findings.v[f].dismissed == NULL)
				describe(it->feedback, sizeof it->feedback, lab, &r->findings.v[f]);
		lesson(it->feedback, sizeof it->feedback, lab, r->kept);
	}
}

void tl_grade_score(const struct tl_rubric *rub, struct tl_grade_lab *gl, int runs)
{
	const struct tl_lab *lab = gl->lab;
	const struct tl_target *t = gl->target;
	const int early = !gl->tampered && ended_early(t);
	gl->points = gl->max = 0;
	for (int i = 0; i < TL_ITEM_COUNT; i++) {
		struct tl_grade_item *it = &gl->item[i];
		it->max = tl_rubric_points(rub, lab->slug, (enum tl_item)i);
		it->points = 0;
		it->feedback[0] = '\0';
		gl->max += it->max;
		if (gl->tampered) {
			append(it->feedback, sizeof it->feedback, "Refused: %s. Lab code may not switch the detectors off or reach outside its lab.",
			       gl->note);
			continue;
		}
		if (early) {
			append(it->feedback, sizeof it->feedback, "Lost %g: the lab's tests ended without reporting a single result, so the program stopped before its work was done (does the lab code end the process or the main thread?) and a clean run proves nothing. ",
			       it->max);
			continue;
		}
		int tool = item_tool((enum tl_item)i);
		if (i == TL_ITEM_FINISHES)
			score_finishes(it, lab, t);
		else
			score_tool_item(it, (enum tl_item)i, lab, &t->result[tool], (enum tl_tool)tool, runs);
		gl->points += it->points;
	}
}
