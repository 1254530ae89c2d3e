/* test_explore.c: `threadlab explore` and threadcheck's schedule explorer end to end, on a few
 * programs of the latent-bug corpus (harness/tests/latent; the bench measures all of them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "stages.h"

/* The binary under test: $THREADLAB_BIN (the TSan build in `make test`), else build/bin/threadlab. */
static const char *bin(void)
{
	const char *b = getenv("THREADLAB_BIN");
	return b != NULL && b[0] != '\0' ? b : "build/bin/threadlab";
}

static const char *build_dir(void)
{
	const char *b = getenv("TL_BUILD");
	return b != NULL && b[0] != '\0' ? b : "build";
}

/* Runs threadlab explore with the options OPTS (NULL-terminated) on corpus program NAME
 * ("-- build/latent/NAME"), or on the source PATH when NAME starts with '/' or "harness".
 * Returns its stdout (caller frees) and its exit status in *RC. */
static char *explore(const char *const *opts, const char *name, int *rc)
{
	char out[] = "/tmp/threadlab-test-explore-XXXXXX", prog[512], err[256];
	int fd = mkstemp(out), a = 0;
	char *argv[32];
	assert_true(fd >= 0);
	close(fd);
	argv[a++] = (char *)bin();
	argv[a++] = "explore";
	for (int k = 0; opts[k] != NULL; k++)
		argv[a++] = (char *)opts[k];
	if (strncmp(name, "harness", 7) == 0 || name[0] == '/') {
		argv[a++] = (char *)name;
	} else {
		snprintf(prog, sizeof prog, "%s/latent/%s", build_dir(), name);
		argv[a++] = "--";
		argv[a++] = prog;
	}
	argv[a] = NULL;
	struct tl_spawn s = { .argv = argv, .stdout_path = out, .stderr_path = "/dev/null", .timeout_s = 300 };
	assert_int_equal(tl_spawn_run(&s, err, sizeof err), 0);
	assert_true(s.exited);
	*rc = s.exit_code;
	size_t len = 0;
	int trunc = 0;
	char *text = tl_read_file(out, 1 << 24, &len, &trunc);
	unlink(out);
	assert_non_null(text);
	return text;
}

/* Asserts that JSON has "KEY": VALUE (VALUE written as in JSON, e.g. "\"abort\"" or "3"). */
static void assert_member(const char *json, const char *key, const char *value)
{
	char want[256];
	snprintf(want, sizeof want, "\"%s\": %s", key, value);
	if (strstr(json, want) == NULL)
		fail_msg("no %s in:\n%s", want, json);
}

/* The number in JSON's member KEY. */
static long member_long(const char *json, const char *key)
{
	char want[128];
	snprintf(want, sizeof want, "\"%s\": ", key);
	const char *p = strstr(json, want);
	assert_non_null(p);
	return strtol(p + strlen(want), NULL, 10);
}

static const char *const json_100[] = { "--format", "json", "--schedules", "100", NULL };

/* A bug that needs preemptions is found, replayed 3 times out of 3, and minimised to no more
 * preemptions than it had; its interleaving names the program's lines. */
static void test_finds_atomicity_violation(void **state)
{
	(void)state;
	int rc;
	char *json = explore(json_100, "withdraw", &rc);
	assert_int_equal(rc, TL_EXIT_FAIL);
	assert_member(json, "outcome", "\"abort\"");
	assert_member(json, "replayed", "3");
	assert_true(member_long(json, "minimal_preemptions") <= member_long(json, "preemptions"));
	assert_non_null(strstr(json, "withdraw.c:"));
	assert_non_null(strstr(json, "\"preempt\": true"));
	free(json);
}

/* A lost wakeup ends in threadcheck's deadlock report (no thread can run), at once. */
static void test_finds_lost_wakeup(void **state)
{
	(void)state;
	int rc;
	char *json = explore(json_100, "lost_wakeup", &rc);
	assert_int_equal(rc, TL_EXIT_FAIL);
	assert_member(json, "outcome", "\"deadlock\"");
	assert_non_null(strstr(json, "every live thread is blocked forever"));
	free(json);
}

