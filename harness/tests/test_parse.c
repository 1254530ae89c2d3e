/* test_parse.c: cmocka tests of the finding helpers, the classifier and the four parsers, on captured real tool output under harness/tests/fixtures (run from the repository root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stages.h"
#include "threadlab.h"
#include "xml.h"

#define FX "harness/tests/fixtures/"
#define SRC FX "src/"

typedef int (*parse_fn)(const char *, size_t, struct tl_findings *, char *, size_t);

/* Reads the fixture at PATH and parses it with FN into OUT; returns FN's result. The fixture
 * must exist: a missing one fails the test rather than passing as "no findings". */
static int parse_fixture(parse_fn fn, const char *path, struct tl_findings *out, char *err, size_t errlen)
{
	size_t len = 0;
	int truncated = 0;
	char *text = tl_read_file(path, 16u << 20, &len, &truncated);

	if (text == NULL)
		fail_msg("cannot read fixture %s: %s (run the tests from the repository root)", path,
			 strerror(errno));
	assert_int_equal(truncated, 0);
	int rc = fn(text, len, out, err, errlen);
	free(text);
	return rc;
}

static int parse_str(parse_fn fn, const char *text, struct tl_findings *out, char *err, size_t errlen)
{
	return fn(text, strlen(text), out, err, errlen);
}

static void assert_site(const struct tl_site *s, const char *file, int line, const char *function)
{
	assert_string_equal(s->file, file);
	assert_int_equal(s->line, line);
	assert_string_equal(s->function, function);
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (haystack == NULL || strstr(haystack, needle) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", haystack ? haystack : "(null)", needle);
}

/* ---- finding.c ---------------------------------------------------------------------------- */

static void test_kind_and_tool_names(void **state)
{
	(void)state;
	for (int k = 0; k < TL_KIND_COUNT; k++) {
		assert_int_equal(tl_kind_from_name(tl_kind_name((enum tl_kind)k)), k);
		assert_true(strlen(tl_kind_meaning((enum tl_kind)k)) > 10);
	}
	for (int t = 0; t < TL_TOOL_COUNT; t++)
		assert_int_equal(tl_tool_from_name(tl_tool_name((enum tl_tool)t)), t);
	assert_string_equal(tl_kind_name(TL_KIND_LOCK_ORDER), "lock-order");
	assert_string_equal(tl_tool_name(TL_TOOL_HELGRIND), "helgrind");
	for (int t = 0; t < TL_TOOL_COUNT; t++)
		assert_string_equal(tl_tool((enum tl_tool)t)->name, tl_tool_name((enum tl_tool)t));
	assert_int_equal(tl_tool(TL_TOOL_TSAN)->build, TL_BUILD_TSAN);
	assert_int_equal(tl_tool(TL_TOOL_HELGRIND)->build, TL_BUILD_PLAIN);
}

static void test_kind_and_tool_names_fail(void **state)
{
	(void)state;
	assert_int_equal(tl_kind_from_name("Race"), -1);
	assert_int_equal(tl_kind_from_name(""), -1);
	assert_int_equal(tl_kind_from_name(NULL), -1);
	assert_int_equal(tl_tool_from_name("valgrind"), -1);
	assert_int_equal(tl_tool_from_name(NULL), -1);
}

static void test_kindset_str(void **state)
{
	char buf[128], tiny[8];

	(void)state;
	assert_string_equal(tl_kindset_str(0, buf, sizeof(buf)), "clean");
	assert_string_equal(tl_kindset_str(TL_KINDSET(TL_KIND_RACE) | TL_KINDSET(TL_KIND_LOCK_ORDER) |
						   TL_KINDSET(TL_KIND_CRASH),
					   buf, sizeof(buf)),
			    "crash lock-order race");
	tl_kindset_str(TL_KINDSET(TL_KIND_THREAD_LEAK) | TL_KINDSET(TL_KIND_DEADLOCK), tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	assert_true(strncmp(tiny, "deadloc", 7) == 0);
}

static void test_strlcpy(void **state)
{
	char b[4];

	(void)state;
	tl_strlcpy(b, "abcdef", sizeof(b));
	assert_string_equal(b, "abc");
	tl_strlcpy(b, "x", sizeof(b));
	assert_string_equal(b, "x");
	tl_strlcpy(b, NULL, sizeof(b));
	assert_string_equal(b, "");
}

static void test_read_file(void **state)
{
	size_t len = 0;
	int truncated = -1;
	char *whole, *part;

	(void)state;
	whole = tl_read_file(FX "threadcheck/clean.log", 1 << 20, &len, &truncated);
	assert_non_null(whole);
	assert_int_equal(truncated, 0);
	assert_int_equal(len, strlen(whole));
	assert_true(len > 12);
	part = tl_read_file(FX "threadcheck/clean.log", 11, &len, &truncated);
	assert_non_null(part);
	assert_int_equal(len, 11);
	assert_int_equal(truncated, 1);
	assert_int_equal(part[11], '\0');
	assert_memory_equal(part, whole, 11);
	free(part);
	part = tl_read_file(FX "tsan/clean.log", 100, &len, &truncated);
	assert_non_null(part);
	assert_int_equal(len, 0);
	assert_string_equal(part, "");
	free(part);
	free(whole);
}

static void test_read_file_fail(void **state)
{
	size_t len = 99;

	(void)state;
	errno = 0;
	assert_null(tl_read_file(FX "does-not-exist.log", 100, &len, NULL));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(len, 0);
}

static void test_findings_list(void **state)
{
	struct tl_findings list = {0};
	struct tl_finding f;

	(void)state;
	assert_int_equal(tl_findings_kinds(&list), 0);
	for (int i = 0; i < 20; i++) {
		memset(&f, 0, sizeof(f));
		f.kind = i % 2 ? TL_KIND_RACE : TL_KIND_MISUSE;
		f.site.line = i;
		f.detail = strdup("owned by the list");
		tl_findings_add(&list, &f);
	}
	assert_int_equal(list.n, 20);
	assert_int_equal(list.v[19].site.line, 19);
	assert_int_equal(tl_findings_kinds(&list), TL_KINDSET(TL_KIND_RACE) | TL_KINDSET(TL_KIND_MISUSE));
	tl_findings_free(&list);
	assert_int_equal(list.n, 0);
	assert_null(list.v);
	tl_findings_free(&list); /* freeing twice is harmless */
}

/* ---- classify.c --------------------------------------------------------------------------- */

static void test_classify_tsan(void **state)
{
	(void)state;
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "data race"), TL_KIND_RACE);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "data race on vptr (ctor/dtor vs virtual call)"), TL_KIND_RACE);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "heap-use-after-free"), TL_KIND_RACE);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "lock-order-inversion (potential deadlock)"), TL_KIND_LOCK_ORDER);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "thread leak"), TL_KIND_THREAD_LEAK);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "unlock of an unlocked mutex (or by a wrong thread)"), TL_KIND_MISUSE);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "double lock of a mutex"), TL_KIND_MISUSE);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "destroy of a locked mutex"), TL_KIND_MISUSE);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "read lock of a write locked mutex"), TL_KIND_MISUSE);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "read unlock of a write locked mutex"), TL_KIND_MISUSE);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "signal-unsafe call inside of a signal"), TL_KIND_MISUSE);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "signal handler spoils errno"), TL_KIND_MISUSE);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "mutex held in the wrong context"), TL_KIND_MISUSE);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "SEGV on unknown address"), TL_KIND_CRASH);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "DEADLYSIGNAL"), TL_KIND_CRASH);
}

