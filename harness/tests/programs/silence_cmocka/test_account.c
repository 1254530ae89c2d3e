/* test_account.c: one test, which fails on the code under test (analyze --canary must say
 * interference for the tests: the failure never reaches cmocka's report, nor does the canary's). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include "account.h"

static void test_deposit_adds(void **state)
{
	(void)state;
	assert_int_equal(deposit(10, 5), 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deposit_adds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
