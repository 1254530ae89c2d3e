/* test_decl.c: the strict lab.decl parser (and the rubric's, the same reader): good declarations load, every bad line is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "stages.h"

static const char good[] = "title: Counter\n"
			   "lesson: lost updates\n"
			   "student: counter.c\n"
			   "program: main.c counter.c   # the driver and the student's file\n"
			   "test: test_counter.c counter.c\n"
			   "timeout: 5\n"
			   "hint: look at the increment\n"
			   "hint: which lock?\n"
			   "buggy.tsan: race\n"
			   "buggy.helgrind: race\n"
			   "buggy.threadcheck: clean\n"
			   "blind.threadcheck: no thread is left behind\n"
			   "buggy.test: test-fail\n"
			   "fixed.tsan: clean\n"
			   "fixed.helgrind: clean\n"
			   "fixed.threadcheck: clean\n"
			   "fixed.test: clean\n";

/* Writes TEXT to a temporary file and parses it. Returns the parser's result. */
static int parse_text(const char *text, struct tl_lab *lab, char *err, size_t errlen)
{
	char path[] = "/tmp/tl-decl-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	int rc = tl_decl_parse(path, lab, err, errlen);
	unlink(path);
	return rc;
}

static void test_good_declaration(void **state)
{
	(void)state;
	struct tl_lab *lab = calloc(1, sizeof *lab);
	char err[512] = "";
	assert_int_equal(parse_text(good, lab, err, sizeof err), 0);
	assert_string_equal(lab->title, "Counter");
	assert_int_equal(lab->nprogram, 2);
	assert_string_equal(lab->program[1], "counter.c");
	assert_int_equal(lab->timeout_s, 5);
	assert_int_equal(lab->nhint, 2);
	assert_int_equal(lab->expect[TL_BUGGY][TL_TOOL_TSAN].kinds, TL_KINDSET(TL_KIND_RACE));
	assert_int_equal(lab->expect[TL_BUGGY][TL_TOOL_TEST].kinds, TL_KINDSET(TL_KIND_TEST_FAIL));
	assert_int_equal(lab->expect[TL_FIXED][TL_TOOL_HELGRIND].kinds, 0);
	free(lab);
}

/* Replaces the first occurrence of FROM in the good text with TO and expects a parse error
 * whose message contains WANT. */
static void expect_error(const char *from, const char *to, const char *want)
{
	char text[4096];
	const char *p = strstr(good, from);
	assert_non_null(p);
	size_t pre = (size_t)(p - good);
	snprintf(text, sizeof text, "%.*s%s%s", (int)pre, good, to, p + strlen(from));
	struct tl_lab *lab = calloc(1, sizeof *lab);
	char err[512] = "";
	assert_int_equal(parse_text(text, lab, err, sizeof err), -1);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not mention '%s'", err, want);
	free(lab);
}

static void test_unknown_key_fail(void **state)
{
	(void)state;
	expect_error("timeout: 5\n", "timeout: 5\nflavour: vanilla\n", "unknown key 'flavour'");
	expect_error("timeout: 5\n", "timeout: 5\nbuggy.drd: race\n", "unknown key");
}

static void test_unknown_kind_fail(void **state)
{
	(void)state;
	expect_error("buggy.tsan: race\n", "buggy.tsan: racy\n", "'racy' is not a finding kind");
	expect_error("buggy.tsan: race\n", "buggy.tsan: clean race\n", "clean with other kinds");
}

static void test_missing_expectation_fail(void **state)
{
	(void)state;
	expect_error("fixed.helgrind: clean\n", "", "no expectation 'fixed.helgrind'");
}

static void test_blind_spot_needs_reason_fail(void **state)
{
	(void)state;
	expect_error("blind.threadcheck: no thread is left behind\n", "", "blind.threadcheck");
}

static void test_repeated_key_fail(void **state)
{
	(void)state;
	expect_error("timeout: 5\n", "timeout: 5\ntimeout: 6\n", "given twice");
	expect_error("fixed.tsan: clean\n", "fixed.tsan: clean\nfixed.tsan: race\n", "given twice");
}

static void test_bad_line_and_values_fail(void **state)
{
	(void)state;
	expect_error("timeout: 5\n", "timeout five\n", "Bad line");
	expect_error("timeout: 5\n", "timeout: 0\n", "whole number");
	expect_error("student: counter.c\n", "student: ../counter.c\n", "bad file list");
	expect_error("student: counter.c\n", "student: other.c\n", "neither program nor test");
}

/* allow: lab-specific additions to the scan's import allowlist, exact identifiers only. */
static void test_allow_key(void **state)
{
	(void)state;
	char text[4096];
	snprintf(text, sizeof text, "%sallow: getpid  sysconf\n", good);
	struct tl_lab *lab = calloc(1, sizeof *lab);
	char err[512] = "";
	assert_int_equal(parse_text(text, lab, err, sizeof err), 0);
	assert_int_equal(lab->nallow, 2);
	assert_string_equal(lab->allow[1], "sysconf");
	free(lab);
	expect_error("timeout: 5\n", "timeout: 5\nallow: fork*\n", "'fork*' is not a symbol name");
	expect_error("timeout: 5\n", "timeout: 5\nallow: 9lives\n", "'9lives' is not a symbol name");
	expect_error("timeout: 5\n", "timeout: 5\nallow: a\nallow: b\n", "given twice");
}

static void test_error_names_file_and_line_fail(void **state)
{
	(void)state;
	expect_error("hint: which lock?\n", "hint: which lock?\nbogus: 1\n", ":9:");
}

/* The rubric is read by the same strict reader: a line too long is refused, not split into two
 * lines (before, the rest of a 600-byte line was read as a line of its own). */
static void test_rubric_long_line_fail(void **state)
{
	(void)state;
	char path[] = "/tmp/tl-rubric-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "default.tests: 4%*s\n", 1100, "");
	fclose(f);
	struct tl_rubric r;
	char err[512] = "";
	int rc = tl_rubric_load(path, &r, err, sizeof err);
	unlink(path);
	assert_int_equal(rc, -1);
	if (strstr(err, ":1: line longer than") == NULL)
		fail_msg("unexpected error: %s", err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_declaration),
		cmocka_unit_test(test_unknown_key_fail),
		cmocka_unit_test(test_unknown_kind_fail),
		cmocka_unit_test(test_missing_expectation_fail),
		cmocka_unit_test(test_blind_spot_needs_reason_fail),
		cmocka_unit_test(test_repeated_key_fail),
		cmocka_unit_test(test_bad_line_and_values_fail),
		cmocka_unit_test(test_error_names_file_and_line_fail),
		cmocka_unit_test(test_allow_key),
		cmocka_unit_test(test_rubric_long_line_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
