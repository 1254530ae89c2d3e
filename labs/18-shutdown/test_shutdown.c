/* test_shutdown.c: cmocka tests of batcher.c: on a graceful shutdown every item is flushed
 * exactly once, queued ones included, no worker and no memory is left behind, and the deadline
 * holds. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "batcher.h"
#include "check.h"
#include "live_allocs.h"
#include "notify.h"
#include "thread_state.h"
#include "threadcheck.h"
#include "threads_left.h"

#define MAX_ITEMS 64

/* A downstream that records every flush. Each test has its own, in static storage and never
 * destroyed: the workers of a buggy batcher may still use it after the test has ended. */
struct sink {
	pthread_mutex_t lock;
	pthread_cond_t changed;  /* a batch was written, one was held, or the gate opened */
	int written[MAX_ITEMS];  /* times each item was flushed; guarded by lock */
	int batches;             /* guarded by lock */
	size_t largest;          /* the largest batch seen; guarded by lock */
	int to_hold;             /* the next to_hold flushes wait until open is set; guarded by lock */
	int held;                /* flushes waiting for the gate now; guarded by lock */
	int open;                /* guarded by lock */
};

/* A sink that writes every batch at once, and one whose first write hangs until it is opened. */
#define SINK_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, 0, 0, 0}
#define SINK_FIRST_HANGS {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, 1, 0, 0}

