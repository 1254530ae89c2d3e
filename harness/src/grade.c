/* grade.c: scores a lab's submission on the lab's derived rubric (earning checks and gates), with feedback for every lost point. */
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

/* What went wrong and where: one finding. */
static void describe(char *buf, size_t len, const struct tl_finding *f)
{
	append(buf, len, "%s %s", tl_tool_name(f->tool), tl_kind_name(f->kind));
	if (f->site.file[0] != '\0')
		append(buf, len, " at %s:%d%s%s", f->site.file, f->site.line, f->site.function[0] ? " in " : "",
		       f->site.function);
	if (f->kind == TL_KIND_RACE && f->other.file[0] != '\0')
		append(buf, len, " (racing with %s:%d)", f->other.file, f->other.line);
	append(buf, len, ": %s. ", f->message);
}

/* The one place that says whether a finding counts against its tool's check: every finding
 * does, but those a judge's rule set aside (a tool's known blind spot, judge.def); a check sees
 * only the findings that count. */
static int counts(const struct tl_finding *f)
{
	return f->dismissed == NULL;
}

/* The kinds of R's findings that count. */
static tl_kindset counted_kinds(const struct tl_result *r)
{
	tl_kindset k = 0;
	for (size_t f = 0; f < r->findings.n; f++)
		if (counts(&r->findings.v[f]))
			k |= TL_KINDSET(r->findings.v[f].kind);
	return k;
}

/* Appends the findings of R that count and that PICK selects with CTX (PICK NULL: all). */
static void describe_all(char *buf, size_t len, const struct tl_result *r,
			 int (*pick)(const struct tl_finding *f, const void *ctx), const void *ctx)
{
	for (size_t f = 0; f < r->findings.n; f++)
		if (counts(&r->findings.v[f]) && (pick == NULL || pick(&r->findings.v[f], ctx)))
			describe(buf, len, &r->findings.v[f]);
}

/* The lab's lesson and first hint: for a failed earning check, whose failure is the lab's bug
 * still there when its tool reports a kind it reports on the handout (a test case that fails
 * on the handout failing again, a detector's race where the handout has its race); not for a
 * crash or a hang the submission brought in by other means. A gate's failure is a new problem:
 * the kind's own explanation instead. */
static void lesson(char *buf, size_t len, const struct tl_lab *lab, const struct tl_check *c, tl_kindset found)
{
	tl_kindset taught = c->kind == TL_CHECK_TOOL ? c->handout : TL_KINDSET(TL_KIND_TEST_FAIL);
	if (!c->gate && (found & taught)) {
		append(buf, len, "Lesson (%s): %s.", lab->slug, lab->lesson);
		if (lab->nhint > 0)
			append(buf, len, " Hint: %s", lab->hint[0]);
		return;
	}
	for (int k = 0; k < TL_KIND_COUNT; k++)
		if (found & TL_KINDSET(k)) {
			append(buf, len, "What a %s is: %s", tl_kind_name((enum tl_kind)k), tl_explain_short((enum tl_kind)k));
			return;
		}
}

/* Whether the tests ran far enough to say which cases pass: they reported their cases and
 * nothing but failed cases (no hang, crash, build error or interference). */
static int tests_judged(const struct tl_result *r)
{
	return r->status == TL_ST_RAN && r->tests_total > 0 && (counted_kinds(r) & ~TL_KINDSET(TL_KIND_TEST_FAIL)) == 0;
}

/* Whether F is the failure of test case CTX (a TEST check's case name). */
static int is_case(const struct tl_finding *f, const void *ctx)
{
	return f->kind == TL_KIND_TEST_FAIL && strcmp(f->site.function, ctx) == 0;
}

/* Whether F is a failed test case that no TEST check of the rubric CTX names. */
static int other_case(const struct tl_finding *f, const void *ctx)
{
	const struct tl_lab_rubric *rub = ctx;
	if (f->kind != TL_KIND_TEST_FAIL)
		return 0;
	for (int i = 0; i < rub->n; i++)
		if (rub->check[i].kind == TL_CHECK_TEST && strcmp(rub->check[i].test, f->site.function) == 0)
			return 0;
	return 1;
}