/* A latent ABBA deadlock is a deadlock, with its cycle. */
static void test_finds_abba(void **state)
{
	(void)state;
	int rc;
	char *json = explore(json_100, "abba", &rc);
	assert_int_equal(rc, TL_EXIT_FAIL);
	assert_member(json, "outcome", "\"deadlock\"");
	assert_non_null(strstr(json, "cycle of 2 threads"));
	free(json);
}

/* A thread left blocked in a condition wait when main returns is a leak: at exit the
 * explorer turns the pending wait into the real one, so the exit report sees it. */
static void test_finds_thread_leak(void **state)
{
	(void)state;
	int rc;
	char *json = explore(json_100, "leak_exit", &rc);
	assert_int_equal(rc, TL_EXIT_FAIL);
	assert_member(json, "outcome", "\"thread-leak\"");
	free(json);
}

/* The correct twins survive: a barrier (modelled by the explorer), a lock order, a wait loop;
 * and a detached thread woken just before main returns is no leak (wake_exit). */
static void test_twins_survive(void **state)
{
	static const char *const twins[] = { "withdraw_ok", "abba_ok", "lost_wakeup_ok", "missing_barrier_ok",
					     "leak_exit_ok", "wake_exit" };
	(void)state;
	for (size_t i = 0; i < sizeof twins / sizeof twins[0]; i++) {
		int rc;
		char *json = explore(json_100, twins[i], &rc);
		if (rc != TL_EXIT_PASS)
			fail_msg("%s did not survive:\n%s", twins[i], json);
		assert_member(json, "outcome", "\"none\"");
		assert_member(json, "schedules", "101");
		free(json);
	}
}

/* A program blocked in a call the explorer does not see (read on a pipe that another thread
 * fills) still ends: the stall fallback hands the turn on. */
static void test_stall_fallback(void **state)
{
	static const char *const opts[] = { "--format", "json", "--schedules", "3", "--timeout", "20", NULL };
	(void)state;
	int rc;
	char *json = explore(opts, "stall_pipe", &rc);
	if (rc != TL_EXIT_PASS)
		fail_msg("stall_pipe did not end cleanly:\n%s", json);
	free(json);
}

/* A signal handler that posts a semaphore while its thread is inside the explorer (parked,
 * or at the explorer's lock) neither hangs the run nor breaks the schedule. */
static void test_signal_handler(void **state)
{
	static const char *const opts[] = { "--format", "json", "--strategy", "random", "--schedules", "10",
					    "--timeout", "20", NULL };
	(void)state;
	int rc;
	char *json = explore(opts, "signal_post", &rc);
	if (rc != TL_EXIT_PASS)
		fail_msg("signal_post did not end cleanly:\n%s", json);
	free(json);
}

/* --replay runs the one schedule it is given, and shows the same failure: the failing
 * schedule's minimal list replayed from the command line. */
static void test_replay_command(void **state)
{
	(void)state;
	int rc;
	char *json = explore(json_100, "counter_rmw", &rc);
	assert_int_equal(rc, TL_EXIT_FAIL);
	const char *p = strstr(json, "\"minimal\": \"");
	assert_non_null(p);
	char list[4096];
	p += strlen("\"minimal\": \"");
	snprintf(list, sizeof list, "%.*s", (int)strcspn(p, "\""), p);
	free(json);
	const char *const opts[] = { "--format", "json", "--replay", list, NULL };
	for (int k = 0; k < 3; k++) {
		json = explore(opts, "counter_rmw", &rc);
		assert_int_equal(rc, TL_EXIT_FAIL);
		assert_member(json, "outcome", "\"abort\"");
		free(json);
	}
}

