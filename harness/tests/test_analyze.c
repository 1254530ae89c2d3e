/* test_analyze.c: end-to-end tests of `threadlab analyze` on small real programs, every tool real. */
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

/* Runs threadlab analyze --format json on PROGRAM, or with "--" as EXTRA on the built program
 * PROGRAM with the argument ARG (when not NULL); returns the JSON text (caller frees) and the
 * exit status in *RC. */
static char *analyze_arg(const char *program, const char *extra, const char *arg, int *rc)
{
	char out[] = "/tmp/threadlab-test-analyze-XXXXXX";
	int fd = mkstemp(out);
	assert_true(fd >= 0);
	close(fd);
	char *argv[12];
	int a = 0;
	argv[a++] = (char *)bin();
	argv[a++] = "analyze";
	argv[a++] = "--format";
	argv[a++] = "json";
	argv[a++] = "--timeout";
	argv[a++] = "60";
	if (extra != NULL)
		argv[a++] = (char *)extra;
	argv[a++] = (char *)program;
	if (arg != NULL)
		argv[a++] = (char *)arg;
	argv[a] = NULL;
	struct tl_spawn s = {0};
	s.argv = argv;
	s.stdout_path = out;
	s.stderr_path = "/dev/null";
	s.timeout_s = 300;
	char err[256];
	assert_int_equal(tl_spawn_run(&s, err, sizeof err), 0);
	assert_true(s.exited);
	*rc = s.exit_code;
	size_t len = 0;
	int trunc = 0;
	char *json = tl_read_file(out, 1 << 24, &len, &trunc);
	unlink(out);
	assert_non_null(json);
	return json;
}

static char *analyze(const char *program, const char *extra, int *rc)
{
	return analyze_arg(program, extra, NULL, rc);
}

