/* test_judge.c: cmocka tests of the judge (judge.c), one or more per rule of judge.def, on captured real tool output under harness/tests/fixtures/judge (run from the repository root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stages.h"

#define FX "harness/tests/fixtures/"
#define JFX FX "judge/"

/* Reads PATH, or returns NULL when it does not exist (*LEN 0). */
static char *read_opt(const char *path, size_t *len)
{
	int trunc = 0;
	*len = 0;
	if (access(path, F_OK) != 0)
		return NULL;
	char *text = tl_read_file(path, 16u << 20, len, &trunc);
	if (text == NULL)
		fail_msg("cannot read fixture %s: %s", path, strerror(errno));
	return text;
}

/* Puts into T one run of TOOL whose channel held the text of REPORT (which must exist; empty
 * is a clean run) and, when STACKS exists, a timeout with gdb's stacks, as run.c records one. */
static void load_tool(struct tl_target *t, enum tl_tool tool, const char *report, const char *stacks)
{
	struct tl_result *r = &t->result[tool];
	size_t len;
	char *text = read_opt(report, &len);
	if (text == NULL)
		fail_msg("missing fixture %s (run from the repository root)", report);
	char err[256];
	/* A run killed at its timeout may leave a report cut short: what parsed is kept, as run.c does. */
	(void)tl_tool(tool)->hooks->parse(text, len, &r->findings, err, sizeof err);
	free(text);
	char *st = stacks != NULL ? read_opt(stacks, &len) : NULL;
	if (st != NULL) {
		struct tl_finding f = {.tool = tool, .kind = TL_KIND_TIMEOUT};
		tl_strlcpy(f.raw, "timeout", sizeof f.raw);
		tl_strlcpy(f.message, "did not finish within its time limit and was killed", sizeof f.message);
		struct tl_site sites[2];
		char threads[2][64];
		int k = tl_parse_gdb_stacks(st, sites, threads, 2);
		if (k > 0)
			f.site = sites[0];
		if (k > 1)
			f.other = sites[1];
		f.detail = st;
		tl_findings_add(&r->findings, &f);
	}
	r->status = TL_ST_RAN;
	r->runs = 1;
	r->kinds = tl_findings_kinds(&r->findings);
}

/* Sets T's timeout and each tool's seconds from the case's NAME.seconds, when it has one. */
static void load_seconds(struct tl_target *t, const char *name)
{
	char path[256], key[32];
	snprintf(path, sizeof path, JFX "%s.seconds", name);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	double v;
	while (fscanf(f, "%31s %lf", key, &v) == 2) {
		int tool = tl_tool_from_name(key);
		if (tool >= 0)
			t->result[tool].seconds = v;
		else if (strcmp(key, "timeout") == 0)
			t->timeout_s = (int)v;
	}
	fclose(f);
}

/* A target of the case NAME of fixtures/judge: TSan, Helgrind and threadcheck as captured. */
static struct tl_target *load_case(const char *name)
{
	struct tl_target *t = calloc(1, sizeof *t);
	assert_non_null(t);
	tl_strlcpy(t->name, name, sizeof t->name);
	static const char *const files[][2] = {
		[TL_TOOL_TSAN] = {"tsan.log", "tsan.stacks"},
		[TL_TOOL_HELGRIND] = {"helgrind.xml", "helgrind.stacks"},
		[TL_TOOL_THREADCHECK] = {"threadcheck.log", "threadcheck.stacks"},
	};
	for (int tool = 0; tool < TL_TOOL_TEST; tool++) {
		char report[256], stacks[256];
		snprintf(report, sizeof report, JFX "%s.%s", name, files[tool][0]);
		snprintf(stacks, sizeof stacks, JFX "%s.%s", name, files[tool][1]);
		load_tool(t, (enum tl_tool)tool, report, stacks);
	}
	load_seconds(t, name);
	return t;
}

/* The judged target T's set-aside report of TOOL and KIND under RULE (a name of judge.def), or
 * NULL. */