/* PATH mode builds the source itself; the text view has thread columns and the replay line. */
static void test_path_and_text(void **state)
{
	static const char *const opts[] = { "--schedules", "100", NULL };
	(void)state;
	int rc;
	char *text = explore(opts, "harness/tests/latent/init_order.c", &rc);
	assert_int_equal(rc, TL_EXIT_FAIL);
	assert_non_null(strstr(text, "FAILED"));
	assert_non_null(strstr(text, "replay:   threadlab explore --replay"));
	assert_non_null(strstr(text, "T0"));
	assert_non_null(strstr(text, "init_order.c:"));
	free(text);
}

/* The HTML page holds the interleaving table. */
static void test_html(void **state)
{
	static const char *const opts[] = { "--format", "html", "--schedules", "100", NULL };
	(void)state;
	int rc;
	char *html = explore(opts, "withdraw", &rc);
	assert_int_equal(rc, TL_EXIT_FAIL);
	assert_non_null(strstr(html, "<table>"));
	assert_non_null(strstr(html, "class=\"pre\""));
	free(html);
}

/* A scratch toolkit holding lab 08 with the student file FIX (a path from the top folder),
 * labs/common and the canary, as a student's checkout would; its lab folder into DIR. */
static void scratch_lab08(const char *fix, char *dir, size_t len)
{
	char top[] = "/tmp/threadlab-test-lab08-XXXXXX", cmd[2048];
	assert_non_null(mkdtemp(top));
	snprintf(cmd, sizeof cmd,
		 "mkdir -p %s/labs %s/harness && cp -R labs/08-workerpool labs/common %s/labs/ && "
		 "cp -R harness/canary %s/harness/ && cp %s %s/labs/08-workerpool/pool.c",
		 top, top, top, top, fix, top);
	assert_int_equal(system(cmd), 0);
	snprintf(dir, len, "%s/labs/08-workerpool", top);
}

/* --canary on a lab folder: the program is built with the canary, whose thread left at exit is
 * not a failure (the solution survives) but must be there (a program without it is
 * interference); a graded fix's failing schedule replays there with the same outcome. Without
 * the canary's record taken out, the solution would fail with a thread leak on schedule 1. */
static void test_canary_lab_folder(void **state)
{
	static const char *const canary_10[] = { "--format", "json", "--canary", "--schedules", "10", NULL };
	static const char *const random_100[] = { "--format", "json", "--canary", "--strategy", "random",
						  "--schedules", "100", NULL };
	(void)state;
	int rc;
	char dir[512], cmd[1200];
	scratch_lab08("solutions/08-workerpool/pool.c", dir, sizeof dir);
	char *json = explore(canary_10, dir, &rc);
	assert_int_equal(rc, TL_EXIT_PASS);
	assert_member(json, "outcome", "\"none\"");
	free(json);
	json = explore(canary_10, "withdraw_ok", &rc);
	assert_int_equal(rc, TL_EXIT_FAIL);
	assert_member(json, "outcome", "\"interference\"");
	free(json);
	snprintf(cmd, sizeof cmd, "cp solutions/08-workerpool/fixes/sleep-before-close/pool.c %s/pool.c", dir);
	assert_int_equal(system(cmd), 0);
	json = explore(random_100, dir, &rc);
	assert_int_equal(rc, TL_EXIT_FAIL);
	assert_member(json, "outcome", "\"deadlock\"");
	assert_member(json, "replayed", "3");
	assert_non_null(strstr(json, "--canary"));
	free(json);
	snprintf(cmd, sizeof cmd, "rm -rf %.*s", (int)(strlen(dir) - strlen("/labs/08-workerpool")), dir);
	assert_int_equal(system(cmd), 0);
}

/* A thread that sleeps hands the turn over on the default schedule too: a trylock back-off, in
 * which each thread holds one lock and polls for the other with a sleep, survives every
 * strategy's schedules. Were the sleeper to keep the turn, the default schedule (the first of
 * each exploration) would livelock and time out. */
