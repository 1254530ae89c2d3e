/* test_rubric.c: the derived rubric (what earns, what is a gate, how points split), the scoring of earning checks and gates, and the handout record's staleness checks, on lab 01 and on made-up results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "stages.h"

/* Lab NN as the toolkit declares it (run from the repository's top folder). */
static struct tl_lab *lab_nn(const char *nn)
{
	struct tl_lab *labs = NULL;
	size_t n = 0;
	char err[1024] = "";
	if (tl_discover(".", nn, &labs, &n, err, sizeof err) != 0 || n != 1)
		fail_msg("cannot read lab %s: %s", nn, err);
	return labs;
}

static struct tl_lab *lab01(void)
{
	return lab_nn("01");
}

/* Whether X is Y to within a thousandth. */
static int near(double x, double y)
{
	return x > y - 0.001 && x < y + 0.001;
}

/* The rubric of lab NN with the rubric file text TEXT (NULL: the defaults) into RUB. */
static void rubric_with(const char *nn, const char *text, struct tl_lab_rubric *rub)
{
	char path[] = "/tmp/tl-rubric-XXXXXX", err[1024] = "";
	struct tl_rubric r;
	int fd = text != NULL ? mkstemp(path) : -1;
	if (text != NULL) {
		assert_true(fd >= 0);
		assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
		close(fd);
	}
	struct tl_lab *lab = lab_nn(nn);
	assert_int_equal(tl_rubric_load(text != NULL ? path : NULL, &r, err, sizeof err), 0);
	if (tl_rubric_for_lab(&r, lab, rub, err, sizeof err) != 0)
		fail_msg("%s", err);
	if (text != NULL)
		unlink(path);
	free(lab);
}

/* The check named NAME of RUB, or a failure. */
static const struct tl_check *check_named(const struct tl_lab_rubric *rub, const char *name)
{
	for (int i = 0; i < rub->n; i++)
		if (strcmp(rub->check[i].name, name) == 0)
			return &rub->check[i];
	fail_msg("no check %s", name);
	return NULL;
}

#define CASE "test_concurrent_handlers_count_every_request"

/* Lab 01: TSan and Helgrind see its race and nothing on the fix, one test case fails on the
 * handout: those earn (2.5, 2.5, 5); threadcheck and the other four of its five cases (the
 * monitor's contract among them) are gates. */
