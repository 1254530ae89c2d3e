/* test_stacks.c: reading gdb's stacks of a hung run (captured from lab 03's deadlock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "threadlab.h"

static char *load(const char *path)
{
	size_t len;
	int trunc;
	char *text = tl_read_file(path, 1 << 20, &len, &trunc);
	assert_non_null(text);
	return text;
}

/* Both deadlocked threads are found inside transfer() at the second lock, bank.c:40; the
 * runtime frames (libc, the TSan interceptor, Valgrind's preload) are skipped. */
static void check_deadlock(const char *path)
{
	char *text = load(path);
	struct tl_site sites[4];
	char threads[4][64];
	int n = tl_parse_gdb_stacks(text, sites, threads, 4);
	assert_true(n >= 2);
	for (int i = 0; i < 2; i++) {
		assert_string_equal(sites[i].function, "transfer");
		assert_non_null(strstr(sites[i].file, "labs/03-deadlock/bank.c"));
		assert_int_equal(sites[i].line, 40);
		assert_non_null(strstr(threads[i], "gdb thread "));
	}
	free(text);
}

static void test_tsan_build_stacks(void **state)
{
	(void)state;
	check_deadlock("harness/tests/fixtures/gdb/deadlock-tsan.txt");
}

static void test_helgrind_stacks_through_vgdb(void **state)
{
	(void)state;
	check_deadlock("harness/tests/fixtures/gdb/deadlock-helgrind.txt");
}

static void test_not_gdb_output_fail(void **state)
{
	(void)state;
	struct tl_site sites[2];
	char threads[2][64];
	assert_int_equal(tl_parse_gdb_stacks("ptrace: Operation not permitted.\n", sites, threads, 2), 0);
	assert_int_equal(tl_parse_gdb_stacks("", sites, threads, 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsan_build_stacks),
		cmocka_unit_test(test_helgrind_stacks_through_vgdb),
		cmocka_unit_test(test_not_gdb_output_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