static void test_sleep_hands_over(void **state)
{
	static const char *const strategies[] = { "pct", "random", "delay" };
	(void)state;
	for (size_t k = 0; k < sizeof strategies / sizeof strategies[0]; k++) {
		const char *const opts[] = { "--format", "json", "--timeout", "5", "--schedules", "10",
					     "--strategy", strategies[k], NULL };
		int rc;
		char *json = explore(opts, "harness/tests/programs/trylock_backoff.c", &rc);
		assert_member(json, "outcome", "\"none\"");
		assert_int_equal(rc, TL_EXIT_PASS);
		free(json);
	}
}

/* Bad options are a usage error, never a verdict. */
static void test_usage(void **state)
{
	static const char *const bad[] = { "--strategy", "dfs", NULL };
	static const char *const bad2[] = { "--replay", "x;y", NULL };
	(void)state;
	int rc;
	free(explore(bad, "withdraw", &rc));
	assert_int_equal(rc, TL_EXIT_ERROR);
	free(explore(bad2, "withdraw", &rc));
	assert_int_equal(rc, TL_EXIT_ERROR);
}

/* Runs corpus program NAME under the library with ENV (NULL-terminated "K=V") and returns its
 * schedule log without the header line (which names the pid), or "" without one. */
static char *sched_log(const char *name, const char *const *env)
{
	char dir[] = "/tmp/threadlab-test-sched-XXXXXX", prog[512], lib[512], abslib[4096], e_pre[4200];
	char e_log[128], err[256], path[256];
	assert_non_null(mkdtemp(dir));
	snprintf(prog, sizeof prog, "%s/latent/%s", build_dir(), name);
	snprintf(lib, sizeof lib, "%s/lib/libthreadcheck.so", build_dir());
	assert_non_null(realpath(lib, abslib));
	snprintf(e_pre, sizeof e_pre, "LD_PRELOAD=%s", abslib);
	snprintf(e_log, sizeof e_log, "THREADCHECK_SCHED_LOG=%s/s", dir);
	const char *extra[8] = { e_pre, e_log };
	int n = 2;
	for (int k = 0; env[k] != NULL; k++)
		extra[n++] = env[k];
	extra[n] = NULL;
	char **envp = tl_env_make(extra);
	char *argv[] = { prog, NULL };
	struct tl_spawn s = { .argv = argv, .envp = envp, .stdout_path = "/dev/null", .stderr_path = "/dev/null",
			      .timeout_s = 60 };
	assert_int_equal(tl_spawn_run(&s, err, sizeof err), 0);
	tl_env_free(envp);
	snprintf(path, sizeof path, "%s/s.%d", dir, s.pid);
	size_t len = 0;
	int trunc = 0;
	char *text = tl_read_file(path, 1 << 20, &len, &trunc);
	unlink(path);
	rmdir(dir);
	if (text == NULL)
		return strdup("");
	char *body = strdup(strchr(text, '\n') != NULL ? strchr(text, '\n') + 1 : "");
	free(text);
	return body;
}

/* The same seed gives the same schedule, and replaying its decision list gives it again,
 * decision for decision. */
static void test_same_seed_same_schedule(void **state)
{
	static const char *const seeded[] = { "THREADCHECK_SCHED=random:seed=11", NULL };
	(void)state;
	char *first = sched_log("snapshot8", seeded);
	assert_non_null(strstr(first, "choice "));
	for (int k = 0; k < 3; k++) {
		char *again = sched_log("snapshot8", seeded);
		assert_string_equal(first, again);
		free(again);
	}
	char list[8192] = "", rep[8300];
	size_t len = 0;
	for (const char *p = first; (p = strstr(p, "choice ")) != NULL; p++) {
		long step;
		int t;
		assert_int_equal(sscanf(p, "choice %ld T%d", &step, &t), 2);
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%ld:T%d", len > 0 ? "," : "", step, t);
	}
	snprintf(rep, sizeof rep, "THREADCHECK_REPLAY=%s", list);
	const char *const replay[] = { rep, NULL };
	char *replayed = sched_log("snapshot8", replay);
	assert_string_equal(first, replayed);
	free(replayed);
	free(first);
}