static const struct tl_aside *aside(const struct tl_target *t, enum tl_tool tool, enum tl_kind kind,
				    const char *rule)
{
	for (int a = 0; a < t->judged.naside; a++) {
		const struct tl_aside *x = &t->judged.aside[a];
		if (x->ref.tool == tool && tl_judge_ref(t, x->ref)->kind == kind &&
		    strcmp(tl_rule_name(x->rule), rule) == 0)
			return x;
	}
	return NULL;
}

static void assert_aside(const struct tl_target *t, enum tl_tool tool, enum tl_kind kind, const char *rule)
{
	if (aside(t, tool, kind, rule) == NULL)
		fail_msg("no %s %s report set aside by rule %s", tl_tool_name(tool), tl_kind_name(kind), rule);
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (haystack == NULL || strstr(haystack, needle) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", haystack ? haystack : "(null)", needle);
}

/* The judged kinds of T as a string ("clean" when none). */
static const char *judged(const struct tl_target *t)
{
	static char buf[128];
	return tl_kindset_str(t->judged.kinds, buf, sizeof buf);
}

/* The bug of KIND in T, which must exist. */
static const struct tl_bug *bug_of_kind(const struct tl_target *t, enum tl_kind kind)
{
	for (int b = 0; b < t->judged.nbug; b++)
		if (t->judged.bug[b].kind == kind)
			return &t->judged.bug[b];
	fail_msg("no %s bug", tl_kind_name(kind));
	return NULL;
}

#define TOOLBIT(tool) (1u << TL_TOOL_##tool)

/* ---- lock order ------------------------------------------------------------------------------ */

/* gate.c: both orders of a and b are taken under one gate mutex. TSan and Helgrind report the
 * inversion; threadcheck ran to the end and did not. */
static void test_lock_order_under_gate_dismissed(void **state)
{
	(void)state;
	struct tl_target *t = load_case("gate");
	assert_true(t->result[TL_TOOL_TSAN].kinds == TL_KINDSET(TL_KIND_LOCK_ORDER));
	assert_true(t->result[TL_TOOL_HELGRIND].kinds == TL_KINDSET(TL_KIND_LOCK_ORDER));
	tl_judge_target(t);
	assert_string_equal(judged(t), "clean");
	assert_aside(t, TL_TOOL_TSAN, TL_KIND_LOCK_ORDER, "lock-order-unconfirmed");
	assert_aside(t, TL_TOOL_HELGRIND, TL_KIND_LOCK_ORDER, "lock-order-unconfirmed");
	/* The gate is named, with where both threads hold it. */
	assert_contains(aside(t, TL_TOOL_TSAN, TL_KIND_LOCK_ORDER, "lock-order-unconfirmed")->reason,
			"the gate lock gate, held at both takings (harness/tests/fixtures/judge/src/gate.c:13 and "
			"harness/tests/fixtures/judge/src/gate.c:25)");
	assert_contains(aside(t, TL_TOOL_HELGRIND, TL_KIND_LOCK_ORDER, "lock-order-unconfirmed")->reason, "gate lock gate");
	/* The finding itself carries the hook grading reads. */
	assert_string_equal(t->result[TL_TOOL_TSAN].findings.v[0].dismissed, "lock-order-unconfirmed");
	assert_int_equal(t->result[TL_TOOL_TSAN].kept, 0);
	tl_target_free(t);
}

/* The fail twin: threadcheck confirms the cycle, so every tool's report is one bug. */
static void test_lock_order_confirmed_kept_fail(void **state)
{
	(void)state;
	struct tl_target *t = calloc(1, sizeof *t);
	assert_non_null(t);
	load_tool(t, TL_TOOL_TSAN, FX "tsan/lock_order.log", NULL);
	load_tool(t, TL_TOOL_THREADCHECK, FX "threadcheck/lock_order.log", NULL);
	tl_judge_target(t);
	const struct tl_bug *b = bug_of_kind(t, TL_KIND_LOCK_ORDER);
	assert_int_equal(b->seen_by, TOOLBIT(TSAN) | TOOLBIT(THREADCHECK));
	assert_int_equal(b->confidence, TL_CONF_HIGH);
	assert_null(aside(t, TL_TOOL_TSAN, TL_KIND_LOCK_ORDER, "lock-order-unconfirmed"));
	tl_target_free(t);
}

/* The fail twin: a cycle longer than threadcheck looks for (TSan's 30-lock cycle) is not
 * dismissed by threadcheck's silence. */
static void test_lock_order_too_long_for_threadcheck_kept_fail(void **state)
{
	(void)state;
	struct tl_target *t = calloc(1, sizeof *t);
	assert_non_null(t);
	load_tool(t, TL_TOOL_TSAN, FX "tsan/lock_cycle_30.log", NULL);
	load_tool(t, TL_TOOL_THREADCHECK, FX "threadcheck/clean.log", NULL);
	tl_judge_target(t);
	assert_string_equal(judged(t), "lock-order");
	assert_int_equal(t->judged.naside, 0);
	tl_target_free(t);
}

/* trylock.c: opposite orders, the second lock of each taken by a trylock that backs off. */
static void test_lock_order_through_trylock_dismissed(void **state)
{
	(void)state;
	struct tl_target *t = load_case("trylock");
	assert_true(t->result[TL_TOOL_HELGRIND].kinds == TL_KINDSET(TL_KIND_LOCK_ORDER));
	tl_judge_target(t);
	assert_string_equal(judged(t), "clean");
	const struct tl_aside *a = aside(t, TL_TOOL_HELGRIND, TL_KIND_LOCK_ORDER, "lock-order-trylock");
	assert_non_null(a);
	assert_contains(a->reason, "trylock.c:15");
	tl_target_free(t);
}

/* ---- races on what Helgrind does not model ------------------------------------------------- */

/* atomic_mp.c: Helgrind reports the atomic flag's store and load as racing, and the payload
 * published through it; TSan ran clean. */
static void test_race_on_atomic_access_dismissed(void **state)
{
	(void)state;
	struct tl_target *t = load_case("atomic_mp");
	assert_true(t->result[TL_TOOL_HELGRIND].kinds == TL_KINDSET(TL_KIND_RACE));
	tl_judge_target(t);
	assert_string_equal(judged(t), "clean");
	const struct tl_aside *a = aside(t, TL_TOOL_HELGRIND, TL_KIND_RACE, "helgrind-c11-atomic");
	assert_non_null(a);
	assert_contains(a->reason, "atomic_mp.c:");
	assert_contains(a->reason, "TSan");
	tl_target_free(t);
}

static void test_race_on_atomic_publication_dismissed(void **state)
{
	(void)state;
	struct tl_target *t = load_case("atomic_mp");
	tl_judge_target(t);
	assert_string_equal(judged(t), "clean");
	assert_aside(t, TL_TOOL_HELGRIND, TL_KIND_RACE, "helgrind-atomic-publication");
	assert_int_equal(t->result[TL_TOOL_HELGRIND].kept, 0);
	tl_target_free(t);
}

/* atomic_mp_plain.c, the fail twin: the flag is a plain int. TSan and Helgrind agree on the
 * flag's race (one bug, both tools); nothing is set aside. */
static void test_race_on_plain_flag_kept_fail(void **state)
{
	(void)state;
	struct tl_target *t = load_case("atomic_mp_plain");
	tl_judge_target(t);
	assert_string_equal(judged(t), "race");
	assert_int_equal(t->judged.naside, 0);
	const struct tl_bug *b = bug_of_kind(t, TL_KIND_RACE);
	assert_int_equal(b->seen_by, TOOLBIT(TSAN) | TOOLBIT(HELGRIND));
	assert_int_equal(b->confidence, TL_CONF_HIGH);
	tl_target_free(t);
}

/* No rule explains a race only Helgrind reports on plain code TSan ran clean: it is kept, with
 * low confidence and a note that the tools disagree. */
static void test_unexplained_disagreement_kept(void **state)
{
	(void)state;
	struct tl_target *t = load_case("atomic_mp_plain");
	tl_judge_target(t);
	int found = 0;
	for (int b = 0; b < t->judged.nbug; b++) {
		const struct tl_bug *bug = &t->judged.bug[b];
		if (bug->seen_by != TOOLBIT(HELGRIND))
			continue;
		found = 1;
		assert_int_equal(bug->clean_by, TOOLBIT(TSAN));
		assert_int_equal(bug->confidence, TL_CONF_LOW);
		assert_contains(bug->note, "disagree");
		assert_contains(bug->note, "helgrind: race; tsan: clean");
	}
	assert_true(found);
	tl_target_free(t);
}

/* once_init.c: Helgrind reports the routine's writes as racing with the readers after
 * pthread_once; TSan ran clean. */
static void test_race_in_once_routine_dismissed(void **state)
{
	(void)state;
	struct tl_target *t = load_case("once_init");
	assert_true(t->result[TL_TOOL_HELGRIND].kinds == TL_KINDSET(TL_KIND_RACE));
	tl_judge_target(t);
	assert_string_equal(judged(t), "clean");
	const struct tl_aside *a = aside(t, TL_TOOL_HELGRIND, TL_KIND_RACE, "helgrind-pthread-once");
	assert_non_null(a);
	assert_contains(a->reason, "(fill_table)");
	tl_target_free(t);
}

/* ---- thread leaks --------------------------------------------------------------------------- */

/* TSan's captured thread leak, with threadcheck having run to the end clean: threadcheck decides. */
static void test_thread_leak_unconfirmed_dismissed(void **state)
{
	(void)state;
	struct tl_target *t = calloc(1, sizeof *t);
	assert_non_null(t);
	load_tool(t, TL_TOOL_TSAN, FX "tsan/thread_leak.log", NULL);
	load_tool(t, TL_TOOL_THREADCHECK, FX "threadcheck/clean.log", NULL);
	assert_true(t->result[TL_TOOL_TSAN].kinds & TL_KINDSET(TL_KIND_THREAD_LEAK));
	tl_judge_target(t);
	assert_false(t->judged.kinds & TL_KINDSET(TL_KIND_THREAD_LEAK));
	assert_aside(t, TL_TOOL_TSAN, TL_KIND_THREAD_LEAK, "thread-leak-unconfirmed");
	tl_target_free(t);
}

/* The fail twin: threadcheck reports the leak too, so it is one bug seen by both. */
static void test_thread_leak_confirmed_kept_fail(void **state)
{
	(void)state;
	struct tl_target *t = calloc(1, sizeof *t);
	assert_non_null(t);
	load_tool(t, TL_TOOL_TSAN, FX "tsan/thread_leak.log", NULL);
	load_tool(t, TL_TOOL_THREADCHECK, FX "threadcheck/leak.log", NULL);
	tl_judge_target(t);
	assert_true(t->judged.kinds & TL_KINDSET(TL_KIND_THREAD_LEAK));
	assert_null(aside(t, TL_TOOL_TSAN, TL_KIND_THREAD_LEAK, "thread-leak-unconfirmed"));
	tl_target_free(t);
}

/* ---- Helgrind's known false misuse reports ---------------------------------------------------- */

static void test_signal_without_lock_dismissed(void **state)
{
	(void)state;
	struct tl_target *t = load_case("signal_unlocked");
	assert_true(t->result[TL_TOOL_HELGRIND].kinds == TL_KINDSET(TL_KIND_MISUSE));
	tl_judge_target(t);
	assert_string_equal(judged(t), "clean");
	assert_aside(t, TL_TOOL_HELGRIND, TL_KIND_MISUSE, "helgrind-signal-unlocked");
	tl_target_free(t);
}

static void test_cond_destroy_after_broadcast_dismissed(void **state)
{
	(void)state;
	struct tl_target *t = load_case("cond_destroy");
	assert_true(t->result[TL_TOOL_HELGRIND].kinds == TL_KINDSET(TL_KIND_MISUSE));
	tl_judge_target(t);
	assert_string_equal(judged(t), "clean");
	assert_aside(t, TL_TOOL_HELGRIND, TL_KIND_MISUSE, "helgrind-cond-destroy");
	tl_target_free(t);
}

/* robust.c: Helgrind's four reports on the owner-dead recovery are set aside; threadcheck's own
 * misuse report (a thread returned holding the lock) is its tool's to keep. */
static void test_robust_mutex_recovery_dismissed(void **state)
{
	(void)state;
	struct tl_target *t = load_case("robust");
	tl_paths_addf(&t->src, "harness/tests/fixtures/judge/src/robust.c");
	assert_true(t->result[TL_TOOL_HELGRIND].findings.n >= 3);
	tl_judge_target(t);
	assert_aside(t, TL_TOOL_HELGRIND, TL_KIND_MISUSE, "helgrind-robust-mutex");
	assert_int_equal(t->result[TL_TOOL_HELGRIND].kept, 0);
	const struct tl_bug *b = bug_of_kind(t, TL_KIND_MISUSE);
	assert_int_equal(b->seen_by, TOOLBIT(THREADCHECK));
	tl_target_free(t);
}

/* try_join.c: main polls pthread_tryjoin_np, then reads what the worker wrote. Helgrind reports
 * the read against the write; TSan ran to the end and did not. Without the program's source (so
 * no join the judge knows of), the race is kept. */
static void test_race_after_try_join_dismissed(void **state)
{
	(void)state;
	struct tl_target *t = load_case("try_join");
	assert_true(t->result[TL_TOOL_HELGRIND].kinds & TL_KINDSET(TL_KIND_RACE));
	tl_judge_target(t);
	assert_string_equal(judged(t), "race");
	tl_paths_addf(&t->src, "harness/tests/fixtures/judge/src/try_join.c");
	tl_judge_target(t);
	assert_aside(t, TL_TOOL_HELGRIND, TL_KIND_RACE, "helgrind-unmodelled-join");
	assert_contains(aside(t, TL_TOOL_HELGRIND, TL_KIND_RACE, "helgrind-unmodelled-join")->reason,
			"pthread_tryjoin_np");
	assert_string_equal(judged(t), "clean");
	tl_target_free(t);
}

/* ---- reports that are part of another bug ------------------------------------------------------ */

/* slow.c: a correct long loop that TSan and threadcheck finish and Helgrind cannot in its limit. */
static void test_helgrind_out_of_time_dismissed(void **state)
{
	(void)state;
	struct tl_target *t = load_case("slow");
	assert_true(t->result[TL_TOOL_HELGRIND].kinds == TL_KINDSET(TL_KIND_TIMEOUT));
	assert_int_equal(t->result[TL_TOOL_THREADCHECK].kinds, 0);
	tl_judge_target(t);
	assert_string_equal(judged(t), "clean");
	const struct tl_aside *a = aside(t, TL_TOOL_HELGRIND, TL_KIND_TIMEOUT, "helgrind-too-slow");
	assert_non_null(a);
	assert_contains(a->reason, "Helgrind's limit was 9 s");
	tl_target_free(t);
}

/* The fail twin: had threadcheck's native run taken 0.05 s, even 100 times that would fit
 * Helgrind's 9 s, so its timeout is not explained by slowness and stays a finding. */
static void test_helgrind_hang_on_short_program_kept_fail(void **state)
{
	(void)state;
	struct tl_target *t = load_case("slow");
	t->result[TL_TOOL_THREADCHECK].seconds = 0.05;
	tl_judge_target(t);
	assert_string_equal(judged(t), "timeout");
	tl_target_free(t);
}

/* abba_hang.c: TSan and Helgrind time out; threadcheck names the deadlock. */
static void test_timeout_explained_by_deadlock(void **state)
{
	(void)state;
	struct tl_target *t = load_case("abba_hang");
	assert_true(t->result[TL_TOOL_TSAN].kinds & TL_KINDSET(TL_KIND_TIMEOUT));
	assert_true(t->result[TL_TOOL_THREADCHECK].kinds & TL_KINDSET(TL_KIND_DEADLOCK));
	tl_judge_target(t);
	assert_string_equal(judged(t), "deadlock");
	const struct tl_aside *a = aside(t, TL_TOOL_TSAN, TL_KIND_TIMEOUT, "timeout-explained-by-deadlock");
	assert_non_null(a);
	assert_int_equal(a->decision, TL_MERGE);
	assert_int_equal(t->judged.bug[a->bug].kind, TL_KIND_DEADLOCK);
	assert_contains(a->reason, "threadcheck");
	assert_aside(t, TL_TOOL_HELGRIND, TL_KIND_TIMEOUT, "timeout-explained-by-deadlock");
	/* Merged, not dismissed: the hang still counts against the tool's run. */
	assert_null(t->result[TL_TOOL_TSAN].findings.v[0].dismissed);
	tl_target_free(t);
}

/* The fail twin: with no deadlock named (threadcheck's log left out), a timeout stays a finding. */
static void test_timeout_without_cause_kept_fail(void **state)
{
	(void)state;
	struct tl_target *t = calloc(1, sizeof *t);
	assert_non_null(t);
	load_tool(t, TL_TOOL_TSAN, JFX "abba_hang.tsan.log", JFX "abba_hang.tsan.stacks");
	tl_judge_target(t);
	assert_string_equal(judged(t), "timeout");
	assert_int_equal(t->judged.naside, 0);
	tl_target_free(t);
}

/* hoist.c: every build hung in a loop over a racy plain load; the race is the bug. */
static void test_timeout_spinning_on_race_is_the_race(void **state)
{
	(void)state;
	struct tl_target *t = load_case("hoist");
	assert_true(t->result[TL_TOOL_THREADCHECK].kinds == TL_KINDSET(TL_KIND_TIMEOUT));
	tl_judge_target(t);
	assert_string_equal(judged(t), "race");
	const struct tl_aside *a = aside(t, TL_TOOL_THREADCHECK, TL_KIND_TIMEOUT, "timeout-racy-spin");
	assert_non_null(a);
	assert_contains(a->reason, "hoist.c:");
	assert_int_equal(t->judged.bug[a->bug].kind, TL_KIND_RACE);
	tl_target_free(t);
}

/* TSan alone: its race names the spinning function without a line (its "previous read" has
 * none); the timeout stuck in that function is still the race's. */
static void test_timeout_spinning_on_race_tsan_alone(void **state)
{
	(void)state;
	struct tl_target *t = calloc(1, sizeof *t);
	assert_non_null(t);
	load_tool(t, TL_TOOL_TSAN, JFX "hoist.tsan.log", JFX "hoist.tsan.stacks");
	assert_true(t->result[TL_TOOL_TSAN].kinds == (TL_KINDSET(TL_KIND_RACE) | TL_KINDSET(TL_KIND_TIMEOUT)));
	tl_judge_target(t);
	assert_string_equal(judged(t), "race");
	assert_aside(t, TL_TOOL_TSAN, TL_KIND_TIMEOUT, "timeout-racy-spin");
	tl_target_free(t);
}

/* A failing test next to a race: one bug, the test's failure its symptom. */
static void test_failing_test_is_the_race_symptom(void **state)
{
	(void)state;
	struct tl_target *t = calloc(1, sizeof *t);
	assert_non_null(t);
	load_tool(t, TL_TOOL_TSAN, FX "tsan/race_global.log", NULL);
	load_tool(t, TL_TOOL_TEST, FX "cmocka/cmocka_fail.xml", NULL);
	assert_true(t->result[TL_TOOL_TEST].kinds == TL_KINDSET(TL_KIND_TEST_FAIL));
	tl_judge_target(t);
	assert_string_equal(judged(t), "race");
	assert_aside(t, TL_TOOL_TEST, TL_KIND_TEST_FAIL, "test-fail-symptom");
	tl_target_free(t);
}

/* The fail twin: alone, a failing test is the bug. */
static void test_failing_test_alone_kept_fail(void **state)
{
	(void)state;
	struct tl_target *t = calloc(1, sizeof *t);
	assert_non_null(t);
	load_tool(t, TL_TOOL_TEST, FX "cmocka/cmocka_fail.xml", NULL);
	tl_judge_target(t);
	assert_string_equal(judged(t), "test-fail");
	tl_target_free(t);
}

/* Judging twice gives the same verdict (the reports' marks are reset). */
static void test_judging_again_is_the_same(void **state)
{
	(void)state;
	struct tl_target *t = load_case("atomic_mp");
	tl_judge_target(t);
	int n = t->judged.naside;
	tl_judge_target(t);
	assert_int_equal(t->judged.naside, n);
	assert_string_equal(judged(t), "clean");
	tl_target_free(t);
}

/* Every rule of judge.def is named by a test above: a new rule needs its test. */
static void test_every_rule_has_a_test(void **state)
{
	(void)state;
	static const char *const tested[] = {
		"lock-order-trylock",      "helgrind-too-slow",
		"lock-order-unconfirmed",  "helgrind-c11-atomic",   "helgrind-atomic-publication",
		"helgrind-pthread-once",   "thread-leak-unconfirmed", "helgrind-signal-unlocked",
		"helgrind-cond-destroy",   "helgrind-robust-mutex", "helgrind-unmodelled-join",
		"timeout-explained-by-deadlock",
		"timeout-racy-spin",       "test-fail-symptom",
	};
	for (int r = 0; r < TL_RULE_COUNT; r++) {
		int ok = 0;
		for (size_t i = 0; i < sizeof tested / sizeof tested[0]; i++)
			ok |= strcmp(tested[i], tl_rule_name((enum tl_rule)r)) == 0;
		if (!ok)
			fail_msg("rule %s has no test in test_judge.c", tl_rule_name((enum tl_rule)r));
	}
	assert_int_equal(TL_RULE_COUNT, (int)(sizeof tested / sizeof tested[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_order_under_gate_dismissed),
		cmocka_unit_test(test_lock_order_confirmed_kept_fail),
		cmocka_unit_test(test_lock_order_too_long_for_threadcheck_kept_fail),
		cmocka_unit_test(test_lock_order_through_trylock_dismissed),
		cmocka_unit_test(test_race_on_atomic_access_dismissed),
		cmocka_unit_test(test_race_on_atomic_publication_dismissed),
		cmocka_unit_test(test_race_on_plain_flag_kept_fail),
		cmocka_unit_test(test_unexplained_disagreement_kept),
		cmocka_unit_test(test_race_in_once_routine_dismissed),
		cmocka_unit_test(test_thread_leak_unconfirmed_dismissed),
		cmocka_unit_test(test_thread_leak_confirmed_kept_fail),
		cmocka_unit_test(test_signal_without_lock_dismissed),
		cmocka_unit_test(test_cond_destroy_after_broadcast_dismissed),
		cmocka_unit_test(test_robust_mutex_recovery_dismissed),
		cmocka_unit_test(test_race_after_try_join_dismissed),
		cmocka_unit_test(test_helgrind_out_of_time_dismissed),
		cmocka_unit_test(test_helgrind_hang_on_short_program_kept_fail),
		cmocka_unit_test(test_timeout_explained_by_deadlock),
		cmocka_unit_test(test_timeout_without_cause_kept_fail),
		cmocka_unit_test(test_timeout_spinning_on_race_is_the_race),
		cmocka_unit_test(test_timeout_spinning_on_race_tsan_alone),
		cmocka_unit_test(test_failing_test_is_the_race_symptom),
		cmocka_unit_test(test_failing_test_alone_kept_fail),
		cmocka_unit_test(test_judging_again_is_the_same),
		cmocka_unit_test(test_every_rule_has_a_test),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
