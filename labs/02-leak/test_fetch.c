/* test_fetch.c: cmocka tests of fetch.c: the answer comes back, the deadline holds, and no helper thread outlives its fetch. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

#include "backend.h"
#include "check.h"
#include "fetch.h"
#include "threadcheck.h"

/* Every test has its own backends: a helper of an earlier test may still be inside one. */
static struct backend instant = BACKEND_OPEN(42);
static struct backend gate_for_timeout = BACKEND_GATED(5);
static struct backend gate_for_leak = BACKEND_GATED(6);

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Asserts that every thread started since BASE has ended (waiting up to a second for them),
 * and prints what threadcheck knows about any that has not. */
static void assert_no_thread_left(const struct tc_baseline *base)
{
	struct tc_options opt = {.settle_seconds = 1.0};
	char report[4096] = "";
	int threads_left_behind = tc_verify_none(base, &opt, report, sizeof(report));

	assert_int_not_equal(threads_left_behind, -1); /* -1: the threads could not be listed */
	if (threads_left_behind > 0)
		print_error("%s\n", report);
	assert_false(threads_left_behind);
}

/* A backend that answers in time: its answer is returned, and the helper is gone. */
static void test_fast_backend_returns_value(void **state)
{
	struct tc_baseline base;
	long value = -1;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	assert_int_equal(fetch_with_timeout(backend_query, &instant, 5000, &value), 0);
	assert_int_equal(value, 42);
	assert_no_thread_left(&base);
}

/* A backend that has not answered by the deadline: -ETIMEDOUT, on time, result untouched. */
static void test_timeout_returns_error(void **state)
{
	long value = -1;
	double t0 = now_ms();

	(void)state;
	assert_int_equal(fetch_with_timeout(backend_query, &gate_for_timeout, 50, &value),
			 -ETIMEDOUT);
	assert_true(now_ms() - t0 >= 49.0);
	assert_int_equal(value, -1);
	backend_open(&gate_for_timeout);
}

/* The lab's point: a backend that answers after the caller gave up must not strand the helper. */
static void test_no_helper_left_behind(void **state)
{
	struct tc_baseline base;
	long value = -1;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	assert_int_equal(fetch_with_timeout(backend_query, &gate_for_leak, 20, &value), -ETIMEDOUT);
	backend_open(&gate_for_leak); /* the answer arrives, too late */
	assert_no_thread_left(&base);
}

static void *do_nothing(void *arg)
{
	return arg;
}

/* Starts and joins one thread before any baseline is taken: a runtime that starts a thread of
 * its own on the first pthread_create (ThreadSanitizer does) then has it in every baseline,
 * and it is not mistaken for a helper left behind. */
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
		cmocka_unit_test(test_fast_backend_returns_value),
		cmocka_unit_test(test_timeout_returns_error),
		cmocka_unit_test(test_no_helper_left_behind),
	};

	return cmocka_run_group_tests(tests, start_runtime_threads, NULL);
}