static void test_classify_tsan_fail(void **state)
{
	(void)state;
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "Data race"), -1);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "data race "), -1);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, "Race"), -1);
	assert_int_equal(tl_classify(TL_TOOL_TSAN, NULL), -1);
}

static void test_classify_others(void **state)
{
	(void)state;
	assert_int_equal(tl_classify(TL_TOOL_HELGRIND, "Race"), TL_KIND_RACE);
	assert_int_equal(tl_classify(TL_TOOL_HELGRIND, "LockOrder"), TL_KIND_LOCK_ORDER);
	static const char *const misuse[] = {"UnlockUnlocked", "UnlockForeign", "UnlockBogus", "PthAPIerror",
					     "Misc", "Dubious"};
	for (size_t i = 0; i < sizeof(misuse) / sizeof(misuse[0]); i++)
		assert_int_equal(tl_classify(TL_TOOL_HELGRIND, misuse[i]), TL_KIND_MISUSE);
	assert_int_equal(tl_classify(TL_TOOL_THREADCHECK, "thread-leak"), TL_KIND_THREAD_LEAK);
	assert_int_equal(tl_classify(TL_TOOL_THREADCHECK, "unjoined-thread"), TL_KIND_THREAD_LEAK);
	assert_int_equal(tl_classify(TL_TOOL_THREADCHECK, "deadlock"), TL_KIND_DEADLOCK);
	assert_int_equal(tl_classify(TL_TOOL_THREADCHECK, "lock-order"), TL_KIND_LOCK_ORDER);
	assert_int_equal(tl_classify(TL_TOOL_THREADCHECK, "misuse:double-join"), TL_KIND_MISUSE);
	assert_int_equal(tl_classify(TL_TOOL_TEST, "failure"), TL_KIND_TEST_FAIL);
}

static void test_classify_others_fail(void **state)
{
	(void)state;
	assert_int_equal(tl_classify(TL_TOOL_HELGRIND, "race"), -1);
	assert_int_equal(tl_classify(TL_TOOL_HELGRIND, "data race"), -1);
	assert_int_equal(tl_classify(TL_TOOL_THREADCHECK, "misuse:"), -1);
	assert_int_equal(tl_classify(TL_TOOL_THREADCHECK, "misuse"), -1);
	assert_int_equal(tl_classify(TL_TOOL_THREADCHECK, "Race"), -1);
	assert_int_equal(tl_classify(TL_TOOL_TEST, "skipped"), -1);
}

static void test_frame_is_runtime(void **state)
{
	(void)state;
	assert_true(tl_frame_is_runtime("<null>", "pthread_mutex_lock"));
	assert_true(tl_frame_is_runtime("", "main"));
	assert_true(tl_frame_is_runtime(NULL, "main"));
	assert_true(tl_frame_is_runtime("csu/../csu/libc-start.c", "__libc_start_main"));
	assert_true(tl_frame_is_runtime("./nptl/./nptl/pthread_create.c", "start_thread"));
	assert_true(tl_frame_is_runtime("/src/compiler-rt/lib/tsan/rtl/tsan_interceptors_posix.cpp", "x"));
	assert_true(tl_frame_is_runtime("t.c", "__interceptor_pthread_create"));
	assert_false(tl_frame_is_runtime(SRC "race_global.c", "first_writer"));
	assert_false(tl_frame_is_runtime("/home/a student/lab 1/counter.c", "increment"));
	assert_false(tl_frame_is_runtime("labs/common/chan.c", "chan_send"));
}

/* ---- parse_tsan.c ------------------------------------------------------------------------- */

static void test_tsan_race_global(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_tsan, FX "tsan/race_global.log", &out, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(out.n, 1);
	const struct tl_finding *f = &out.v[0];
	assert_int_equal(f->tool, TL_TOOL_TSAN);
	assert_int_equal(f->kind, TL_KIND_RACE);
	assert_string_equal(f->raw, "data race");
	assert_site(&f->site, SRC "race_global.c", 19, "second_writer");
	assert_string_equal(f->thread, "T2");
	assert_site(&f->other, SRC "race_global.c", 10, "first_writer");
	assert_string_equal(f->other_thread, "T1");
	assert_contains(f->message, "data race");
	assert_contains(f->message, "global 'counter'");
	assert_null(strchr(f->message, '\n'));
	assert_true(strncmp(f->detail, "==================\nWARNING: ThreadSanitizer: data race", 53) == 0);
	assert_contains(f->detail, "SUMMARY: ThreadSanitizer");
	tl_findings_free(&out);
}

static void test_tsan_race_heap_not_decoy(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_tsan, FX "tsan/race_heap.log", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	const struct tl_finding *f = &out.v[0];
	assert_int_equal(f->kind, TL_KIND_RACE);
	/* The race is on hits; balance is locked in both threads and must not be named. */
	assert_site(&f->site, SRC "race_heap.c", 29, "audit");
	assert_site(&f->other, SRC "race_heap.c", 16, "deposit");
	assert_string_equal(f->thread, "T2");
	assert_string_equal(f->other_thread, "T1");
	assert_contains(f->message, "heap block of size 56 allocated by main thread");
	assert_null(strstr(f->message, "0x"));
	tl_findings_free(&out);
}