/* Whether a finding of R that counts is one PICK selects with CTX. */
static int any(const struct tl_result *r, int (*pick)(const struct tl_finding *f, const void *ctx), const void *ctx)
{
	for (size_t f = 0; f < r->findings.n; f++)
		if (counts(&r->findings.v[f]) && pick(&r->findings.v[f], ctx))
			return 1;
	return 0;
}

/* Whether check C passed on the results of GL's target and, for the explored schedules, on
 * GL's exploration. */
static int check_passed(const struct tl_check *c, const struct tl_grade_lab *gl)
{
	const struct tl_lab_rubric *rub = &gl->rubric;
	const struct tl_result *r = &gl->target->result[c->tool];
	switch (c->kind) {
	case TL_CHECK_TOOL:
		return r->status == TL_ST_RAN && counted_kinds(r) == c->want;
	case TL_CHECK_TEST:
		return tests_judged(r) && !any(r, is_case, c->test);
	case TL_CHECK_TESTS:
		return tests_judged(r) && !any(r, other_case, rub);
	case TL_CHECK_EXPLORE:
		return gl->explored && !gl->explore_failed;
	case TL_CHECK_COUNT:
		break;
	}
	return 0;
}

/* Appends why the explored schedules' check C failed: what the exploration said (the failing
 * schedule and its replay command), and the lab's lesson when a schedule failed, that being the
 * lab's bug under an interleaving the other runs did not meet. */
static void why_explore_failed(char *fb, size_t len, const struct tl_check *c, const struct tl_grade_lab *gl)
{
	if (!gl->explored) {
		append(fb, len, "the schedule explorer could not check this lab: %s. ",
		       gl->explore_what[0] != '\0' ? gl->explore_what : "it was not run");
		return;
	}
	append(fb, len, "under threadcheck's schedule explorer (%d schedules), the program %s. Run the replay "
			"command in your checkout to see the interleaving step by step. ",
	       c->schedules, gl->explore_what);
	append(fb, len, "Lesson (%s): %s.", gl->lab->slug, gl->lab->lesson);
	if (gl->lab->nhint > 0)
		append(fb, len, " Hint: %s", gl->lab->hint[0]);
}

/* Appends why check C failed on R (RUB: the lab's rubric): the tool's state and the findings
 * that bear on it, then the lesson or the kind's explanation. */
static void why_failed(char *fb, size_t len, const struct tl_check *c, const struct tl_grade_lab *gl)
{
	const struct tl_lab_rubric *rub = &gl->rubric;
	const struct tl_lab *lab = gl->lab;
	const struct tl_result *r = &gl->target->result[c->tool];
	if (c->kind == TL_CHECK_EXPLORE) {
		why_explore_failed(fb, len, c, gl);
		return;
	}
	if (r->status != TL_ST_RAN) {
		append(fb, len, "%s could not check this lab (%s): %s. ", tl_tool_name(c->tool), tl_status_name(r->status),
		       r->note);
		return;
	}
	if (c->kind == TL_CHECK_TOOL && counted_kinds(r) == 0) {
		char want[128];
		append(fb, len, "%s reported nothing, where a fix makes it report %s. ", tl_tool_name(c->tool),
		       tl_kindset_str(c->want, want, sizeof want));
	} else if (c->kind == TL_CHECK_TOOL)
		describe_all(fb, len, r, NULL, NULL);
	else if (!tests_judged(r)) {
		append(fb, len, "the tests did not run to the end: ");
		describe_all(fb, len, r, NULL, NULL);
	} else if (c->kind == TL_CHECK_TEST)
		describe_all(fb, len, r, is_case, c->test);
	else
		describe_all(fb, len, r, other_case, rub);
	lesson(fb, len, lab, c, counted_kinds(r));
}