static void sink_flush(const long *items, size_t n, void *arg)
{
	struct sink *s = arg;

	Pthread_mutex_lock(&s->lock);
	if (s->to_hold > 0) {
		s->to_hold--;
		s->held++;
		Pthread_cond_broadcast(&s->changed);
		while (!s->open)
			Pthread_cond_wait(&s->changed, &s->lock); /* a downstream that hangs */
		s->held--;
	}
	for (size_t i = 0; i < n; i++)
		s->written[items[i]]++;
	s->batches++;
	if (n > s->largest)
		s->largest = n;
	Pthread_cond_broadcast(&s->changed);
	Pthread_mutex_unlock(&s->lock);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Asserts that items 1..N were each flushed exactly once, in batches of at most BATCH_SIZE. */
static void assert_flushed_once(struct sink *s, int n, size_t batch_size)
{
	int lost = 0, twice = 0;

	Pthread_mutex_lock(&s->lock);
	for (int i = 1; i <= n; i++) {
		lost += s->written[i] == 0;
		twice += s->written[i] > 1;
	}
	if (s->largest > batch_size)
		fail_msg("a batch of %zu items; the batch size is %zu", s->largest, batch_size);
	Pthread_mutex_unlock(&s->lock);
	if (lost > 0 || twice > 0)
		fail_msg("after batcher_shutdown returned 0: %d of %d items never flushed, %d flushed "
			 "more than once",
			 lost, n, twice);
}

/* Asserts that every thread started since BASE has ended (waiting up to a second for them),
 * and prints what threadcheck knows about any that has not. */
static void assert_no_thread_left(const struct tc_baseline *base)
{
	assert_no_thread_left_when(base, "after batcher_shutdown returned 0", 4096);
}

/* The whole path, as in the service: SIGTERM reaches the signal thread, the main thread sees
 * it and shuts the batcher down. First in the list, so that notify_start runs while this is
 * the only thread and every later thread inherits the blocked signals. */
static void test_sigterm_flushes_everything(void **state)
{
	static struct sink sink = SINK_INIT;
	struct tc_baseline base;
	struct notify stop;
	struct batcher *b;
	sigset_t set;

	(void)state;
	CHECK_PT(sigemptyset(&set));
	CHECK_PT(sigaddset(&set, SIGTERM));
	notify_start(&stop, &set);
	assert_int_equal(tc_baseline_take(&base), 0);
	b = batcher_new(3, 4, 8, sink_flush, &sink);
	for (long i = 1; i <= 23; i++)
		batcher_submit(b, i);
	/* Directed at the signal thread: a worker of an earlier, broken batcher would not block
	 * a process-directed SIGTERM, and its default action would end the test program. */
	CHECK_PT(pthread_kill(stop.thread, SIGTERM));
	assert_int_equal(notify_wait(&stop), SIGTERM);
	assert_int_equal(batcher_shutdown(b, 2000), 0);
	notify_stop(&stop);
	assert_flushed_once(&sink, 23, 4);
	assert_no_thread_left(&base);
}

/* Full batches go downstream while the service runs, before any shutdown. */
static void test_full_batches_flush_while_running(void **state)
{
	static struct sink sink = SINK_INIT;
	struct batcher *b = batcher_new(1, 4, 8, sink_flush, &sink);

	(void)state;
	for (long i = 1; i <= 8; i++)
		batcher_submit(b, i);
	Pthread_mutex_lock(&sink.lock);
	while (sink.batches < 2)
		Pthread_cond_wait(&sink.changed, &sink.lock);
	assert_int_equal(sink.batches, 2);
	assert_int_equal(sink.largest, 4);
	Pthread_mutex_unlock(&sink.lock);
	assert_int_equal(batcher_shutdown(b, 2000), 0);
	assert_flushed_once(&sink, 8, 4);
}

/* Items in batches that are not full are not lost at shutdown: 3 workers, batches of 5 and 22
 * items, so that whatever the spread, some items are in a partial batch. */
static void test_partial_batches_flushed_once(void **state)
{
	static struct sink sink = SINK_INIT;
	struct batcher *b = batcher_new(3, 5, 4, sink_flush, &sink);

	(void)state;
	for (long i = 1; i <= 22; i++)
		batcher_submit(b, i);
	assert_int_equal(batcher_shutdown(b, 2000), 0);
	assert_flushed_once(&sink, 22, 5);
}

/* A shutdown right after start, with nothing submitted: nothing to flush, no worker left. */
static void test_idle_batcher_leaves_no_thread(void **state)
{
	static struct sink sink = SINK_INIT;
	struct tc_baseline base;
	struct batcher *b;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	b = batcher_new(4, 8, 4, sink_flush, &sink);
	assert_int_equal(batcher_shutdown(b, 2000), 0);
	assert_no_thread_left(&base);
	assert_int_equal(sink.batches, 0);
}

/* A healthy shutdown finishes well within its deadline. */
static void test_shutdown_meets_deadline(void **state)
{
	static struct sink sink = SINK_INIT;
	struct batcher *b = batcher_new(2, 4, 8, sink_flush, &sink);
	double t0;

	(void)state;
	for (long i = 1; i <= 10; i++)
		batcher_submit(b, i);
	t0 = now_ms();
	assert_int_equal(batcher_shutdown(b, 1000), 0);
	if (now_ms() - t0 > 500)
		fail_msg("batcher_shutdown took %.0f ms with nothing stuck", now_ms() - t0);
	assert_flushed_once(&sink, 10, 4);
}

/* Items still queued when the shutdown begins are flushed too: a worker that learns of the
 * shutdown must drain the queue before it leaves (question 4), not stop at once. One worker,
 * batches of one, a queue of 4: the worker is held in its first flush while items 2..5 fill
 * the queue, and the flush is let go only once the thread in batcher_shutdown is asleep there,
 * that is, once the shutdown has begun with the four items still queued. */
struct shutdown_watch {
	struct sink *sink;
	atomic_int tid;      /* the kernel id of the thread calling batcher_shutdown */
	atomic_int returned; /* 1 once batcher_shutdown has returned */
};

static void *open_sink_when_shutdown_waits(void *arg)
{
	struct shutdown_watch *w = arg;
	int tid;

	while ((tid = atomic_load(&w->tid)) == 0)
		sched_yield();
	/* After 5 s it opens anyway, so that a shutdown that spins cannot hang the test. */
	for (int ms = 0; ms < 5000 && !atomic_load(&w->returned); ms++) {
		if (thread_state(tid) == 'S')
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
	}
	Pthread_mutex_lock(&w->sink->lock);
	w->sink->open = 1;
	Pthread_cond_broadcast(&w->sink->changed);
	Pthread_mutex_unlock(&w->sink->lock);
	return NULL;
}

static void test_queued_items_flushed_at_shutdown(void **state)
{
	static struct sink sink = SINK_FIRST_HANGS;
	struct shutdown_watch watch = { .sink = &sink, .tid = 0, .returned = 0 };
	struct batcher *b = batcher_new(1, 1, 4, sink_flush, &sink);
	pthread_t opener;

	(void)state;
	batcher_submit(b, 1);
	Pthread_mutex_lock(&sink.lock);
	while (sink.held == 0)
		Pthread_cond_wait(&sink.changed, &sink.lock);
	Pthread_mutex_unlock(&sink.lock);
	for (long i = 2; i <= 5; i++)
		batcher_submit(b, i); /* the queue is full now */
	Pthread_create(&opener, NULL, open_sink_when_shutdown_waits, &watch);
	atomic_store(&watch.tid, (int)gettid());
	assert_int_equal(batcher_shutdown(b, 2000), 0);
	atomic_store(&watch.returned, 1);
	Pthread_join(opener, NULL);
	assert_flushed_once(&sink, 5, 1);
}

/* batcher_shutdown frees the batcher: its queue, its workers and their batches. Counted with
 * live_allocs.h in the plain build of the tests (ThreadSanitizer's build cannot count). */
static void test_shutdown_frees_the_batcher(void **state)
{
	static struct sink sink = SINK_INIT;
	struct batcher *b;
	long before, after;

	(void)state;
	if (live_allocs() < 0)
		skip();
	/* A warm-up batcher with as many workers, so that glibc has the memory of three joined
	 * threads to reuse: the reading below then counts the batcher's own blocks only. */
	assert_int_equal(batcher_shutdown(batcher_new(3, 4, 8, sink_flush, &sink), 2000), 0);
	before = live_allocs();
	b = batcher_new(3, 4, 8, sink_flush, &sink);
	for (long i = 1; i <= 10; i++)
		batcher_submit(b, i);
	assert_int_equal(batcher_shutdown(b, 2000), 0);
	after = live_allocs();
	if (after != before)
		fail_msg("%ld heap block(s) allocated by batcher_new are still allocated after "
			 "batcher_shutdown returned 0: the batcher must be freed",
			 after - before);
}

/* A downstream that hangs: the shutdown gives up on time and says so, rather than claiming a
 * success or waiting past the deadline. Batches of one item, so that the first item is stuck
 * in its flush while the other worker takes the rest. Last in the list: its batcher is
 * abandoned, as the contract says, and its workers can end only once the gate opens. */
static void test_stuck_downstream_times_out(void **state)
{
	static struct sink sink = SINK_FIRST_HANGS;
	struct batcher *b = batcher_new(2, 1, 8, sink_flush, &sink);
	double t0, took;
	int rc;

	(void)state;
	for (long i = 1; i <= 4; i++)
		batcher_submit(b, i);
	Pthread_mutex_lock(&sink.lock);
	while (sink.held == 0)
		Pthread_cond_wait(&sink.changed, &sink.lock);
	Pthread_mutex_unlock(&sink.lock);

	t0 = now_ms();
	rc = batcher_shutdown(b, 100);
	took = now_ms() - t0;

	Pthread_mutex_lock(&sink.lock);
	sink.open = 1;
	Pthread_cond_broadcast(&sink.changed);
	Pthread_mutex_unlock(&sink.lock);

	if (rc != -ETIMEDOUT)
		fail_msg("batcher_shutdown returned %d, not -ETIMEDOUT, while a flush was stuck "
			 "downstream: not every item had been flushed",
			 rc);
	if (took < 99.0 || took > 600.0)
		fail_msg("batcher_shutdown(100 ms) gave up after %.0f ms", took);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigterm_flushes_everything),
		cmocka_unit_test(test_full_batches_flush_while_running),
		cmocka_unit_test(test_partial_batches_flushed_once),
		cmocka_unit_test(test_idle_batcher_leaves_no_thread),
		cmocka_unit_test(test_shutdown_meets_deadline),
		cmocka_unit_test(test_queued_items_flushed_at_shutdown),
		cmocka_unit_test(test_shutdown_frees_the_batcher),
		cmocka_unit_test(test_stuck_downstream_times_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