static void assert_tsan_lock_order(const char *path)
{
	struct tl_findings out = {0};
	char err[256];

	assert_int_equal(parse_fixture(tl_parse_tsan, path, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	const struct tl_finding *f = &out.v[0];
	assert_int_equal(f->kind, TL_KIND_LOCK_ORDER);
	assert_string_equal(f->raw, "lock-order-inversion (potential deadlock)");
	assert_site(&f->site, SRC "lock_order.c", 12, "take_a_then_b");
	assert_string_equal(f->thread, "T1");
	assert_site(&f->other, SRC "lock_order.c", 23, "take_b_then_a");
	assert_string_equal(f->other_thread, "T2");
	tl_findings_free(&out);
}

static void test_tsan_lock_order(void **state)
{
	(void)state;
	assert_tsan_lock_order(FX "tsan/lock_order.log");
	/* With second_deadlock_stack=1 TSan adds "previously acquired" stacks; they change nothing. */
	assert_tsan_lock_order(FX "tsan/lock_order_second_stack.log");
}

/* A cycle through 20 locks, the longest this ThreadSanitizer reports in full (20 "acquired
 * here" sections, each with its "previously acquired" stack): the first two edges are the
 * sites, as for two locks. */
static void test_tsan_lock_cycle_20(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_tsan, FX "tsan/lock_cycle_20.log", &out, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(out.n, 1);
	const struct tl_finding *f = &out.v[0];
	assert_int_equal(f->kind, TL_KIND_LOCK_ORDER);
	assert_string_equal(f->raw, "lock-order-inversion (potential deadlock)");
	assert_site(&f->site, SRC "lock_cycle.c", 16, "take_pair");
	assert_string_equal(f->thread, "T1");
	assert_site(&f->other, SRC "lock_cycle.c", 16, "take_pair");
	assert_string_equal(f->other_thread, "T2");
	assert_contains(f->detail, "=> M19 (0x........) => M0");
	tl_findings_free(&out);
}

/* A cycle through 30 locks: TSan prints one line of its own instead of a report. It is a
 * lock-order finding without sites, not "no ThreadSanitizer output". */
static void test_tsan_lock_cycle_30(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_tsan, FX "tsan/lock_cycle_30.log", &out, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(out.n, 1);
	const struct tl_finding *f = &out.v[0];
	assert_int_equal(f->tool, TL_TOOL_TSAN);
	assert_int_equal(f->kind, TL_KIND_LOCK_ORDER);
	assert_string_equal(f->raw, "lock-order-inversion (potential deadlock)");
	assert_string_equal(f->site.file, "");
	assert_int_equal(f->site.line, 0);
	assert_contains(f->message, "more than 20 locks");
	assert_contains(f->message, "\"too long mutex cycle found\", 1 time)");
	assert_string_equal(f->detail, "WARNING: too long mutex cycle found\n");
	tl_findings_free(&out);
}

/* The long-cycle line among other reports, once between them and once inside a report that
 * another thread was printing: the reports' sites are read as without it (a report's detail
 * stays the text as written), and its two lines make one finding, after them. */
static void test_tsan_lock_cycle_mixed(void **state)
{
	static const char line[] = "WARNING: too long mutex cycle found\n";
	size_t a_len, b_len;
	char *a = tl_read_file(FX "tsan/race_global.log", 1 << 20, &a_len, NULL);
	char *b = tl_read_file(FX "tsan/lock_order.log", 1 << 20, &b_len, NULL);
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	/* The second copy goes right after the race block's WARNING line. */
	const char *cut = strstr(a, "(pid=PID)\n");
	assert_non_null(cut);
	size_t head = (size_t)(cut - a) + strlen("(pid=PID)\n");
	char *text = malloc(a_len + b_len + 2 * sizeof(line));
	assert_non_null(text);
	size_t n = 0;
	memcpy(text + n, a, head), n += head;
	memcpy(text + n, line, strlen(line)), n += strlen(line);
	memcpy(text + n, a + head, a_len - head), n += a_len - head;
	memcpy(text + n, line, strlen(line)), n += strlen(line);
	memcpy(text + n, b, b_len), n += b_len;
	assert_int_equal(tl_parse_tsan(text, n, &out, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(out.n, 3);
	assert_int_equal(out.v[0].kind, TL_KIND_RACE);
	assert_site(&out.v[0].site, SRC "race_global.c", 19, "second_writer");
	assert_site(&out.v[0].other, SRC "race_global.c", 10, "first_writer");
	assert_int_equal(out.v[1].kind, TL_KIND_LOCK_ORDER);
	assert_site(&out.v[1].site, SRC "lock_order.c", 12, "take_a_then_b");
	assert_int_equal(out.v[2].kind, TL_KIND_LOCK_ORDER);
	assert_contains(out.v[2].message, "2 times)");
	tl_findings_free(&out);
	free(text);
	free(a);
	free(b);
}

static void test_tsan_unlock_unlocked(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_tsan, FX "tsan/unlock_unlocked.log", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	const struct tl_finding *f = &out.v[0];
	assert_int_equal(f->kind, TL_KIND_MISUSE);
	assert_string_equal(f->raw, "unlock of an unlocked mutex (or by a wrong thread)");
	assert_site(&f->site, SRC "unlock_unlocked.c", 11, "release_twice");
	assert_site(&f->other, SRC "unlock_unlocked.c", 9, "release_twice"); /* where M0 was created */
	assert_contains(f->message, "global 'guard'");
	tl_findings_free(&out);
}

static void test_tsan_thread_leak(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_tsan, FX "tsan/thread_leak.log", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	const struct tl_finding *f = &out.v[0];
	assert_int_equal(f->kind, TL_KIND_THREAD_LEAK);
	assert_string_equal(f->raw, "thread leak");
	assert_string_equal(f->thread, "T1");
	assert_site(&f->other, SRC "thread_leak.c", 19, "main");
	assert_string_equal(f->other_thread, "main");
	assert_site(&f->site, SRC "thread_leak.c", 19, "main");
	tl_findings_free(&out);
}

static void test_tsan_crash(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_tsan, FX "tsan/crash.log", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	const struct tl_finding *f = &out.v[0];
	assert_int_equal(f->kind, TL_KIND_CRASH);
	assert_string_equal(f->raw, "SEGV on unknown address");
	assert_site(&f->site, SRC "crash.c", 8, "read_target");
	assert_contains(f->message, "SEGV");
	assert_contains(f->detail, "ABORTING");
	tl_findings_free(&out);
}

static void test_tsan_clean_and_fake_report(void **state)
{
	struct tl_findings out = {0};
	char err[256];
	size_t len = 1;

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_tsan, FX "tsan/clean.log", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 0);
	/* fake_report prints a TSan-shaped report on stderr; TSan's own log stays empty. */
	char *text = tl_read_file(FX "tsan/fake_report.log", 1 << 20, &len, NULL);
	assert_non_null(text);
	assert_int_equal(len, 0);
	free(text);
	assert_int_equal(parse_fixture(tl_parse_tsan, FX "tsan/fake_report.log", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(parse_str(tl_parse_tsan, "\n  \n", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(tl_parse_tsan(NULL, 0, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 0);
}

/* Several logs in one text, with noise between them and no trailing newline. */
static void test_tsan_several_reports(void **state)
{
	static const char *const parts[] = {"race_global", "lock_order", "thread_leak", "crash"};
	char *all = NULL;
	size_t n = 0;
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		char path[128];
		size_t len;
		snprintf(path, sizeof(path), FX "tsan/%s.log", parts[i]);
		char *t = tl_read_file(path, 1 << 20, &len, NULL);
		assert_non_null(t);
		const char *noise = "program output that is not TSan's\n";
		all = realloc(all, n + len + strlen(noise) + 1);
		assert_non_null(all);
		memcpy(all + n, t, len);
		n += len;
		memcpy(all + n, noise, strlen(noise));
		n += strlen(noise);
		free(t);
	}
	n--; /* drop the final newline */
	assert_int_equal(tl_parse_tsan(all, n, &out, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(out.n, 4);
	assert_int_equal(out.v[0].kind, TL_KIND_RACE);
	assert_int_equal(out.v[1].kind, TL_KIND_LOCK_ORDER);
	assert_int_equal(out.v[2].kind, TL_KIND_THREAD_LEAK);
	assert_int_equal(out.v[3].kind, TL_KIND_CRASH);
	assert_null(strstr(out.v[0].detail, "lock-order"));
	tl_findings_free(&out);
	free(all);
}

/* A report the text ends inside (TSan was killed mid-write) is dropped; earlier ones stay. */
static void test_tsan_cut_short(void **state)
{
	struct tl_findings out = {0};
	char err[256];
	size_t a_len, b_len;
	char *a = tl_read_file(FX "tsan/thread_leak.log", 1 << 20, &a_len, NULL);
	char *b = tl_read_file(FX "tsan/race_global.log", 1 << 20, &b_len, NULL);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	char *text = malloc(a_len + b_len);
	assert_non_null(text);
	memcpy(text, a, a_len);
	memcpy(text + a_len, b, b_len / 2);
	assert_int_equal(tl_parse_tsan(text, a_len + b_len / 2, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].kind, TL_KIND_THREAD_LEAK);
	assert_contains(err, "cut short");
	tl_findings_free(&out);
	free(text);
	free(a);
	free(b);
}

/* Frame shapes the captures do not show: paths with spaces, <null> functions, no BuildId,
 * atomic accesses with a mutex set, the main thread, C++ names with spaces. */
static void test_tsan_frame_forms(void **state)
{
	static const char text[] =
		"==================\n"
		"WARNING: ThreadSanitizer: data race (pid=4242)\n"
		"  Atomic write of size 8 at 0x7b0400000010 by main thread (mutexes: write M0, read M1):\n"
		"    #0 __tsan_atomic64_store <null> (a.out+0x1234)\n"
		"    #1 <null> <null> (libfoo.so+0x99)\n"
		"    #2 bump /home/a student/lab 1/counter.c:42:7 (a.out+0x5678)\n"
		"\n"
		"  Previous read of size 8 at 0x7b0400000010 by thread T12:\n"
		"    #0 std::vector<int, std::allocator<int> >::size() const /usr/include/c++/12/bits/stl_vector.h:919:40 (a.out+0x77) (BuildId: 1234abcd)\n"
		"    #1 peek(std::vector<int, std::allocator<int> > const&) /src/my dir/peek.cpp:5 (a.out+0x88) (BuildId: 1234abcd)\n"
		"\n"
		"  Location is stack of main thread.\n"
		"\n"
		"SUMMARY: ThreadSanitizer: data race /home/a student/lab 1/counter.c:42:7 in bump\n"
		"==================\n";
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_str(tl_parse_tsan, text, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	const struct tl_finding *f = &out.v[0];
	assert_site(&f->site, "/home/a student/lab 1/counter.c", 42, "bump");
	assert_string_equal(f->thread, "main");
	/* The first frame of the previous access is in a system header, which is user-visible code
	 * as far as the parser knows; it has a file, so it is the site. */
	assert_site(&f->other, "/usr/include/c++/12/bits/stl_vector.h", 919,
		    "std::vector<int, std::allocator<int> >::size() const");
	assert_string_equal(f->other_thread, "T12");
	assert_contains(f->message, "Location is stack of main thread");
	tl_findings_free(&out);
}

static void test_tsan_fail(void **state)
{
	static const char *const bad[] = {
		"hello\nworld\n",
		"==================\nWARNING: ThreadSanitizer: data race\n==================\n",
		"==================\nWARNING: ThreadSanitizer:  (pid=1)\n==================\n",
		"FATAL: ThreadSanitizer: unexpected memory mapping 0x55e2d9c2c000-0x55e2d9c2d000\n",
		"ThreadSanitizer: CHECK failed: tsan_rtl.cpp:123 \"((x)) != (0)\"\n",
	};
	struct tl_findings out = {0};
	struct tl_finding keep = {.kind = TL_KIND_RACE};
	char err[256];

	(void)state;
	tl_findings_add(&out, &keep);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse_str(tl_parse_tsan, bad[i], &out, err, sizeof(err)), -1);
		assert_true(strlen(err) > 0);
		assert_int_equal(out.n, 1); /* OUT is unchanged on failure */
	}
	/* A good report before the bad line does not leak into OUT either. */
	size_t len;
	char *good = tl_read_file(FX "tsan/race_global.log", 1 << 20, &len, NULL);
	assert_non_null(good);
	char *text = malloc(len + 64);
	assert_non_null(text);
	memcpy(text, good, len);
	strcpy(text + len, "FATAL: ThreadSanitizer: internal error\n");
	assert_int_equal(parse_str(tl_parse_tsan, text, &out, err, sizeof(err)), -1);
	assert_int_equal(out.n, 1);
	free(text);
	free(good);
	tl_findings_free(&out);
}

/* ---- parse_helgrind.c --------------------------------------------------------------------- */

static void test_helgrind_race_global(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_helgrind, FX "helgrind/race_global.xml", &out, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(out.n, 2); /* `counter += 2` is a read and a write */
	for (size_t i = 0; i < out.n; i++) {
		const struct tl_finding *f = &out.v[i];
		assert_int_equal(f->tool, TL_TOOL_HELGRIND);
		assert_int_equal(f->kind, TL_KIND_RACE);
		assert_string_equal(f->raw, "Race");
		assert_site(&f->site, SRC "race_global.c", 19, "second_writer");
		assert_string_equal(f->thread, "#3");
		assert_site(&f->other, SRC "race_global.c", 10, "first_writer");
		assert_string_equal(f->other_thread, "#2");
		assert_contains(f->message, "\"counter\"");
		assert_true(strncmp(f->detail, "<error>", 7) == 0);
		assert_contains(f->detail, "</error>");
	}
	assert_contains(out.v[0].message, "during read");
	assert_contains(out.v[1].message, "during write");
	tl_findings_free(&out);
}

static void test_helgrind_race_heap(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_helgrind, FX "helgrind/race_heap.xml", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 2);
	assert_site(&out.v[0].site, SRC "race_heap.c", 29, "audit");
	assert_site(&out.v[0].other, SRC "race_heap.c", 16, "deposit");
	assert_contains(out.v[0].message, "block of size 56");
	tl_findings_free(&out);
}

static void test_helgrind_lock_order(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_helgrind, FX "helgrind/lock_order.xml", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	const struct tl_finding *f = &out.v[0];
	assert_int_equal(f->kind, TL_KIND_LOCK_ORDER);
	assert_string_equal(f->raw, "LockOrder");
	assert_site(&f->site, SRC "lock_order.c", 23, "take_b_then_a");
	assert_string_equal(f->thread, "#3");
	assert_site(&f->other, SRC "lock_order.c", 12, "take_a_then_b");
	assert_contains(f->message, "lock order");
	tl_findings_free(&out);
}

static void test_helgrind_unlock_unlocked(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_helgrind, FX "helgrind/unlock_unlocked.xml", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	const struct tl_finding *f = &out.v[0];
	assert_int_equal(f->kind, TL_KIND_MISUSE);
	assert_string_equal(f->raw, "UnlockUnlocked");
	assert_site(&f->site, SRC "unlock_unlocked.c", 11, "release_twice");
	assert_string_equal(f->thread, "#2");
	assert_site(&f->other, SRC "unlock_unlocked.c", 9, "release_twice");
	tl_findings_free(&out);
}

static void test_helgrind_no_errors(void **state)
{
	/* Helgrind does not report threads that are never joined: thread_leak is one of its
	 * blind spots, and its run is as clean as clean's and fake_report's. */
	static const char *const clean[] = {"clean", "fake_report", "thread_leak"};
	struct tl_findings out = {0};
	char err[256], path[128];

	(void)state;
	for (size_t i = 0; i < sizeof(clean) / sizeof(clean[0]); i++) {
		snprintf(path, sizeof(path), FX "helgrind/%s.xml", clean[i]);
		assert_int_equal(parse_fixture(tl_parse_helgrind, path, &out, err, sizeof(err)), 0);
		assert_string_equal(err, "");
		assert_int_equal(out.n, 0);
	}
	assert_int_equal(parse_str(tl_parse_helgrind, "", &out, err, sizeof(err)), 0);
	assert_int_equal(parse_str(tl_parse_helgrind, " \n", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 0);
}

static void test_helgrind_fatal_signal(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_helgrind, FX "helgrind/crash.xml", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	const struct tl_finding *f = &out.v[0];
	assert_int_equal(f->kind, TL_KIND_CRASH);
	assert_string_equal(f->raw, "fatal_signal");
	assert_contains(f->message, "SIGSEGV");
	/* gcc -O1 inlines read_target into main; the frame names main at the same line. */
	assert_string_equal(f->site.file, SRC "crash.c");
	assert_int_equal(f->site.line, 13);
	assert_string_equal(f->thread, "#1");
	tl_findings_free(&out);
}

/* Valgrind gave up part-way (more threads than it supports) and still closed the document:
 * no FINISHED status, so the run is not a clean one. */
static void test_helgrind_gave_up(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_helgrind, FX "helgrind/gave_up.xml", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 0);
	assert_contains(err, "no FINISHED status");
	tl_findings_free(&out);

	/* The same run seen to the end is clean and leaves no note. */
	assert_int_equal(parse_fixture(tl_parse_helgrind, FX "helgrind/clean.xml", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 0);
	assert_string_equal(err, "");
	tl_findings_free(&out);
}

static void test_helgrind_truncated(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_helgrind, FX "helgrind/truncated.xml", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1); /* the second <error> is cut inside */
	assert_int_equal(out.v[0].kind, TL_KIND_RACE);
	assert_site(&out.v[0].site, SRC "race_heap.c", 29, "audit");
	assert_contains(err, "cut short");
	tl_findings_free(&out);

	/* Cut inside a tag, an attribute and an entity. */
	static const char *const cuts[] = {
		"<?xml version=\"1.0\"?>\n<valgrindoutput>\n<protocolversion>4</protocolversion>\n<erro",
		"<valgrindoutput><protocolversion>4</protocolversion><error a=\"x",
		"<valgrindoutput><protocolversion>4</protocolversion><error><kind>Race</kind><what>a &am",
		"<valgrindoutput><protocolversion>4</protocolversion><!-- note",
		"<valgrindoutput>",
	};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		assert_int_equal(parse_str(tl_parse_helgrind, cuts[i], &out, err, sizeof(err)), 0);
		assert_int_equal(out.n, 0);
		assert_contains(err, "cut short");
	}
}

static void test_helgrind_entities(void **state)
{
	static const char xml[] =
		"<?xml version=\"1.0\"?>\n<valgrindoutput>\n<protocolversion>4</protocolversion>\n"
		"<protocoltool>helgrind</protocoltool>\n<!-- a comment <error> -->\n"
		"<error>\n  <unique>0x1</unique>\n  <kind>Misc</kind>\n"
		"  <what>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#65;&#x42; &#xe9;</what>\n"
		"  <stack>\n    <frame><ip>0x1</ip><obj>/x/vgpreload_helgrind-amd64-linux.so</obj>"
		"<fn>pthread_mutex_lock</fn><dir>/v</dir><file>hg_intercepts.c</file><line>9</line></frame>\n"
		"    <frame><ip>0x2</ip><obj>/p/prog</obj><fn>a&amp;b</fn><file>x &lt; y.c</file><line>7</line></frame>\n"
		"  </stack>\n</error>\n</valgrindoutput>\n";
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_str(tl_parse_helgrind, xml, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].kind, TL_KIND_MISUSE);
	assert_string_equal(out.v[0].message, "a <b> & \"c\" 'd' AB \xc3\xa9");
	assert_site(&out.v[0].site, "x < y.c", 7, "a&b");
	assert_string_equal(out.v[0].thread, "");
	tl_findings_free(&out);
}

static void test_helgrind_fail(void **state)
{
	static const char *const bad[] = {
		"not xml at all\n",
		"<valgrindoutput><a></b></valgrindoutput>",
		"</valgrindoutput>",
		"<valgrindoutput><protocolversion>3</protocolversion></valgrindoutput>",
		"<valgrindoutput><protocolversion>4</protocolversion><protocoltool>memcheck</protocoltool>"
		"</valgrindoutput>",
		"<valgrindoutput><protocolversion>4</protocolversion><error><what>&bogus;</what></error>"
		"</valgrindoutput>",
		"<valgrindoutput><protocolversion>4</protocolversion><error><what>x</what></error>"
		"</valgrindoutput>",
		"<valgrindoutput></valgrindoutput>",
		"<testsuites></testsuites>",
		"<valgrindoutput a=b></valgrindoutput>",
		"<valgrindoutput>< x/></valgrindoutput>",
		"<a>&#0;</a>",
	};
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse_str(tl_parse_helgrind, bad[i], &out, err, sizeof(err)) != -1)
			fail_msg("accepted bad input %zu: %s", i, bad[i]);
		assert_true(strlen(err) > 0);
		assert_int_equal(out.n, 0);
	}
	static const char nul[] = "<valgrindoutput>\0</valgrindoutput>";
	assert_int_equal(tl_parse_helgrind(nul, sizeof(nul) - 1, &out, err, sizeof(err)), -1);
}

/* Parses TEXT[0..LEN) with the XML reader; returns its result, with *DOC and *TRUNCATED. */
static int xml_parse(const char *text, size_t len, struct tl__xml_node **doc, int *truncated, char *err,
		     size_t errlen)
{
	err[0] = '\0';
	int rc = tl__xml_parse(text, len, doc, truncated, err, errlen);
	assert_true(rc == 0 ? *doc != NULL && err[0] == '\0' : *doc == NULL && err[0] != '\0');
	return rc;
}

/* Nesting is bounded: a cut text at the bound is read, one element deeper is refused, and so
 * is a deep text of 100,000 elements, without recursing or leaking. */
static void test_xml_deep(void **state)
{
	enum { DEPTH = 100000 };
	char *xml = malloc(DEPTH * 3 + 1);
	struct tl__xml_node *doc = NULL;
	int truncated = 0;
	char err[128];

	(void)state;
	assert_non_null(xml);
	for (int i = 0; i < DEPTH; i++)
		memcpy(xml + 3 * i, "<a>", 3);
	assert_int_equal(xml_parse(xml, TL_XML_MAX_DEPTH * 3, &doc, &truncated, err, sizeof(err)), 0);
	assert_int_equal(truncated, 1);
	const struct tl__xml_node *n = tl__xml_child(doc, "a");
	for (unsigned d = 1; d < TL_XML_MAX_DEPTH; d++)
		n = tl__xml_child(n, "a");
	assert_non_null(n);
	assert_int_equal(n->complete, 0);
	tl__xml_free(doc);
	assert_int_equal(xml_parse(xml, (TL_XML_MAX_DEPTH + 1) * 3, &doc, &truncated, err, sizeof(err)), -1);
	assert_contains(err, "nested deeper than");
	assert_int_equal(xml_parse(xml, DEPTH * 3, &doc, &truncated, err, sizeof(err)), -1);
	free(xml);
}

/* So is the number of elements: the root and TL_XML_MAX_NODES - 1 children are read, one more
 * child is refused. */
static void test_xml_many_nodes(void **state)
{
	size_t n = TL_XML_MAX_NODES, len = 0;
	char *xml = malloc(4 * n + 16);
	struct tl__xml_node *doc = NULL;
	int truncated = 0;
	char err[128];

	(void)state;
	assert_non_null(xml);
	memcpy(xml, "<r>", 3);
	len = 3;
	for (size_t i = 0; i < n; i++, len += 4)
		memcpy(xml + len, "<a/>", 4);
	memcpy(xml + len, "</r>", 4);
	assert_int_equal(xml_parse(xml, len + 4, &doc, &truncated, err, sizeof(err)), -1);
	assert_contains(err, "more than");
	memcpy(xml + len - 4, "</r>", 4); /* one child less */
	assert_int_equal(xml_parse(xml, len, &doc, &truncated, err, sizeof(err)), 0);
	assert_int_equal(truncated, 0);
	assert_int_equal(doc->child->last_child->end, len - 4);
	tl__xml_free(doc);
	free(xml);
}

/* Several documents in a row (cmocka appends one per group run), each element's byte range,
 * CDATA, entities and character references. */
static void test_xml_several_documents(void **state)
{
	static const char xml[] = "<?xml version=\"1.0\"?>\n<a n=\"1&amp;2\"/>\n"
				  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<b><c>x&lt;<![CDATA[<y>]]>&#xe9;</c></b>\n"
				  "<!-- between -->\n<a/>\n";
	static const char *const bad[] = {"<a/>text", "<a/>\n</a>", "text", "<a/>]]>", "<a/><b>&nope;</b>",
					  "<a><?xml version=\"1.0\"?><b/>"};
	struct tl__xml_node *doc = NULL;
	int truncated = 1;
	char err[128];

	(void)state;
	assert_int_equal(xml_parse(xml, sizeof(xml) - 1, &doc, &truncated, err, sizeof(err)), 0);
	assert_int_equal(truncated, 0);
	const struct tl__xml_node *a = tl__xml_child(doc, "a"), *b = tl__xml_child(doc, "b");
	assert_string_equal(tl__xml_attr(a, "n"), "1&2");
	assert_null(tl__xml_attr(a, "m"));
	assert_non_null(b);
	assert_string_equal(tl__xml_child_text(b, "c"), "x<<y>\xc3\xa9");
	assert_int_equal(b->end - b->begin, strlen("<b><c>x&lt;<![CDATA[<y>]]>&#xe9;</c></b>"));
	assert_memory_equal(xml + b->begin, "<b><c>", 6);
	assert_memory_equal(xml + a->begin, "<a n=", 5);
	assert_int_equal(a->end - a->begin, strlen("<a n=\"1&amp;2\"/>"));
	const struct tl__xml_node *a2 = tl__xml_next(a, "a");
	assert_non_null(a2);
	assert_int_equal(a2->end - a2->begin, 4);
	assert_memory_equal(xml + a2->begin, "<a/>", 4);
	assert_null(tl__xml_next(a2, "a"));
	tl__xml_free(doc);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (xml_parse(bad[i], strlen(bad[i]), &doc, &truncated, err, sizeof(err)) != -1)
			fail_msg("accepted bad input %zu: %s", i, bad[i]);
}

/* A text cut short keeps its complete elements and marks the open ones, whatever the cut is in. */
static void test_xml_cut(void **state)
{
	static const char xml[] = "<r><a>1</a><b x=\"y\">2<c/><d>3";
	static const char *const cuts[] = {"<r><e", "<r><e x=\"", "<r><e>&am", "<r><!-- c", "<r><![CDATA[t",
					   "<r>\xc3", "<r></", "<r><?pi", "<r/><r", "<r/>\n<?xml version"};
	struct tl__xml_node *doc = NULL;
	int truncated = 0;
	char err[128];

	(void)state;
	assert_int_equal(xml_parse(xml, sizeof(xml) - 1, &doc, &truncated, err, sizeof(err)), 0);
	assert_int_equal(truncated, 1);
	const struct tl__xml_node *r = tl__xml_child(doc, "r"), *b = tl__xml_child(r, "b");
	assert_int_equal(r->complete, 0);
	assert_int_equal(tl__xml_child(r, "a")->complete, 1);
	assert_string_equal(tl__xml_child_text(r, "a"), "1");
	assert_int_equal(b->complete, 0);
	assert_int_equal(b->end, sizeof(xml) - 1);
	assert_string_equal(b->text, "2");
	assert_int_equal(tl__xml_child(b, "c")->complete, 1);
	assert_int_equal(tl__xml_child(b, "d")->complete, 0);
	assert_string_equal(tl__xml_child_text(b, "d"), "3");
	tl__xml_free(doc);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		if (xml_parse(cuts[i], strlen(cuts[i]), &doc, &truncated, err, sizeof(err)) != 0 || !truncated)
			fail_msg("cut %zu not read as cut: %s (%s)", i, cuts[i], err);
		assert_non_null(tl__xml_child(doc, "r"));
		tl__xml_free(doc);
	}
}

/* A DOCTYPE is refused at its start, before an internal subset could declare an entity, so an
 * entity bomb costs nothing. */
static void test_xml_doctype(void **state)
{
	static const char *const docs[] = {
		"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
		"<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>",
		"<?xml version=\"1.0\"?><!DOCTYPE a><a/>",
		"<a/><!DOCTYPE b [<!ENTITY x \"y\">]><b>&x;</b>",
	};
	char bomb[4096] = "<!DOCTYPE b [<!ENTITY e0 \"xxxxxxxxxxxxxxxx\">";
	struct tl__xml_node *doc = NULL;
	int truncated = 0;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		if (xml_parse(docs[i], strlen(docs[i]), &doc, &truncated, err, sizeof(err)) != -1)
			fail_msg("accepted a DOCTYPE %zu: %s", i, docs[i]);
		assert_contains(err, "DOCTYPE");
	}
	/* Each entity is 16 of the one before: e20 would expand to 16^21 bytes. */
	for (int i = 1; i <= 20; i++) {
		size_t n = strlen(bomb);
		n += (size_t)snprintf(bomb + n, sizeof(bomb) - n, "<!ENTITY e%d \"", i);
		for (int k = 0; k < 16; k++)
			n += (size_t)snprintf(bomb + n, sizeof(bomb) - n, "&e%d;", i - 1);
		snprintf(bomb + n, sizeof(bomb) - n, "\">");
	}
	tl_strlcpy(bomb + strlen(bomb), "]><b>&e20;</b>", sizeof(bomb) - strlen(bomb));
	assert_int_equal(xml_parse(bomb, strlen(bomb), &doc, &truncated, err, sizeof(err)), -1);
	assert_contains(err, "DOCTYPE");
}

/* Bytes that are not UTF-8 or not XML characters read as '?', a NUL byte is refused, and random
 * damage to a real report never crashes the reader (nor leaks, under memcheck). */
static void test_xml_bad_bytes(void **state)
{
	static const char xml[] = "<testsuite name=\"g\"><testcase name=\"t\"><failure><![CDATA[\"\x01\xff\xc3\xa9\xed\xa0\x80|"
				  "\xc0\xaf|\xe0\x80\xaf|\xf4\x90\x80\x80|\xef\xbf\xbe|\xe2\x82|\xf8\" != \"x\"\n"
				  "t.c:3: error: Failure!]]></failure></testcase></testsuite>";
	static const char nul[] = "<testsuite name=\"g\"><testcase name=\"t\"><failure>a\0b</failure></testcase></testsuite>";
	static const char latin1[] = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xc3\xa9</a>";
	struct tl__xml_node *doc = NULL;
	struct tl_findings out = {0};
	size_t len = 0;
	int truncated = 0;
	char err[256];

	(void)state;
	assert_int_equal(parse_str(tl_parse_cmocka, xml, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	/* A control character, a stray byte, a surrogate, overlong forms, a code point past
	 * U+10FFFF, a non-character, a cut sequence and a byte no UTF-8 has. */
	assert_contains(out.v[0].message, "\"??\xc3\xa9???|??|???|????|???|??|?\" != \"x\"");
	assert_site(&out.v[0].site, "t.c", 3, "t");
	assert_contains(out.v[0].detail, "\x01\xff\xc3\xa9\xed\xa0\x80"); /* the detail is the original text */
	tl_findings_free(&out);
	assert_int_equal(tl_parse_cmocka(nul, sizeof(nul) - 1, &out, err, sizeof(err)), -1);
	assert_contains(err, "NUL");
	/* Read as UTF-8 whatever the declaration says: the tools write UTF-8. */
	assert_int_equal(xml_parse(latin1, sizeof(latin1) - 1, &doc, &truncated, err, sizeof(err)), 0);
	assert_string_equal(tl__xml_child(doc, "a")->text, "\xc3\xa9");
	tl__xml_free(doc);

	char *text = tl_read_file(FX "helgrind/race_heap.xml", 1u << 20, &len, &truncated);
	unsigned seed = 12345;
	assert_non_null(text);
	for (int round = 0; round < 300; round++) {
		char *copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, text, len);
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % len] = (char)(seed >> 24);
		}
		seed = seed * 1103515245u + 12345u;
		if (tl_parse_helgrind(copy, round % 2 ? len : (seed >> 8) % len, &out, err, sizeof(err)) == 0)
			tl_findings_free(&out);
		assert_int_equal(out.n, 0);
		free(copy);
	}
	free(text);
}