/* What a check is, for the feedback of one that held: "threadcheck reports nothing". */
static void held(char *fb, size_t len, const struct tl_check *c)
{
	char kinds[128];
	switch (c->kind) {
	case TL_CHECK_TOOL:
		append(fb, len, "Held, no points: %s reports %s, as it does on the handout; failing it would cost %.3g.",
		       tl_tool_name(c->tool), c->want ? tl_kindset_str(c->want, kinds, sizeof kinds) : "nothing", c->points);
		return;
	case TL_CHECK_TEST:
	case TL_CHECK_TESTS:
		append(fb, len, "Held, no points: the %d test case(s) that pass on the handout still pass; failing them would cost %.3g.",
		       c->covers, c->points);
		return;
	case TL_CHECK_EXPLORE:
		append(fb, len, "Held, no points: the program survives %d explored schedules; failing would cost %.3g.",
		       c->schedules, c->points);
		return;
	case TL_CHECK_COUNT:
		break;
	}
}

static const tl_kindset stops = TL_KINDSET(TL_KIND_TIMEOUT) | TL_KINDSET(TL_KIND_DEADLOCK) |
				TL_KINDSET(TL_KIND_CRASH) | TL_KINDSET(TL_KIND_BUILD_ERROR);

/* Whether the lab's tests ran but reported no test case without hanging, crashing or failing
 * to build: the process ended early (exit(), _exit(), pthread_exit() from the main thread...).
 * A program that stops before its work shows the detectors nothing, so then nothing is earned
 * (and no gate can be said to hold). */
static int ended_early(const struct tl_target *t)
{
	const struct tl_result *r = &t->result[TL_TOOL_TEST];
	return r->status == TL_ST_RAN && r->tests_total == 0 && !(r->kinds & stops);
}

/* Scores item IT (its check set) of GL: earned or lost, held or broken, with feedback. A broken
 * gate's cost is taken later (tl_grade_score), from what the lab earned. */
static void score_item(struct tl_grade_item *it, const struct tl_grade_lab *gl, int early)
{
	const struct tl_check *c = &it->check;
	char *fb = it->feedback;
	const size_t len = sizeof it->feedback;
	it->max = c->gate ? 0 : c->points;
	it->points = 0;
	it->outcome = c->gate ? TL_OUT_BROKEN : TL_OUT_LOST;
	if (gl->tampered) {
		append(fb, len, "Refused: %s. Lab code may not switch the detectors off or reach outside its lab.", gl->note);
		return;
	}
	if (early) {
		append(fb, len, "%s %.3g: the lab's tests ended without reporting a single result, so the program stopped before its work was done (does the lab code end the process or the main thread?) and a clean run proves nothing. ",
		       c->gate ? "Gate not shown to hold, may cost" : "Lost", c->points);
		return;
	}
	if (check_passed(c, gl)) {
		it->outcome = c->gate ? TL_OUT_HELD : TL_OUT_EARNED;
		it->points = it->max;
		if (c->gate)
			held(fb, len, c);
		return;
	}
	append(fb, len, c->gate ? "Gate failed, costs up to %.3g (it passes on the handout: your change brought this in): "
				: "Lost %.3g: ",
	       c->points);
	why_failed(fb, len, c, gl);
}

void tl_grade_score(struct tl_grade_lab *gl)
{
	const int early = !gl->tampered && ended_early(gl->target);
	gl->nitem = gl->rubric.n;
	gl->max = gl->rubric.max;
	gl->points = 0;
	for (int i = 0; i < gl->nitem; i++) {
		struct tl_grade_item *it = &gl->item[i];
		memset(it, 0, sizeof *it);
		it->check = gl->rubric.check[i];
		score_item(it, gl, early);
		gl->points += it->points;
	}
	/* A broken gate takes its cost from what the lab earned, never below 0: its item shows what
	 * it took, so that the items add up to the lab's points. */
	for (int i = 0; i < gl->nitem; i++) {
		struct tl_grade_item *it = &gl->item[i];
		if (it->outcome != TL_OUT_BROKEN)
			continue;
		double take = it->check.points < gl->points ? it->check.points : gl->points;
		it->points = -take;
		gl->points -= take;
	}
}
