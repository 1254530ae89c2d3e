/* test_unbounded.c: cmocka tests of lab 09's server: a burst of requests gets a bounded number of threads, and the overflow is refused with a retry-after reply. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "server.h"
#include "threadcheck.h"

#define BURST 16
#define WORKERS 2
#define QUEUE_LEN 4
#define RETRY_AFTER_MS 250

/* Every test has its own gate and requests, in static storage: on the buggy version a handler
 * thread may still be finishing after its test has returned. */
static struct gate gate_quiet = GATE_CLOSED;
static struct gate gate_peak = GATE_CLOSED;
static struct gate gate_refuse = GATE_CLOSED;
static struct gate gate_exact = GATE_CLOSED;
static struct request quiet_reqs[WORKERS];
static struct request peak_reqs[BURST];
static struct request refuse_reqs[BURST];
static struct request exact_reqs[WORKERS + QUEUE_LEN + 1];

static struct server *start(struct gate *g)
{
	struct server_config cfg = {
		.handler = gated_handler,
		.handler_arg = g,
		.workers = WORKERS,
		.queue_len = QUEUE_LEN,
		.retry_after_ms = RETRY_AFTER_MS,
	};

	return server_new(&cfg);
}

/* Asserts that every thread started since BASE has ended (after a short settle). */
static void assert_no_thread_left(const struct tc_baseline *base)
{
	struct tc_options opt = {.settle_seconds = 0.25};
	char report[8192] = "";
	int left = tc_verify_none(base, &opt, report, sizeof(report));

	assert_int_not_equal(left, -1); /* -1: the threads could not be listed */
	if (left > 0)
		print_error("%d thread(s) still alive after server_stop returned:\n%s\n", left, report);
	assert_int_equal(left, 0);
}

/* A quiet moment: as many requests as workers, all accepted and all answered. */
static void test_requests_are_answered(void **state)
{
	struct tc_baseline base;
	struct server *s;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	s = start(&gate_quiet);
	for (int i = 0; i < WORKERS; i++) {
		quiet_reqs[i].id = i;
		assert_int_equal(server_submit(s, &quiet_reqs[i]), 0);
	}
	gate_open(&gate_quiet);
	server_stop(s);
	for (int i = 0; i < WORKERS; i++) {
		char expected[64];

		snprintf(expected, sizeof(expected), "hello, request %d", i);
		assert_int_equal(quiet_reqs[i].status, 200);
		assert_string_equal(quiet_reqs[i].body, expected);
	}
	assert_no_thread_left(&base);
}

/* The lab's point: a burst while the downstream is stuck must not cost a thread per request.
 * Every thread a request could get exists once server_submit has returned, so counting the
 * process's threads right after the burst sees the peak. */
static void test_burst_uses_bounded_threads(void **state)
{
	struct tc_baseline base;
	struct server *s;
	int before, during;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	before = live_threads();
	s = start(&gate_peak);
	for (int i = 0; i < BURST; i++) {
		peak_reqs[i].id = i;
		server_submit(s, &peak_reqs[i]);
	}
	during = live_threads();
	/* Let everything finish before asserting, so a failure leaves nothing stuck at the gate. */
	gate_open(&gate_peak);
	server_stop(s);
	assert_int_not_equal(before, -1);
	if (during - before > WORKERS)
		print_error("a burst of %d requests ran on %d new threads; the limit is %d\n", BURST,
			    during - before, WORKERS);
	assert_true(during - before <= WORKERS);
	assert_no_thread_left(&base);
}

/* What does not fit is refused at once, with a reply that says when to come back; what was
 * accepted is answered. At most WORKERS requests are taken by a worker and QUEUE_LEN wait,
 * so at least BURST - WORKERS - QUEUE_LEN are refused, and the first QUEUE_LEN always fit. */