/* ---- parse_threadcheck.c ------------------------------------------------------------------ */

static void test_threadcheck_leak(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_threadcheck, FX "threadcheck/leak.log", &out, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(out.n, 2);
	const struct tl_finding *f = &out.v[0];
	assert_int_equal(f->tool, TL_TOOL_THREADCHECK);
	assert_int_equal(f->kind, TL_KIND_THREAD_LEAK);
	assert_string_equal(f->raw, "thread-leak");
	assert_string_equal(f->thread, "T1");
	assert_site(&f->site, "labs/03-queue/queue.c", 57, "queue_pop"); /* where it is blocked */
	assert_site(&f->other, "labs/03-queue/main.c", 22, "main");      /* where it was created */
	assert_contains(f->message, "still blocked");
	f = &out.v[1];
	assert_int_equal(f->kind, TL_KIND_THREAD_LEAK);
	assert_string_equal(f->raw, "unjoined-thread");
	assert_site(&f->site, "labs/03-queue/log.c", 12, "logger_main");
	assert_site(&f->other, "labs/03-queue/log.c", 30, "start_logger");
	assert_contains(f->message, "unjoined-thread");
	assert_true(strncmp(f->detail, "BEGIN unjoined-thread\n", 22) == 0);
	tl_findings_free(&out);
}