/* The "kinds" array of TOOL in JSON, e.g. "[\"race\"]", copied into BUF. */
static const char *kinds_of(const char *json, const char *tool, char *buf, size_t len)
{
	char key[64];
	snprintf(key, sizeof key, "\"%s\":{\"status\":\"", tool);
	const char *p = strstr(json, key);
	assert_non_null(p);
	assert_true(strncmp(p + strlen(key), "ran\"", 4) == 0);
	p = strstr(p, "\"kinds\":");
	assert_non_null(p);
	p += strlen("\"kinds\":");
	const char *end = strchr(p, ']');
	assert_non_null(end);
	size_t n = (size_t)(end - p + 1);
	assert_true(n < len);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

/* Analyzes PROGRAM, asserts each tool's kinds (a JSON array such as "[\"race\"]") and the exit
 * status, and returns the JSON report (caller frees). */
static char *assert_kinds_opt(const char *program, const char *option, const char *tsan, const char *helgrind,
			      const char *threadcheck, int want_rc)
{
	int rc;
	char *json = analyze(program, option, &rc);
	char k[128];
	assert_string_equal(kinds_of(json, "tsan", k, sizeof k), tsan);
	assert_string_equal(kinds_of(json, "helgrind", k, sizeof k), helgrind);
	assert_string_equal(kinds_of(json, "threadcheck", k, sizeof k), threadcheck);
	assert_int_equal(rc, want_rc);
	return json;
}

static char *assert_kinds(const char *program, const char *tsan, const char *helgrind, const char *threadcheck,
			  int want_rc)
{
	return assert_kinds_opt(program, NULL, tsan, helgrind, threadcheck, want_rc);
}

/* Analyzes PROGRAM and asserts that no tool reported anything (exit 0). */
static void assert_clean_everywhere(const char *program)
{
	free(assert_kinds(program, "[]", "[]", "[]", 0));
}

static void test_race_reported_by_tsan_and_helgrind(void **state)
{
	(void)state;
	char *json = assert_kinds("harness/tests/programs/race.c", "[\"race\"]", "[\"race\"]", "[]", 1);
	/* Both access sites name the racing line of race.c. */
	assert_non_null(strstr(json, "\"file\":\"harness/tests/programs/race.c\",\"line\":1"));
	assert_non_null(strstr(json, "\"function\":\"worker\""));
	assert_non_null(strstr(json, "\"other\":{\"file\":"));
	free(json);
}

static void test_blocked_thread_reported_by_threadcheck(void **state)
{
	(void)state;
	free(assert_kinds("harness/tests/programs/cond_leak.c", "[]", "[]", "[\"thread-leak\"]", 1));
}

static void test_mutex_counter_clean_everywhere(void **state)
{
	(void)state;
	assert_clean_everywhere("harness/tests/programs/mutex_counter.c");
}

/* A mutex destroyed right after another thread's unlock is a correct teardown. Helgrind 3.19
 * reports its own wrapper's read in pthread_mutex_destroy as racing with glibc's unlock (every
 * run of this program; 15 of 1200 runs of 09-unbounded); harness/src/helgrind.supp, which
 * every Helgrind run gets, must keep it clean. */
static void test_destroy_after_handoff_clean_everywhere(void **state)
{
	(void)state;
	assert_clean_everywhere("harness/tests/programs/destroy_handoff.c");
}

/* A program that prints copies of the tools' reports on its own stdout/stderr is still clean:
 * verdicts come only from the tools' own channels. */
static void test_fake_report_is_clean(void **state)
{
	(void)state;
	assert_clean_everywhere("harness/tests/programs/fake_report.c");
}

/* With the canaries in (as grading always has them), each tool must report its canary, which
 * the report then leaves out: a correct program stays clean everywhere, a racy one shows its
 * own race only. */
static void test_canaries_are_reported_and_left_out(void **state)
{
	(void)state;
	free(assert_kinds_opt("harness/tests/programs/mutex_counter.c", "--canary", "[]", "[]", "[]", 0));
	char *json = assert_kinds_opt("harness/tests/programs/race.c", "--canary", "[\"race\"]", "[\"race\"]", "[]", 1);
	assert_null(strstr(json, "threadlab_canary"));
	free(json);
}

/* A program that switches a tool off from inside is caught by that tool's missing canary:
 * TSan told never to report, Helgrind told not to check the program's globals, and an exit
 * handler that ends the process before threadcheck's report (TSan, which intercepts _exit,
 * still reports). Without the canaries the same programs look clean to the silenced tool. */
static void test_tool_switched_off_is_interference(void **state)
{
	(void)state;
	free(assert_kinds_opt("harness/tests/programs/silence_tsan.c", "--canary", "[\"interference\"]", "[\"race\"]", "[]", 1));
	free(assert_kinds_opt("harness/tests/programs/silence_helgrind.c", "--canary", "[\"race\"]", "[\"interference\"]", "[]", 1));
	free(assert_kinds_opt("harness/tests/programs/silence_at_exit.c", "--canary", "[]", "[]", "[\"interference\"]", 1));
	free(assert_kinds("harness/tests/programs/silence_tsan.c", "[]", "[\"race\"]", "[]", 1));
	free(assert_kinds("harness/tests/programs/silence_helgrind.c", "[\"race\"]", "[]", "[]", 1));
	free(assert_kinds("harness/tests/programs/silence_at_exit.c", "[]", "[]", "[]", 0));
}

/* Code under test that defines cmocka's own failure function makes every failed assertion
 * vanish; the canary test's failure vanishes with them, and the tests' run is interference.
 * Without the canary the failing test passes for clean. */
static void test_cmocka_switched_off_is_interference(void **state)
{
	(void)state;
	const char *prog = "harness/tests/programs/silence_cmocka";
	char k[128];
	int rc;
	char *json = analyze(prog, "--canary", &rc);
	assert_string_equal(kinds_of(json, "test", k, sizeof k), "[\"interference\"]");
	assert_int_equal(rc, 1);
	free(json);
	json = analyze(prog, NULL, &rc);
	assert_string_equal(kinds_of(json, "test", k, sizeof k), "[]");
	assert_int_equal(rc, 0);
	free(json);
}

static void test_missing_file_is_usage_error_fail(void **state)
{
	(void)state;
	int rc;
	char *json = analyze("harness/tests/programs/no-such-file.c", NULL, &rc);
	assert_int_equal(rc, 2);
	free(json);
}

/* Whether TOOL's entry in JSON has status STATUS ("ran", "skipped"). */
static int tool_status(const char *json, const char *tool, const char *status)
{
	char key[96];
	snprintf(key, sizeof key, "\"%s\":{\"status\":\"%s\"", tool, status);
	return strstr(json, key) != NULL;
}

/* analyze -- PROG ARGS on programs the user built: a plain build runs under Helgrind and
 * threadcheck, with its arguments (the race happens only when asked), and TSan is skipped; a
 * build with -fsanitize=thread (found by its __tsan_init) runs under TSan only. */
static void test_built_program(void **state)
{
	(void)state;
	char dir[] = "/tmp/threadlab-built-XXXXXX", cmd[1024], plain[128], tsan[128];
	assert_non_null(mkdtemp(dir));
	snprintf(plain, sizeof plain, "%s/plain", dir);
	snprintf(tsan, sizeof tsan, "%s/tsan", dir);
	snprintf(cmd, sizeof cmd, "cc -g -pthread -o %s harness/tests/programs/race_on_request.c && "
				  "%s -g -fsanitize=thread -o %s harness/tests/programs/race_on_request.c",
		 plain, tl_tsan_cc(), tsan);
	assert_int_equal(system(cmd), 0);
	int rc;
	char k[128], *json = analyze_arg(plain, "--", NULL, &rc);
	assert_int_equal(rc, 0);
	assert_true(tool_status(json, "tsan", "skipped"));
	assert_string_equal(kinds_of(json, "threadcheck", k, sizeof k), "[]");
	free(json);
	json = analyze_arg(plain, "--", "race", &rc);
	assert_int_equal(rc, 1);
	assert_string_equal(kinds_of(json, "helgrind", k, sizeof k), "[\"race\"]");
	assert_true(tool_status(json, "tsan", "skipped"));
	free(json);
	json = analyze_arg(tsan, "--", "race", &rc);
	assert_int_equal(rc, 1);
	assert_string_equal(kinds_of(json, "tsan", k, sizeof k), "[\"race\"]");
	assert_true(tool_status(json, "helgrind", "skipped") && tool_status(json, "threadcheck", "skipped"));
	free(json);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* analyze -- with more arguments than a tool's command line holds: each tool that would run
 * says so and analyze exits 2, rather than running the program with some arguments dropped. */
static void test_built_program_too_many_args_fail(void **state)
{
	(void)state;
	char dir[] = "/tmp/threadlab-args-XXXXXX", prog[128], out[160], cmd[512];
	assert_non_null(mkdtemp(dir));
	snprintf(prog, sizeof prog, "%s/prog", dir);
	snprintf(out, sizeof out, "%s/report.json", dir);
	snprintf(cmd, sizeof cmd, "cc -g -pthread -o %s harness/tests/programs/race_on_request.c", prog);
	assert_int_equal(system(cmd), 0);
	char *argv[64];
	int a = 0;
	const char *head[] = {bin(), "analyze", "--format", "json", "--out", out, "--", prog};
	for (size_t k = 0; k < sizeof head / sizeof head[0]; k++)
		argv[a++] = (char *)head[k];
	while (a < 63)
		argv[a++] = "x";
	argv[a] = NULL;
	struct tl_spawn s = {0};
	s.argv = argv;
	s.stdout_path = s.stderr_path = "/dev/null";
	s.timeout_s = 300;
	char err[256];
	assert_int_equal(tl_spawn_run(&s, err, sizeof err), 0);
	assert_true(s.exited);
	assert_int_equal(s.exit_code, TL_EXIT_ERROR);
	size_t len = 0;
	int trunc = 0;
	char *json = tl_read_file(out, 1 << 20, &len, &trunc);
	assert_non_null(json);
	assert_true(tool_status(json, "helgrind", "error") && tool_status(json, "threadcheck", "error"));
	assert_non_null(strstr(json, "arguments do not fit"));
	free(json);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* analyze -- on a file that is not an executable is a usage error (exit 2), not a verdict. */
static void test_built_program_not_elf_fail(void **state)
{
	(void)state;
	int rc;
	free(analyze_arg("harness/tests/programs/race.c", "--", NULL, &rc));
	assert_int_equal(rc, TL_EXIT_ERROR);
}

static void test_compile_error_is_build_error(void **state)
{
	(void)state;
	char src[] = "/tmp/threadlab-broken-XXXXXX.c";
	int fd = mkstemps(src, 2);
	assert_true(fd >= 0);
	const char text[] = "int main(void) { return undeclared_name; }\n";
	assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);
	int rc;
	char *json = analyze(src, "--tools=tsan,threadcheck", &rc);
	char k[128];
	assert_string_equal(kinds_of(json, "tsan", k, sizeof k), "[\"build-error\"]");
	assert_string_equal(kinds_of(json, "threadcheck", k, sizeof k), "[\"build-error\"]");
	assert_non_null(strstr(json, "undeclared_name"));
	assert_int_equal(rc, 1);
	unlink(src);
	free(json);
}

/* TSan dying with "unexpected memory mapping" (high mmap randomisation) is rerun under
 * setarch -R, and the report says so. */
static void test_tsan_mapping_failure_reruns_under_setarch(void **state)
{
	(void)state;
	int rc;
	char *json = analyze("harness/tests/programs/mmap_probe.c", "--tools=tsan", &rc);
	char k[128];
	assert_string_equal(kinds_of(json, "tsan", k, sizeof k), "[\"race\"]");
	assert_non_null(strstr(json, "setarch -R"));
	assert_int_equal(rc, 1);
	free(json);
}

/* Analyzes PROGRAM with only TOOL and asserts its kinds (a JSON array) and the exit status. */
static void assert_tool_kinds(const char *program, const char *tool, const char *kinds, int want_rc)
{
	char opt[64], k[128];
	int rc;

	snprintf(opt, sizeof opt, "--tools=%s", tool);
	char *json = analyze(program, opt, &rc);
	assert_string_equal(kinds_of(json, tool, k, sizeof k), kinds);
	assert_int_equal(rc, want_rc);
	free(json);
}

/* A lock-order cycle through 30 locks, for which TSan prints one line and no report, is a
 * lock-order finding of a TSan run that ran (not a parse error). */
static void test_long_lock_cycle_reported_by_tsan(void **state)
{
	(void)state;
	assert_tool_kinds("harness/tests/fixtures/src/lock_cycle.c", "tsan", "[\"lock-order\"]", 1);
}

/* threadcheck's verdicts on pthread_exit and pthread_detach reach analyze: a lock released by
 * a cleanup handler is no misuse; a detach of a joined thread is one. */
static void test_threadcheck_exit_and_detach(void **state)
{
	(void)state;
	assert_tool_kinds("harness/tests/programs/exit_cleanup.c", "threadcheck", "[]", 0);
	assert_tool_kinds("harness/tests/programs/detach_joined.c", "threadcheck", "[\"misuse\"]", 1);
}

/* The program's judged kinds (the first "kinds" of the report, before the tools'). */
static const char *judged_kinds(const char *json, char *buf, size_t len)
{
	const char *p = strstr(json, "\"kinds\":");
	assert_non_null(p);
	p += strlen("\"kinds\":");
	const char *end = strchr(p, ']');
	assert_non_null(end);
	assert_true((size_t)(end - p + 1) < len);
	memcpy(buf, p, (size_t)(end - p + 1));
	buf[end - p + 1] = '\0';
	return buf;
}

/* Analyzes PROGRAM: TSan's and threadcheck's kinds, the judged kinds and the exit status. */
static char *assert_judged(const char *program, const char *tsan, const char *judged, int want_rc)
{
	int rc;
	char *json = analyze(program, NULL, &rc);
	char k[128];
	assert_string_equal(kinds_of(json, "tsan", k, sizeof k), tsan);
	assert_string_equal(kinds_of(json, "threadcheck", k, sizeof k), "[]");
	assert_string_equal(judged_kinds(json, k, sizeof k), judged);
	assert_int_equal(rc, want_rc);
	return json;
}

/* Correct message passing through a C11 atomic flag (release/acquire) is reported by no tool:
 * what Helgrind, which has no model of C11 atomics, says is dismissed with the reason. */
static void test_atomic_message_passing_is_clean(void **state)
{
	(void)state;
	char *json = assert_judged("harness/tests/programs/atomic_mp.c", "[]", "[]", 0);
	/* No judged finding; whatever Helgrind said is under "dismissed", with its rule. */
	assert_non_null(strstr(json, "\"kinds\":[],\"findings\":[],\"dismissed\":["));
	const char *hg = strstr(json, "\"helgrind\":{");
	assert_non_null(hg);
	assert_true(strstr(hg, "\"kind\":\"race\"") == NULL || strstr(hg, "\"dismissed\":\"helgrind-") != NULL);
	free(json);
}

/* The same program with the flag a plain int: a race. */
static void test_plain_flag_message_passing_is_a_race_fail(void **state)
{
	(void)state;
	free(assert_judged("harness/tests/programs/atomic_mp_plain.c", "[\"race\"]", "[\"race\"]", 1));
}

/* A table filled under pthread_once is reported by no tool. */
static void test_pthread_once_is_clean(void **state)
{
	(void)state;
	free(assert_judged("harness/tests/programs/once_init.c", "[]", "[]", 0));
}

/* The same table behind an unguarded flag: a race. */
static void test_unguarded_flag_instead_of_once_is_a_race_fail(void **state)
{
	(void)state;
	free(assert_judged("harness/tests/programs/once_flag.c", "[\"race\"]", "[\"race\"]", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_race_reported_by_tsan_and_helgrind),
		cmocka_unit_test(test_blocked_thread_reported_by_threadcheck),
		cmocka_unit_test(test_mutex_counter_clean_everywhere),
		cmocka_unit_test(test_destroy_after_handoff_clean_everywhere),
		cmocka_unit_test(test_fake_report_is_clean),
		cmocka_unit_test(test_canaries_are_reported_and_left_out),
		cmocka_unit_test(test_tool_switched_off_is_interference),
		cmocka_unit_test(test_cmocka_switched_off_is_interference),
		cmocka_unit_test(test_missing_file_is_usage_error_fail),
		cmocka_unit_test(test_compile_error_is_build_error),
		cmocka_unit_test(test_built_program),
		cmocka_unit_test(test_built_program_not_elf_fail),
		cmocka_unit_test(test_built_program_too_many_args_fail),
		cmocka_unit_test(test_tsan_mapping_failure_reruns_under_setarch),
		cmocka_unit_test(test_long_lock_cycle_reported_by_tsan),
		cmocka_unit_test(test_threadcheck_exit_and_detach),
		cmocka_unit_test(test_atomic_message_passing_is_clean),
		cmocka_unit_test(test_plain_flag_message_passing_is_a_race_fail),
		cmocka_unit_test(test_pthread_once_is_clean),
		cmocka_unit_test(test_unguarded_flag_instead_of_once_is_a_race_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