static void test_overflow_is_refused_with_retry_after(void **state)
{
	struct tc_baseline base;
	struct server *s;
	int rc[BURST], accepted = 0, refused = 0;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	s = start(&gate_refuse);
	for (int i = 0; i < BURST; i++) {
		refuse_reqs[i].id = i;
		rc[i] = server_submit(s, &refuse_reqs[i]);
		if (rc[i] != 0) {
			/* A refused request is answered before server_submit returns. */
			assert_int_equal(rc[i], -EBUSY);
			assert_int_equal(refuse_reqs[i].status, 429);
			assert_string_equal(refuse_reqs[i].body, "too many requests, retry after 250 ms");
		}
	}
	gate_open(&gate_refuse);
	server_stop(s);
	for (int i = 0; i < BURST; i++) {
		if (rc[i] == 0) {
			accepted++;
			assert_int_equal(refuse_reqs[i].status, 200);
		} else {
			refused++;
		}
	}
	if (refused < BURST - WORKERS - QUEUE_LEN)
		print_error("%d of a burst of %d requests refused; with %d workers and a queue of %d, at least %d must be\n",
			    refused, BURST, WORKERS, QUEUE_LEN, BURST - WORKERS - QUEUE_LEN);
	assert_true(refused >= BURST - WORKERS - QUEUE_LEN);
	assert_true(accepted >= QUEUE_LEN);
	assert_int_equal(gate_handled(&gate_refuse), accepted);
	assert_no_thread_left(&base);
}

/* The limits are exact: with every worker busy, exactly QUEUE_LEN more requests are accepted
 * (a queue one too small refuses the last of them) and the next one is refused (a queue one
 * too large, or none at all, accepts it). The test waits until WORKERS requests are held at the
 * gate, so the queue is empty when the QUEUE_LEN + 1 requests arrive, on every run. */
static void test_capacity_is_exact(void **state)
{
	struct tc_baseline base;
	struct server *s;
	int rc[QUEUE_LEN + 1];

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	s = start(&gate_exact);
	for (int i = 0; i < WORKERS; i++) {
		exact_reqs[i].id = i;
		assert_int_equal(server_submit(s, &exact_reqs[i]), 0);
	}
	if (gate_wait_for_waiting(&gate_exact, WORKERS, 5000) != 0) {
		gate_open(&gate_exact);
		server_stop(s);
		fail_msg("%d requests accepted with %d workers idle, but after 5 s fewer than %d "
			 "were being handled", WORKERS, WORKERS, WORKERS);
	}
	for (int i = 0; i <= QUEUE_LEN; i++) {
		exact_reqs[WORKERS + i].id = WORKERS + i;
		rc[i] = server_submit(s, &exact_reqs[WORKERS + i]);
	}
	gate_open(&gate_exact);
	server_stop(s);
	for (int i = 0; i < QUEUE_LEN; i++)
		if (rc[i] != 0)
			fail_msg("with all %d workers busy, request %d of %d that the queue of %d must "
				 "hold was refused (%d)", WORKERS, i + 1, QUEUE_LEN, QUEUE_LEN, rc[i]);
	if (rc[QUEUE_LEN] != -EBUSY)
		fail_msg("with all %d workers busy and %d requests queued, one more was accepted "
			 "(%d): the queue holds at most %d", WORKERS, QUEUE_LEN, rc[QUEUE_LEN],
			 QUEUE_LEN);
	assert_no_thread_left(&base);
}

static void *do_nothing(void *arg)
{
	return arg;
}

/* Starts and joins one thread before any baseline is taken: a runtime that starts a thread of
 * its own on the first pthread_create then has it in every baseline. */
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
		cmocka_unit_test(test_requests_are_answered),
		cmocka_unit_test(test_burst_uses_bounded_threads),
		cmocka_unit_test(test_overflow_is_refused_with_retry_after),
		cmocka_unit_test(test_capacity_is_exact),
	};

	return cmocka_run_group_tests(tests, start_runtime_threads, NULL);
}