static void test_threadcheck_deadlock(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_threadcheck, FX "threadcheck/deadlock.log", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	const struct tl_finding *f = &out.v[0];
	assert_int_equal(f->kind, TL_KIND_DEADLOCK);
	assert_site(&f->site, "labs/05-bank/bank.c", 32, "transfer");
	assert_string_equal(f->thread, "T1");
	assert_site(&f->other, "labs/05-bank/bank.c", 32, "transfer");
	assert_string_equal(f->other_thread, "T2");
	tl_findings_free(&out);
}

static void test_threadcheck_lock_order_misuse(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_threadcheck, FX "threadcheck/lock_order.log", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 2);
	assert_int_equal(out.v[0].kind, TL_KIND_LOCK_ORDER);
	assert_site(&out.v[0].site, "labs/my labs/lock order.c", 23, "take_b_then_a");
	assert_site(&out.v[0].other, "labs/my labs/lock order.c", 22, "take_b_then_a");
	assert_string_equal(out.v[0].thread, "main");
	assert_int_equal(out.v[1].kind, TL_KIND_MISUSE);
	assert_string_equal(out.v[1].raw, "misuse:unlock-unlocked");
	assert_site(&out.v[1].site, "", 0, "release_twice");
	tl_findings_free(&out);
}

/* Captured from libthreadcheck.so (harness/tests/children/tc_order.c, TC_CASE=three): the
 * site is the first thread's lock taken against the order, the other the next thread's. */
