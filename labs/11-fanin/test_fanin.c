/* test_fanin.c: cmocka tests of merge.c: every value arrives once, and the merged channel is closed once every input is, so that a range over it ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "chan.h"
#include "check.h"
#include "merge.h"
#include "threadcheck.h"
#include "threads_left.h"

#define MAX_INPUTS 4
/* How long a receive waits before the test calls the consumer stuck. Values and the close
 * arrive within microseconds of each other when merge is right; the limit is only there so
 * that a merged channel that is never closed fails the test instead of hanging it. */
#define PATIENCE_MS 2000

/* One producer: sends base + 1 .. base + count on its own channel, then closes it. */
struct producer {
	pthread_t thread;
	struct chan *ch;
	long base, count;
};

/* One test's inputs, their producers, and the merged channel. It is heap-allocated and, when
 * a test fails half-way, never freed: a thread may still be using it. */
struct fanin {
	size_t n;
	struct producer prod[MAX_INPUTS];
	struct chan *inputs[MAX_INPUTS];
	struct merge *m;
	struct chan *merged;
	struct tc_baseline base; /* the threads alive before any producer or forwarder */
};

static void *produce_main(void *arg)
{
	struct producer *p = arg;

	for (long i = 1; i <= p->count; i++)
		chan_send(p->ch, (void *)(intptr_t)(p->base + i));
	chan_close(p->ch);
	return NULL;
}

/* Starts N producers of COUNT values each (input i sends (i + 1) * 1000 + 1 ...) and merges
 * their channels. */
static struct fanin *fanin_start(size_t n, long count)
{
	struct fanin *f = Malloc(sizeof(*f));

	assert_true(n <= MAX_INPUTS);
	f->n = n;
	assert_int_equal(tc_baseline_take(&f->base), 0);
	for (size_t i = 0; i < n; i++) {
		f->prod[i] = (struct producer){ .ch = chan_new(0),
						.base = (long)(i + 1) * 1000,
						.count = count };
		f->inputs[i] = f->prod[i].ch;
		Pthread_create(&f->prod[i].thread, NULL, produce_main, &f->prod[i]);
	}
	f->m = merge_start(f->inputs, n);
	f->merged = merge_output(f->m);
	return f;
}

/* Receives the next value from F's merged channel into *V, failing the test if neither a value
 * nor the close comes within PATIENCE_MS. Returns CHAN_OK or CHAN_CLOSED. */
static int recv_or_fail(struct fanin *f, long *v, size_t received)
{
	void *msg;
	int status = chan_recv_timed(f->merged, &msg, PATIENCE_MS);

	if (status == CHAN_TIMEOUT)
		fail_msg("the consumer is stuck: after %zu values from %zu inputs, nothing came "
			 "from the merged channel for %d ms, neither a value nor the close. A plain "
			 "chan_recv (Go's range) would wait here for ever.",
			 received, f->n, PATIENCE_MS);
	*v = (long)(intptr_t)msg;
	return status;
}

/* Joins F's producers and asserts that every thread the merge started has ended too (waiting
 * up to a second for them), printing what is known of any that has not. */
static void assert_no_thread_left(struct fanin *f)
{
	for (size_t i = 0; i < f->n; i++)
		Pthread_join(f->prod[i].thread, NULL);
	assert_no_thread_left_when(&f->base, "after every input was closed and drained", 8192);
}

/* Frees F's merge, then its inputs and F itself. */
static void fanin_free(struct fanin *f)
{
	merge_free(f->m);
	for (size_t i = 0; i < f->n; i++)
		chan_free(f->inputs[i]);
	free(f);
}

/* Every value of every input comes out exactly once, each input's values in order. (This one
 * passes before the fix, too: it never asks whether the merged channel gets closed.) */
static void test_every_value_arrives_once(void **state)
{
	enum { N = 3, COUNT = 50 };
	struct fanin *f = fanin_start(N, COUNT);
	long last[N] = { 0 };

	(void)state;
	for (size_t received = 0; received < N * COUNT; received++) {
		long v;
		long input, seq;

		assert_int_equal(recv_or_fail(f, &v, received), CHAN_OK);
		input = v / 1000 - 1;
		seq = v % 1000;
		assert_in_range(input, 0, N - 1);
		if (seq != last[input] + 1)
			fail_msg("input %ld: value %ld came after %ld", input, seq, last[input]);
		last[input] = seq;
	}
	assert_no_thread_left(f);
	fanin_free(f);
}

/* The lab's point, checked without any timing: once every input is closed and every forwarder
 * has ended, nothing can ever be sent on the merged channel again, so it must be closed. */
static void test_closed_after_last_input(void **state)
{
	enum { N = 3, COUNT = 10 };
	struct fanin *f = fanin_start(N, COUNT);
	void *msg;

	(void)state;
	for (size_t received = 0; received < N * COUNT; received++) {
		long v;

		assert_int_equal(recv_or_fail(f, &v, received), CHAN_OK);
	}
	assert_no_thread_left(f);
	if (chan_recv_timed(f->merged, &msg, 0) != CHAN_CLOSED)
		fail_msg("all %d inputs are closed and drained and every forwarder has ended, yet "
			 "the merged channel is still open: nobody is left to close it, and a "
			 "consumer ranging over it waits for ever",
			 N);
	fanin_free(f);
}

/* Inputs that close without sending anything: the merged channel must close too. */
static void test_empty_inputs_close_merged(void **state)
{
	enum { N = 2 };
	struct fanin *f = fanin_start(N, 0);
	void *msg;

	(void)state;
	assert_no_thread_left(f);
	if (chan_recv_timed(f->merged, &msg, 0) != CHAN_CLOSED)
		fail_msg("both inputs were closed without a value and both forwarders have ended, "
			 "yet the merged channel is still open");
	fanin_free(f);
}

/* A consumer written like Go's `for v := range merged`: it must see every value, then the
 * end. */
static void test_range_over_merged_ends(void **state)
{
	enum { N = 4, COUNT = 25 };
	struct fanin *f = fanin_start(N, COUNT);
	size_t received = 0;
	long v, sum = 0;

	(void)state;
	while (recv_or_fail(f, &v, received) == CHAN_OK) {
		sum += v;
		received++;
	}
	assert_int_equal(received, N * COUNT);
	/* Inputs 1..N: sum of i*1000*COUNT + (1 + ... + COUNT). */
	assert_int_equal(sum, 1000L * COUNT * N * (N + 1) / 2 + (long)N * COUNT * (COUNT + 1) / 2);
	assert_no_thread_left(f);
	fanin_free(f);
}

static void *do_nothing(void *arg)
{
	return arg;
}

/* Starts and joins one thread before any baseline is taken: a runtime that starts a thread of
 * its own on the first pthread_create (ThreadSanitizer does) then has it in every baseline,
 * and it is not mistaken for a thread left behind. */
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
		cmocka_unit_test(test_every_value_arrives_once),
		cmocka_unit_test(test_closed_after_last_input),
		cmocka_unit_test(test_empty_inputs_close_merged),
		cmocka_unit_test(test_range_over_merged_ends),
	};

	return cmocka_run_group_tests(tests, start_runtime_threads, NULL);
}