/* Without THREADCHECK_SCHED the explorer is off: no schedule log at all. */
static void test_off_by_default(void **state)
{
	static const char *const none[] = { NULL };
	(void)state;
	char *log = sched_log("withdraw_ok", none);
	assert_string_equal(log, "");
	free(log);
}

/* The selftest check: a buggy program must fail within N schedules and its solution survive
 * them; a pair the other way round is two verdicts not as declared. */
static void test_selftest_check(void **state)
{
	(void)state;
	struct tl_config cfg;
	struct tl_lab lab;
	struct tl_target buggy, fixed;
	struct tl_target *const targets[] = { &buggy, &fixed };
	memset(&cfg, 0, sizeof cfg);
	memset(&lab, 0, sizeof lab);
	memset(&buggy, 0, sizeof buggy);
	memset(&fixed, 0, sizeof fixed);
	snprintf(cfg.tc_lib, sizeof cfg.tc_lib, "%s/lib/libthreadcheck.so", build_dir());
	lab.explore = 50;
	buggy.lab = fixed.lab = &lab;
	buggy.variant = TL_BUGGY;
	fixed.variant = TL_FIXED;
	snprintf(buggy.bin_plain, sizeof buggy.bin_plain, "%s/latent/withdraw", build_dir());
	snprintf(fixed.bin_plain, sizeof fixed.bin_plain, "%s/latent/withdraw_ok", build_dir());
	assert_int_equal(tl_explore_selftest(&cfg, targets, 2), 0);
	snprintf(buggy.bin_plain, sizeof buggy.bin_plain, "%s/latent/withdraw_ok", build_dir());
	snprintf(fixed.bin_plain, sizeof fixed.bin_plain, "%s/latent/withdraw", build_dir());
	assert_int_equal(tl_explore_selftest(&cfg, targets, 2), 2);
	lab.explore = 0;
	assert_int_equal(tl_explore_selftest(&cfg, targets, 2), 0);
}

/* lab.decl's `explore: N` is read, and a value out of 1..100000 is refused (lab 03's
 * declaration with its explore line replaced). */
static void test_decl_explore(void **state)
{
	static const char *const values[] = { "250", "0", "lots" };
	size_t len = 0;
	int trunc = 0;
	char *decl = tl_read_file("labs/03-deadlock/lab.decl", 1 << 16, &len, &trunc);
	(void)state;
	assert_non_null(decl);
	for (int k = 0; k < 3; k++) {
		char path[] = "/tmp/threadlab-test-decl-XXXXXX", err[512];
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		FILE *f = fdopen(fd, "w");
		assert_non_null(f);
		for (const char *p = decl; *p != '\0';) {
			size_t n = strcspn(p, "\n");
			if (strncmp(p, "explore:", 8) != 0)
				fprintf(f, "%.*s\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
		fprintf(f, "explore: %s\n", values[k]);
		fclose(f);
		struct tl_lab lab;
		memset(&lab, 0, sizeof lab);
		int rc = tl_decl_parse(path, &lab, err, sizeof err);
		unlink(path);
		if (k == 0) {
			if (rc != 0)
				fail_msg("%s", err);
			assert_int_equal(lab.explore, 250);
		} else {
			assert_int_not_equal(rc, 0);
			assert_non_null(strstr(err, "explore"));
		}
	}
	free(decl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finds_atomicity_violation),
		cmocka_unit_test(test_finds_lost_wakeup),
		cmocka_unit_test(test_finds_abba),
		cmocka_unit_test(test_finds_thread_leak),
		cmocka_unit_test(test_twins_survive),
		cmocka_unit_test(test_stall_fallback),
		cmocka_unit_test(test_signal_handler),
		cmocka_unit_test(test_replay_command),
		cmocka_unit_test(test_path_and_text),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_canary_lab_folder),
		cmocka_unit_test(test_sleep_hands_over),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_same_seed_same_schedule),
		cmocka_unit_test(test_off_by_default),
		cmocka_unit_test(test_selftest_check),
		cmocka_unit_test(test_decl_explore),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