static void test_threadcheck_lock_order_real(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_threadcheck, FX "threadcheck/lock_order_three.log", &out, err,
				       sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].kind, TL_KIND_LOCK_ORDER);
	assert_site(&out.v[0].site, "harness/tests/children/tc_order.c", 57, "pair");
	assert_string_equal(out.v[0].thread, "T1");
	assert_site(&out.v[0].other, "harness/tests/children/tc_order.c", 57, "pair");
	assert_string_equal(out.v[0].other_thread, "T2");
	assert_contains(out.v[0].message, "cycle of 3 locks");
	tl_findings_free(&out);
}

/* Captured misuses: the site is the misused call, else (a thread that returned holding a
 * lock) where the lock was taken; the other site is the other thread's hold. */
static void test_threadcheck_misuse_real(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_threadcheck, FX "threadcheck/misuse.log", &out, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(out.n, 3);
	for (size_t i = 0; i < out.n; i++)
		assert_int_equal(out.v[i].kind, TL_KIND_MISUSE);
	assert_string_equal(out.v[0].raw, "misuse:unlock-not-owner");
	assert_site(&out.v[0].site, "harness/tests/children/tc_misuse.c", 130, "main");
	assert_string_equal(out.v[0].thread, "T0");
	assert_site(&out.v[0].other, "harness/tests/children/tc_misuse.c", 30, "holder");
	assert_string_equal(out.v[0].other_thread, "T1");
	assert_string_equal(out.v[1].raw, "misuse:exit-holding-lock");
	assert_site(&out.v[1].site, "harness/tests/children/tc_misuse.c", 57, "keeps_lock");
	assert_site(&out.v[2].site, "harness/tests/children/tc_misuse.c", 64, "exits_with_lock");
	tl_findings_free(&out);
}

