/* test_pipeline.c: cmocka tests of pipeline.c: the right values in the right order, and no stage thread left once the consumer has stopped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "check.h"
#include "pipeline.h"
#include "threadcheck.h"

static long square(long id, void *arg)
{
	(void)arg;
	return id * id;
}

static int is_even(long value, void *arg)
{
	(void)arg;
	return value % 2 == 0;
}

/* Asserts that every thread started since BASE has ended (waiting up to a second for the
 * stages to wind down), and prints what threadcheck knows about any that has not. */
static void assert_no_stage_left(const struct tc_baseline *base)
{
	struct tc_options opt = { .settle_seconds = 1.0 };
	char report[8192] = "";
	int left = tc_verify_none(base, &opt, report, sizeof(report));

	if (left < 0)
		fail_msg("threadcheck could not list this process's threads");
	if (left > 0)
		fail_msg("%d stage thread(s) still alive after pipeline_first returned:\n%s", left,
			 report);
}

/* A source that runs dry before the consumer is satisfied: every match comes out, in order,
 * and the stages end by themselves. (This one passes before the fix, too.) */
static void test_short_source_gives_everything(void **state)
{
	const struct pipeline_spec spec = { .count = 10, .transform = square, .keep = is_even };
	const long want[] = { 4, 16, 36, 64, 100 };
	long out[20] = { 0 };
	struct tc_baseline base;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	assert_int_equal(pipeline_first(&spec, 20, out), 5);
	assert_memory_equal(out, want, sizeof(want));
	assert_no_stage_left(&base);
}

/* The lab's point: the consumer takes the first K of an endless stream, and the three
 * stages, each with more work it could do, must still all end. */
static void test_first_k_then_nothing_left(void **state)
{
	const struct pipeline_spec spec = { .count = PIPELINE_ENDLESS, .transform = square,
					    .keep = is_even };
	const long want[] = { 4, 16, 36, 64, 100, 144, 196 };
	long out[7] = { 0 };
	struct tc_baseline base;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	assert_int_equal(pipeline_first(&spec, 7, out), 7);
	assert_memory_equal(out, want, sizeof(want));
	assert_no_stage_left(&base);
}

/* A consumer that wants nothing stops before the first value: the stages must end too. */
static void test_k_zero_leaves_nothing(void **state)
{
	const struct pipeline_spec spec = { .count = PIPELINE_ENDLESS, .transform = square,
					    .keep = is_even };
	long out[1] = { -1 };
	struct tc_baseline base;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	assert_int_equal(pipeline_first(&spec, 0, out), 0);
	assert_int_equal(out[0], -1);
	assert_no_stage_left(&base);
}

/* A service answers many requests: none of them may leave anything behind. */
static void test_many_requests_leave_nothing(void **state)
{
	const struct pipeline_spec spec = { .count = 1000, .transform = square, .keep = is_even };
	struct tc_baseline base;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	for (size_t k = 1; k <= 20; k++) {
		long out[20];

		assert_int_equal(pipeline_first(&spec, k, out), k);
		assert_int_equal(out[k - 1], (long)(2 * k) * (long)(2 * k));
	}
	assert_no_stage_left(&base);
}

static void *do_nothing(void *arg)
{
	return arg;
}

/* Starts and joins one thread before any baseline is taken: a runtime that starts a thread of
 * its own on the first pthread_create (ThreadSanitizer does) then has it in every baseline,
 * and it is not mistaken for a stage left behind. */
static int start_runtime_threads(void **state)
{
	pthread_t t;

	(void)state;
	Pthread_create(&t, NULL, do_nothing, NULL);
	Pthread_join(t, NULL);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_source_gives_everything),
		cmocka_unit_test(test_first_k_then_nothing_left),
		cmocka_unit_test(test_k_zero_leaves_nothing),
		cmocka_unit_test(test_many_requests_leave_nothing),
	};

	return cmocka_run_group_tests(tests, start_runtime_threads, NULL);
}