static void test_lab01_rubric(void **state)
{
	(void)state;
	struct tl_lab *lab = lab01();
	struct tl_rubric r;
	struct tl_lab_rubric rub;
	char err[1024] = "";
	assert_int_equal(tl_rubric_load(NULL, &r, err, sizeof err), 0);
	if (tl_rubric_for_lab(&r, lab, &rub, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(rub.n, 5);
	assert_true(rub.max > 9.999 && rub.max < 10.001);
	const struct tl_check *tsan = check_named(&rub, "tsan"), *tc = check_named(&rub, "threadcheck");
	const struct tl_check *one = check_named(&rub, "test:" CASE), *rest = check_named(&rub, "tests");
	assert_false(tsan->gate);
	assert_true(tsan->points > 2.499 && tsan->points < 2.501);
	assert_false(check_named(&rub, "helgrind")->gate);
	assert_false(one->gate);
	assert_true(one->points > 4.999 && one->points < 5.001);
	assert_true(tc->gate);
	assert_true(rest->gate);
	assert_int_equal(rest->covers, 4);
	free(lab);
}

/* A rubric file changes the lab's points, the detectors' and tests' weights and a gate's cost;
 * an unknown key (the old per-item names among them) is refused. */
static void test_rubric_file(void **state)
{
	(void)state;
	char path[] = "/tmp/tl-rubric-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "default.gate: 3\n01-counter.points: 20\n01-counter.detectors: 3   # three quarters\n";
	assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);
	struct tl_lab *lab = lab01();
	struct tl_rubric r;
	struct tl_lab_rubric rub;
	char err[1024] = "";
	assert_int_equal(tl_rubric_load(path, &r, err, sizeof err), 0);
	if (tl_rubric_for_lab(&r, lab, &rub, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_true(rub.max > 19.999 && rub.max < 20.001);
	assert_true(check_named(&rub, "tsan")->points > 7.499 && check_named(&rub, "tsan")->points < 7.501);
	assert_true(check_named(&rub, "test:" CASE)->points > 4.999 && check_named(&rub, "test:" CASE)->points < 5.001);
	assert_true(check_named(&rub, "threadcheck")->points > 2.999 && check_named(&rub, "threadcheck")->points < 3.001);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs("default.finishes: 1\n", f);
	fclose(f);
	assert_int_equal(tl_rubric_load(path, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "Bad line"));
	unlink(path);
	free(lab);
}

/* The check named NAME of RUB, or NULL. */
static const struct tl_check *find_check(const struct tl_lab_rubric *rub, const char *name)
{
	for (int i = 0; i < rub->n; i++)
		if (strcmp(rub->check[i].name, name) == 0)
			return &rub->check[i];
	return NULL;
}

/* Lab 08 declares explore: 100, which the handout fails and the solution survives: the
 * explored schedules earn, a third of the lab beside the detectors' third (threadcheck) and
 * the tests' (its two failing cases). The rubric's explore key weighs them; weighed 0, the
 * check is gone and the lab is split as before. */
static void test_explore_rubric(void **state)
{
	(void)state;
	struct tl_lab_rubric rub;
	rubric_with("08", NULL, &rub);
	const struct tl_check *ex = check_named(&rub, "explore:100");
	assert_int_equal(ex->kind, TL_CHECK_EXPLORE);
	assert_false(ex->gate);
	assert_int_equal(ex->schedules, 100);
	assert_true(near(ex->points, 10.0 / 3));
	assert_true(near(check_named(&rub, "threadcheck")->points, 10.0 / 3));
	assert_true(near(check_named(&rub, "test:test_every_job_runs")->points, 10.0 / 6));
	assert_true(near(rub.max, 10));
	rubric_with("08", "08-workerpool.explore: 2\n", &rub);
	assert_true(near(check_named(&rub, "explore:100")->points, 5));
	assert_true(near(check_named(&rub, "threadcheck")->points, 2.5));
	rubric_with("08", "default.explore: 0\n", &rub);
	assert_null(find_check(&rub, "explore:100"));
	assert_true(near(check_named(&rub, "threadcheck")->points, 5));
	/* Lab 01 declares no explore: no such check. */
	rubric_with("01", NULL, &rub);
	for (int i = 0; i < rub.n; i++)
		assert_int_not_equal(rub.check[i].kind, TL_CHECK_EXPLORE);
}

/* A lab that only its tests tell apart (lab 17's kind): the tests earn all the points. */
static void test_tests_only(void **state)
{
	(void)state;
	struct tl_lab *lab = lab01();
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		if (tool != TL_TOOL_TEST)
			lab->expect[TL_BUGGY][tool].kinds = 0;
	struct tl_record rec = {.tests = 5, .nfail = 2};
	strcpy(rec.fail[0], "a");
	strcpy(rec.fail[1], "b");
	struct tl_rubric r;
	struct tl_lab_rubric rub;
	char err[1024] = "";
	assert_int_equal(tl_rubric_load(NULL, &r, err, sizeof err), 0);
	assert_int_equal(tl_rubric_derive(&r, lab, &rec, &rub, err, sizeof err), 0);
	assert_true(check_named(&rub, "test:a")->points > 4.999 && check_named(&rub, "test:a")->points < 5.001);
	assert_true(check_named(&rub, "tsan")->gate);
	assert_int_equal(check_named(&rub, "tests")->covers, 3);
	/* Nothing that tells the handout from a fix: no rubric. */
	lab->expect[TL_BUGGY][TL_TOOL_TEST].kinds = 0;
	rec.nfail = 0;
	assert_int_equal(tl_rubric_derive(&r, lab, &rec, &rub, err, sizeof err), -1);
	assert_non_null(strstr(err, "no check earns points"));
	free(lab);
}

/* Adds a finding of KIND to TOOL's result in T, at test case CASE_NAME for the tests. */
static void add_finding(struct tl_target *t, enum tl_tool tool, enum tl_kind kind, const char *case_name)
{
	struct tl_finding f;
	memset(&f, 0, sizeof f);
	f.tool = tool;
	f.kind = kind;
	snprintf(f.site.file, sizeof f.site.file, "labs/01-counter/counter.c");
	f.site.line = 33;
	snprintf(f.site.function, sizeof f.site.function, "%s", case_name != NULL ? case_name : "handler_loop");
	snprintf(f.message, sizeof f.message, "%s", tl_kind_name(kind));
	tl_findings_add(&t->result[tool].findings, &f);
	t->result[tool].kinds |= TL_KINDSET(kind);
}

/* A grade of lab 01 on a target whose every tool ran clean, 4 test cases. */
struct scored {
	struct tl_lab *lab;
	struct tl_target t;
	struct tl_grade_lab gl;
};

static void setup_scored_lab(struct scored *s, const char *nn)
{
	memset(s, 0, sizeof *s);
	s->lab = lab_nn(nn);
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
		s->t.result[tool].status = TL_ST_RAN;
		s->t.result[tool].runs = 1;
	}
	s->t.result[TL_TOOL_TEST].tests_total = 4;
	s->gl.lab = s->lab;
	s->gl.target = &s->t;
	struct tl_rubric r;
	char err[1024] = "";
	assert_int_equal(tl_rubric_load(NULL, &r, err, sizeof err), 0);
	if (tl_rubric_for_lab(&r, s->lab, &s->gl.rubric, err, sizeof err) != 0)
		fail_msg("%s", err);
}

static void setup_scored(struct scored *s)
{
	setup_scored_lab(s, "01");
}

static void free_scored(struct scored *s)
{
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		tl_findings_free(&s->t.result[tool].findings);
	free(s->lab);
}

static const struct tl_grade_item *item_named(const struct tl_grade_lab *gl, const char *name)
{
	for (int i = 0; i < gl->nitem; i++)
		if (strcmp(gl->item[i].check.name, name) == 0)
			return &gl->item[i];
	fail_msg("no item %s", name);
	return NULL;
}

/* What the handout does scores 0, with both gates held and the lesson on the lost points. */
static void test_score_handout(void **state)
{
	(void)state;
	struct scored *s = calloc(1, sizeof *s);
	setup_scored(s);
	add_finding(&s->t, TL_TOOL_TSAN, TL_KIND_RACE, NULL);
	add_finding(&s->t, TL_TOOL_HELGRIND, TL_KIND_RACE, NULL);
	add_finding(&s->t, TL_TOOL_TEST, TL_KIND_TEST_FAIL, CASE);
	tl_grade_score(&s->gl);
	assert_true(s->gl.points > -0.001 && s->gl.points < 0.001);
	assert_int_equal(item_named(&s->gl, "tsan")->outcome, TL_OUT_LOST);
	assert_non_null(strstr(item_named(&s->gl, "tsan")->feedback, "counter.c:33"));
	assert_non_null(strstr(item_named(&s->gl, "tsan")->feedback, "Lesson (01-counter)"));
	assert_non_null(strstr(item_named(&s->gl, "test:" CASE)->feedback, "Lesson (01-counter)"));
	assert_int_equal(item_named(&s->gl, "threadcheck")->outcome, TL_OUT_HELD);
	assert_int_equal(item_named(&s->gl, "tests")->outcome, TL_OUT_HELD);
	assert_non_null(strstr(item_named(&s->gl, "tests")->feedback, "Held, no points"));
	free_scored(s);
	free(s);
}

/* G: the grade of a submission by "alice" of the one lab GL. */
static void one_lab_grade(struct tl_grade *g, struct tl_grade_lab *gl)
{
	memset(g, 0, sizeof *g);
	tl_strlcpy(g->submission, "alice", sizeof g->submission);
	tl_strlcpy(g->sandbox, "test", sizeof g->sandbox);
	g->runs = 1;
	g->labs = gl;
	g->n = 1;
	g->points = gl->points;
	g->max = gl->max;
}

/* The grade of GL alone, in each pass/fail format, passes validate-report: a broken gate's
 * negative score keeps Gradescope's tests adding up to the score, JUnit's and TAP's counts
 * match their cases. */
static void assert_valid_reports(struct tl_grade_lab *gl)
{
	static const char *const formats[] = {"gradescope", "junit", "tap"};
	struct tl_grade g;
	one_lab_grade(&g, gl);
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		char path[] = "/tmp/tl-report-XXXXXX", cmd[256];
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		FILE *f = fdopen(fd, "w");
		assert_non_null(f);
		tl_report_grade(f, formats[i], &g);
		fclose(f);
		snprintf(cmd, sizeof cmd, "harness/tests/hostile/validate-report %s %s 2>/dev/null", formats[i], path);
		int rc = system(cmd);
		unlink(path);
		if (rc != 0)
			fail_msg("%s report of a grade with a broken gate is not valid", formats[i]);
	}
}

/* A fix scores 10; the same fix leaking a thread breaks threadcheck's gate: 8, and that item
 * shows the 2 it took, with the kind's explanation rather than the lab's lesson. */
static void test_score_fix_and_gate(void **state)
{
	(void)state;
	struct scored *s = calloc(1, sizeof *s);
	setup_scored(s);
	tl_grade_score(&s->gl);
	assert_true(s->gl.points > 9.999 && s->gl.points < 10.001);
	add_finding(&s->t, TL_TOOL_THREADCHECK, TL_KIND_THREAD_LEAK, NULL);
	tl_grade_score(&s->gl);
	assert_true(s->gl.points > 7.999 && s->gl.points < 8.001);
	const struct tl_grade_item *tc = item_named(&s->gl, "threadcheck");
	assert_int_equal(tc->outcome, TL_OUT_BROKEN);
	assert_true(tc->points < -1.999 && tc->points > -2.001);
	assert_non_null(strstr(tc->feedback, "Gate failed"));
	assert_non_null(strstr(tc->feedback, "What a thread-leak is"));
	assert_null(strstr(tc->feedback, "Lesson"));
	assert_valid_reports(&s->gl);
	free_scored(s);
	free(s);
}

#define REPLAY "threadlab explore --replay 287:T10 --canary labs/08-workerpool"

/* Lab 08 with a fix that passes every run of every tool: full marks only when the program also
 * survived the explored schedules. A schedule that failed loses the explore item's third, with
 * the replay command and the lab's lesson in its feedback; an exploration that did not come to
 * a verdict earns nothing either. */
static void test_score_explore(void **state)
{
	(void)state;
	struct scored *s = calloc(1, sizeof *s);
	setup_scored_lab(s, "08");
	s->gl.explored = 1;
	tl_grade_score(&s->gl);
	assert_true(near(s->gl.points, 10));
	assert_int_equal(item_named(&s->gl, "explore:100")->outcome, TL_OUT_EARNED);
	s->gl.explore_failed = 1;
	snprintf(s->gl.explore_what, sizeof s->gl.explore_what,
		 "failed at schedule 52 (random, seed 51): the threads deadlocked; replay: " REPLAY);
	tl_grade_score(&s->gl);
	assert_true(near(s->gl.points, 10 - 10.0 / 3));
	const struct tl_grade_item *ex = item_named(&s->gl, "explore:100");
	assert_int_equal(ex->outcome, TL_OUT_LOST);
	assert_non_null(strstr(ex->feedback, "replay: " REPLAY));
	assert_non_null(strstr(ex->feedback, "Lesson (08-workerpool)"));
	assert_valid_reports(&s->gl);
	s->gl.explored = 0;
	s->gl.explore_failed = 0;
	snprintf(s->gl.explore_what, sizeof s->gl.explore_what, "explore could not run program");
	tl_grade_score(&s->gl);
	assert_true(near(s->gl.points, 10 - 10.0 / 3));
	assert_non_null(strstr(item_named(&s->gl, "explore:100")->feedback, "could not check this lab"));
	free_scored(s);
	free(s);
}

/* A test case that passes on the handout failing breaks the tests' gate, not the earning case;
 * gates never take the lab below 0, and the items add up to the lab's points. */
static void test_score_regression_floor(void **state)
{
	(void)state;
	struct scored *s = calloc(1, sizeof *s);
	setup_scored(s);
	add_finding(&s->t, TL_TOOL_TEST, TL_KIND_TEST_FAIL, "test_new_stats_start_at_zero");
	tl_grade_score(&s->gl);
	assert_int_equal(item_named(&s->gl, "test:" CASE)->outcome, TL_OUT_EARNED);
	assert_int_equal(item_named(&s->gl, "tests")->outcome, TL_OUT_BROKEN);
	assert_non_null(strstr(item_named(&s->gl, "tests")->feedback, "test_new_stats_start_at_zero"));
	assert_true(s->gl.points > 7.999 && s->gl.points < 8.001);
	add_finding(&s->t, TL_TOOL_TSAN, TL_KIND_RACE, NULL);
	add_finding(&s->t, TL_TOOL_HELGRIND, TL_KIND_RACE, NULL);
	add_finding(&s->t, TL_TOOL_THREADCHECK, TL_KIND_THREAD_LEAK, NULL);
	tl_grade_score(&s->gl);
	/* Earned 5 (the test case); the two broken gates take 2 each: 1 is left. */
	assert_true(s->gl.points > 0.999 && s->gl.points < 1.001);
	add_finding(&s->t, TL_TOOL_TEST, TL_KIND_TEST_FAIL, CASE);
	tl_grade_score(&s->gl);
	double sum = 0;
	for (int i = 0; i < s->gl.nitem; i++)
		sum += s->gl.item[i].points;
	assert_true(s->gl.points > -0.001 && s->gl.points < 0.001);
	assert_true(sum > -0.001 && sum < 0.001);
	free_scored(s);
	free(s);
}

/* A hang in the tests judges no test case: the earning case is lost and the tests' gate broken. */
static void test_score_tests_hang(void **state)
{
	(void)state;
	struct scored *s = calloc(1, sizeof *s);
	setup_scored(s);
	add_finding(&s->t, TL_TOOL_TEST, TL_KIND_TIMEOUT, NULL);
	tl_grade_score(&s->gl);
	assert_int_equal(item_named(&s->gl, "test:" CASE)->outcome, TL_OUT_LOST);
	assert_non_null(strstr(item_named(&s->gl, "test:" CASE)->feedback, "did not run to the end"));
	assert_int_equal(item_named(&s->gl, "tests")->outcome, TL_OUT_BROKEN);
	/* TSan and Helgrind earn 2.5 each; the broken gate takes 2. */
	assert_true(s->gl.points > 2.999 && s->gl.points < 3.001);
	free_scored(s);
	free(s);
}

/* G (one lab, GL) printed in FORMAT, as a malloc'd string. */
static char *grade_text(struct tl_grade_lab *gl, const char *format)
{
	struct tl_grade g;
	one_lab_grade(&g, gl);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	tl_report_grade(f, format, &g);
	fclose(f);
	return text;
}

/* A report the judge set aside costs nothing, and the formats that show a student's errors
 * (SARIF results, GitHub annotations) do not show it as one; JSON keeps it with its rule. */
static void test_dismissed_not_shown(void **state)
{
	(void)state;
	struct scored *s = calloc(1, sizeof *s);
	setup_scored(s);
	add_finding(&s->t, TL_TOOL_HELGRIND, TL_KIND_RACE, NULL);
	s->t.result[TL_TOOL_HELGRIND].findings.v[0].dismissed = "helgrind-c11-atomic";
	tl_grade_score(&s->gl);
	assert_true(s->gl.points > 9.999 && s->gl.points < 10.001);
	char *sarif = grade_text(&s->gl, "sarif"), *gh = grade_text(&s->gl, "github");
	char *json = grade_text(&s->gl, "json");
	assert_null(strstr(sarif, "\"ruleId\":\"race\""));
	assert_null(strstr(gh, "::error"));
	assert_non_null(strstr(json, "\"dismissed\":\"helgrind-c11-atomic\""));
	free(sarif);
	free(gh);
	free(json);
	/* The same report kept is an error in both, and costs Helgrind's points. */
	s->t.result[TL_TOOL_HELGRIND].findings.v[0].dismissed = NULL;
	tl_grade_score(&s->gl);
	assert_true(s->gl.points < 9.999);
	sarif = grade_text(&s->gl, "sarif");
	gh = grade_text(&s->gl, "github");
	assert_non_null(strstr(sarif, "\"ruleId\":\"race\""));
	assert_non_null(strstr(gh, "::error file=labs/01-counter/counter.c,line=33,"));
	free(sarif);
	free(gh);
	free_scored(s);
	free(s);
}

/* Items worth thirds and sixths: Gradescope's tests, rounded to hundredths, still add up to the
 * score (five items of 1.6667 each, rounded alone, show 8.35 for a lab at 8.33). */
static void test_gradescope_adds_up(void **state)
{
	(void)state;
	struct scored *s = calloc(1, sizeof *s);
	setup_scored(s);
	tl_grade_score(&s->gl);
	s->gl.points = 0;
	for (int k = 0; k < s->gl.nitem; k++) {
		s->gl.item[k].points = s->gl.item[k].max = 5.0 / 3;
		s->gl.points += 5.0 / 3;
	}
	assert_int_equal(s->gl.nitem, 5);
	s->gl.max = s->gl.points;
	assert_valid_reports(&s->gl);
	char *json = grade_text(&s->gl, "gradescope");
	assert_non_null(strstr(json, "{\"score\":8.33,"));
	free(json);
	free_scored(s);
	free(s);
}

/* Copies lab 01 and labs/common under a fresh folder and reads that lab. */
static struct tl_lab *lab01_copy(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/tl-record-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char cmd[512];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/labs' && cp -R labs/01-counter labs/common '%s/labs/'", dir, dir);
	assert_int_equal(system(cmd), 0);
	struct tl_lab *labs = NULL;
	size_t n = 0;
	char err[1024] = "";
	if (tl_discover(dir, "01", &labs, &n, err, sizeof err) != 0 || n != 1)
		fail_msg("cannot read the copy of lab 01: %s", err);
	return labs;
}

/* The record is refused once the lab's files change (a test, labs/common), or when it is
 * missing or malformed; each refusal names the command that refreshes it. */
static void test_record_stale_fail(void **state)
{
	(void)state;
	char dir[64], cmd[512], err[1024] = "";
	struct tl_record rec;
	struct tl_lab *lab = lab01_copy(dir, sizeof dir);
	if (tl_record_load(lab, &rec, err, sizeof err) != 0)
		fail_msg("the committed record of lab 01 is refused: %s", err);
	assert_int_equal(rec.nfail, 1);
	assert_string_equal(rec.fail[0], CASE);
	static const char *const edits[] = {
		"echo '/* a new test */' >>'%s/labs/01-counter/test_counter.c'",
		"echo '/* changed */' >>'%s/labs/common/check.c'",
		"sed -i 's/^digest: .*/digest: 0000000000000000/' '%s/labs/01-counter/handout.record'",
		"sed -i 's/^tsan: race/tsan: clean/' '%s/labs/01-counter/handout.record'",
		"echo 'finishes: yes' >>'%s/labs/01-counter/handout.record'",
		"rm '%s/labs/01-counter/handout.record'",
	};
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s/labs' && mkdir -p '%s/labs' && cp -R labs/01-counter labs/common '%s/labs/'",
			 dir, dir, dir);
		assert_int_equal(system(cmd), 0);
		snprintf(cmd, sizeof cmd, edits[i], dir);
		assert_int_equal(system(cmd), 0);
		err[0] = '\0';
		if (tl_record_load(lab, &rec, err, sizeof err) == 0)
			fail_msg("accepted after: %s", cmd);
		if (strstr(err, "threadlab record --lab 01") == NULL)
			fail_msg("the refusal after '%s' names no command: %s", cmd, err);
	}
	/* README.md and the student's file (a student's checkout grading itself) are not part of
	 * the digest: editing them keeps the record current. */
	snprintf(cmd, sizeof cmd, "rm -rf '%s/labs' && mkdir -p '%s/labs' && cp -R labs/01-counter labs/common '%s/labs/' && "
		 "echo more >>'%s/labs/01-counter/README.md' && echo '/* fixed */' >>'%s/labs/01-counter/counter.c'",
		 dir, dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(tl_record_load(lab, &rec, err, sizeof err), 0);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lab01_rubric),
		cmocka_unit_test(test_rubric_file),
		cmocka_unit_test(test_tests_only),
		cmocka_unit_test(test_explore_rubric),
		cmocka_unit_test(test_score_explore),
		cmocka_unit_test(test_score_handout),
		cmocka_unit_test(test_score_fix_and_gate),
		cmocka_unit_test(test_score_regression_floor),
		cmocka_unit_test(test_score_tests_hang),
		cmocka_unit_test(test_dismissed_not_shown),
		cmocka_unit_test(test_gradescope_adds_up),
		cmocka_unit_test(test_record_stale_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