/* `acquired` and `call` lines must carry an object and a location. */
static void test_threadcheck_new_lines_malformed(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_str(tl_parse_threadcheck,
				   "threadcheck 1 pid=1\nBEGIN lock-order\nacquired 0x1\nEND\nsummary 1 findings\n",
				   &out, err, sizeof(err)), -1);
	assert_contains(err, "malformed");
	assert_int_equal(parse_str(tl_parse_threadcheck,
				   "threadcheck 1 pid=1\nBEGIN misuse:join-twice\ncall pthread_join f a.c:3\nEND\n"
				   "summary 1 findings\n",
				   &out, err, sizeof(err)), -1);
	assert_contains(err, "malformed");
	assert_int_equal(out.n, 0);
}

static void test_threadcheck_clean_and_cut(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_threadcheck, FX "threadcheck/clean.log", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 0);
	assert_string_equal(err, "");
	assert_int_equal(parse_str(tl_parse_threadcheck, "", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(parse_fixture(tl_parse_threadcheck, FX "threadcheck/cut.log", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].raw, "unjoined-thread");
	assert_site(&out.v[0].site, SRC "thread_leak.c", 9, "background");
	assert_contains(err, "cut short");
	tl_findings_free(&out);

	/* One log per process, concatenated: a process killed after its header (or inside a
	 * record) is followed by the next process's complete log, which is read as usual. */
	size_t len = 0;
	char *leak = tl_read_file(FX "threadcheck/leak.log", 1 << 20, &len, NULL);
	assert_non_null(leak);
	static const char *const heads[] = {"threadcheck 1 pid=7\n", "threadcheck 1 pid=7\nBEGIN deadlock\n"};
	for (size_t i = 0; i < 2; i++) {
		char text[16384];
		snprintf(text, sizeof text, "%s%s", heads[i], leak);
		struct tl_findings one = {0};
		assert_int_equal(parse_str(tl_parse_threadcheck, leak, &one, err, sizeof(err)), 0);
		assert_string_equal(err, "");
		assert_int_equal(parse_str(tl_parse_threadcheck, text, &out, err, sizeof(err)), 0);
		assert_int_equal(out.n, one.n);
		assert_contains(err, "cut short");
		if (i == 1)
			assert_contains(err, "dropped the unfinished");
		tl_findings_free(&one);
		tl_findings_free(&out);
	}
	free(leak);
}

static void test_threadcheck_fail(void **state)
{
	static const char *const bad[] = {
		"hello\n",
		"threadcheck 2 pid=1\nsummary 0 findings\n",
		"threadcheck 1\nsummary 0 findings\n",
		"threadcheck 1 pid=1\nsummary 1 findings\n",
		"threadcheck 1 pid=1\nsummary many findings\n",
		"threadcheck 1 pid=1\nBEGIN deadlock\nfrobnicate 1\nEND\nsummary 1 findings\n",
		"threadcheck 1 pid=1\nBEGIN deadlock\nBEGIN deadlock\nEND\nsummary 1 findings\n",
		"threadcheck 1 pid=1\nBEGIN deadlock\nstart f x.c:12a\nEND\nsummary 1 findings\n",
		"threadcheck 1 pid=1\nBEGIN deadlock\nwait spin 0x1 f x.c:1\nEND\nsummary 1 findings\n",
		"threadcheck 1 pid=1\nBEGIN deadlock\nstart f\nEND\nsummary 1 findings\n",
		"threadcheck 1 pid=1\nBEGIN\nEND\nsummary 1 findings\n",
		"threadcheck 1 pid=1\nEND\n",
		"threadcheck 1 pid=1\nsummary 0 findings\nstray\n",
		"threadcheck 1 pid=1\nthreadcheck 2 pid=2\nsummary 0 findings\n",
		"threadcheck 1 pid=1\nBEGIN deadlock\nthreadcheck 2 pid=2\nsummary 0 findings\n",
	};
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse_str(tl_parse_threadcheck, bad[i], &out, err, sizeof(err)) != -1)
			fail_msg("accepted bad input %zu: %s", i, bad[i]);
		assert_true(strlen(err) > 0);
		assert_int_equal(out.n, 0);
	}
}

/* ---- parse_cmocka.c ----------------------------------------------------------------------- */

static void test_cmocka_failures(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_cmocka, FX "cmocka/cmocka_fail.xml", &out, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(out.n, 2); /* one passes, one is skipped */
	const struct tl_finding *f = &out.v[0];
	assert_int_equal(f->tool, TL_TOOL_TEST);
	assert_int_equal(f->kind, TL_KIND_TEST_FAIL);
	assert_string_equal(f->raw, "failure");
	assert_site(&f->site, SRC "cmocka_fail.c", 19, "test_counter_total");
	assert_contains(f->message, "fixture_group/test_counter_total failed");
	assert_contains(f->message, "0x7cf != 0x7d0");
	assert_null(strchr(f->message, '\n'));
	assert_site(&out.v[1].site, SRC "cmocka_fail.c", 25, "test_message_chars");
	tl_findings_free(&out);
}

static void test_cmocka_two_groups(void **state)
{
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_fixture(tl_parse_cmocka, FX "cmocka/cmocka_two_groups.xml", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 2);
	assert_site(&out.v[0].site, SRC "cmocka_two_groups.c", 11, "test_queue_empty");
	assert_contains(out.v[0].message, "queue_basic/");
	assert_site(&out.v[1].site, SRC "cmocka_two_groups.c", 24, "test_queue_wraps");
	assert_contains(out.v[1].message, "queue_edges/");
	assert_contains(out.v[1].message, "missing");
	tl_findings_free(&out);
}

static void test_cmocka_other_shapes(void **state)
{
	static const char unknown[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<testsuites>\n"
		"  <testsuite name=\"g\" time=\"0.000\" tests=\"1\" failures=\"1\" errors=\"0\" skipped=\"0\" >\n"
		"    <testcase name=\"test_a\" time=\"0.000\" >\n"
		"      <failure message=\"Unknown error\" />\n"
		"    </testcase>\n  </testsuite>\n</testsuites>\n";
	static const char cut[] =
		"<testsuites>\n  <testsuite name=\"g\" tests=\"3\" failures=\"2\">\n"
		"    <testcase name=\"test_a\" time=\"0.000\" >\n"
		"      <failure><![CDATA[t.c:5: error: Failure!]]></failure>\n"
		"    </testcase>\n"
		"    <testcase name=\"test_b\" time=\"0.000\" >\n"
		"      <failure><![CDATA[t.c:9: err";
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	assert_int_equal(parse_str(tl_parse_cmocka, unknown, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	assert_site(&out.v[0].site, "", 0, "test_a");
	assert_contains(out.v[0].message, "Unknown error");
	tl_findings_free(&out);
	assert_int_equal(parse_str(tl_parse_cmocka, cut, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);
	assert_site(&out.v[0].site, "t.c", 5, "test_a");
	assert_contains(err, "cut short");
	tl_findings_free(&out);
	assert_int_equal(parse_str(tl_parse_cmocka, "", &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 0);
}

static void test_cmocka_fail(void **state)
{
	static const char *const bad[] = {
		"garbage\n",
		"<html><body/></html>",
		"<testsuites><testsuite></testsuites>",
		"<testsuite name=\"a\"><testcase name=\"b\"><failure>x &nope; y</failure></testcase></testsuite>",
	};
	struct tl_findings out = {0};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse_str(tl_parse_cmocka, bad[i], &out, err, sizeof(err)) != -1)
			fail_msg("accepted bad input %zu: %s", i, bad[i]);
		assert_true(strlen(err) > 0);
		assert_int_equal(out.n, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_and_tool_names),
		cmocka_unit_test(test_kind_and_tool_names_fail),
		cmocka_unit_test(test_kindset_str),
		cmocka_unit_test(test_strlcpy),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_file_fail),
		cmocka_unit_test(test_findings_list),
		cmocka_unit_test(test_classify_tsan),
		cmocka_unit_test(test_classify_tsan_fail),
		cmocka_unit_test(test_classify_others),
		cmocka_unit_test(test_classify_others_fail),
		cmocka_unit_test(test_frame_is_runtime),
		cmocka_unit_test(test_tsan_race_global),
		cmocka_unit_test(test_tsan_race_heap_not_decoy),
		cmocka_unit_test(test_tsan_lock_order),
		cmocka_unit_test(test_tsan_lock_cycle_20),
		cmocka_unit_test(test_tsan_lock_cycle_30),
		cmocka_unit_test(test_tsan_lock_cycle_mixed),
		cmocka_unit_test(test_tsan_unlock_unlocked),
		cmocka_unit_test(test_tsan_thread_leak),
		cmocka_unit_test(test_tsan_crash),
		cmocka_unit_test(test_tsan_clean_and_fake_report),
		cmocka_unit_test(test_tsan_several_reports),
		cmocka_unit_test(test_tsan_cut_short),
		cmocka_unit_test(test_tsan_frame_forms),
		cmocka_unit_test(test_tsan_fail),
		cmocka_unit_test(test_helgrind_race_global),
		cmocka_unit_test(test_helgrind_race_heap),
		cmocka_unit_test(test_helgrind_lock_order),
		cmocka_unit_test(test_helgrind_unlock_unlocked),
		cmocka_unit_test(test_helgrind_no_errors),
		cmocka_unit_test(test_helgrind_fatal_signal),
		cmocka_unit_test(test_helgrind_truncated),
		cmocka_unit_test(test_helgrind_gave_up),
		cmocka_unit_test(test_helgrind_entities),
		cmocka_unit_test(test_helgrind_fail),
		cmocka_unit_test(test_xml_deep),
		cmocka_unit_test(test_xml_many_nodes),
		cmocka_unit_test(test_xml_several_documents),
		cmocka_unit_test(test_xml_cut),
		cmocka_unit_test(test_xml_doctype),
		cmocka_unit_test(test_xml_bad_bytes),
		cmocka_unit_test(test_threadcheck_leak),
		cmocka_unit_test(test_threadcheck_deadlock),
		cmocka_unit_test(test_threadcheck_lock_order_misuse),
		cmocka_unit_test(test_threadcheck_lock_order_real),
		cmocka_unit_test(test_threadcheck_misuse_real),
		cmocka_unit_test(test_threadcheck_new_lines_malformed),
		cmocka_unit_test(test_threadcheck_clean_and_cut),
		cmocka_unit_test(test_threadcheck_fail),
		cmocka_unit_test(test_cmocka_failures),
		cmocka_unit_test(test_cmocka_two_groups),
		cmocka_unit_test(test_cmocka_other_shapes),
		cmocka_unit_test(test_cmocka_fail),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
