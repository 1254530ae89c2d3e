/* test_workerpool.c: cmocka tests of lab 08's worker pool: every job runs, queued jobs run before pool_shutdown returns, and pool_shutdown leaves no worker thread and no memory behind. */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "live_allocs.h"
#include "pool.h"
#include "thread_state.h"
#include "threadcheck.h"

/* Counts finished jobs. Static, like everything a job touches: on the buggy version a worker
 * outlives the test that started it. */
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static int jobs_done;

static void count_job(void *arg)
{
	(void)arg;
	Pthread_mutex_lock(&count_lock);
	jobs_done++;
	Pthread_mutex_unlock(&count_lock);
}

static int jobs_done_now(void)
{
	int n;

	Pthread_mutex_lock(&count_lock);
	n = jobs_done;
	Pthread_mutex_unlock(&count_lock);
	return n;
}

/* A gate that holds jobs until it opens, and counts the jobs waiting at it. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_changed = PTHREAD_COND_INITIALIZER;
static int gate_open;
static int gate_waiters;

static void gate_job(void *arg)
{
	(void)arg;
	Pthread_mutex_lock(&gate_lock);
	gate_waiters++;
	Pthread_cond_broadcast(&gate_changed);
	while (!gate_open)
		Pthread_cond_wait(&gate_changed, &gate_lock);
	Pthread_mutex_unlock(&gate_lock);
}

static void gate_wait_for(int waiters)
{
	Pthread_mutex_lock(&gate_lock);
	while (gate_waiters < waiters)
		Pthread_cond_wait(&gate_changed, &gate_lock);
	Pthread_mutex_unlock(&gate_lock);
}

static void gate_set_open(void)
{
	Pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	Pthread_cond_broadcast(&gate_changed);
	Pthread_mutex_unlock(&gate_lock);
}

/* The thread that calls pool_shutdown, for the gate opener to watch. */
struct shutdown_watch {
	atomic_int tid;      /* its kernel thread id, set just before it calls pool_shutdown */
	atomic_int returned; /* 1 once pool_shutdown has returned */
};

/* Opens the gate once the thread in WATCH is inside pool_shutdown and asleep there: with both
 * workers held at the gate and six jobs queued, nothing but the gate can let it go on, so it is
 * then waiting for the workers, with the jobs still queued. That is the moment a shutdown that
 * drops queued jobs would drop them. (A shutdown that returns without waiting at all is let
 * through: the test then finds the jobs not run. After 5 s the gate opens anyway, so that a
 * shutdown that spins instead of sleeping cannot hang the test.) */
static void *open_gate_when_shutdown_waits(void *arg)
{
	struct shutdown_watch *w = arg;
	int tid;

	while ((tid = atomic_load(&w->tid)) == 0)
		sched_yield();
	for (int ms = 0; ms < 5000 && !atomic_load(&w->returned); ms++) {
		if (thread_state(tid) == 'S')
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
	}
	gate_set_open();
	return NULL;
}

/* Asserts that every thread started since BASE has ended (after a short settle), printing
 * what threadcheck knows about the threads left behind. */
static void assert_no_worker_left(const struct tc_baseline *base)
{
	struct tc_options opt = {.settle_seconds = 0.25};
	char report[8192] = "";
	int left = tc_verify_none(base, &opt, report, sizeof(report));

	assert_int_not_equal(left, -1); /* -1: the threads could not be listed */
	if (left > 0)
		print_error("%d thread(s) still alive after pool_shutdown returned:\n%s\n", left, report);
	assert_int_equal(left, 0);
}

/* More jobs than queue slots: submit waits for room, and every job runs exactly once. */
static void test_every_job_runs(void **state)
{
	struct tc_baseline base;
	struct pool *p;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	jobs_done = 0;
	p = pool_new(3, 2);
	for (int i = 0; i < 20; i++)
		pool_submit(p, count_job, NULL);
	pool_shutdown(p);
	assert_int_equal(jobs_done_now(), 20);
	assert_no_worker_left(&base);
}

/* The lab's point: workers that never got a job are still waiting when the pool shuts down. */
static void test_shutdown_ends_idle_workers(void **state)
{
	struct tc_baseline base;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	pool_shutdown(pool_new(4, 4));
	assert_no_worker_left(&base);
}

/* Jobs still in the queue when pool_shutdown is called run before it returns: a shutdown
 * must not drop work it has accepted. Both workers are held at the gate, so the six counting
 * jobs are all queued when the shutdown begins. */
static void test_queued_jobs_run_before_shutdown_returns(void **state)
{
	struct tc_baseline base;
	struct shutdown_watch watch = { .tid = 0, .returned = 0 };
	struct pool *p;
	pthread_t opener;
	int done;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	jobs_done = 0;
	gate_open = 0;
	gate_waiters = 0;
	p = pool_new(2, 8);
	pool_submit(p, gate_job, NULL);
	pool_submit(p, gate_job, NULL);
	gate_wait_for(2); /* both workers are busy now */
	for (int i = 0; i < 6; i++)
		pool_submit(p, count_job, NULL);
	Pthread_create(&opener, NULL, open_gate_when_shutdown_waits, &watch);
	atomic_store(&watch.tid, (int)gettid());
	pool_shutdown(p);
	atomic_store(&watch.returned, 1);
	done = jobs_done_now();
	Pthread_join(opener, NULL);
	assert_int_equal(done, 6);
	assert_no_worker_left(&base);
}

/* pool_shutdown frees the pool: its queue, its workers' array, and the pool itself. Counted
 * with live_allocs.h in the plain build of the tests (ThreadSanitizer's build cannot count). */
static void test_shutdown_frees_the_pool(void **state)
{
	struct pool *p;
	long before, after;

	(void)state;
	if (live_allocs() < 0)
		skip();
	/* A warm-up pool of as many workers, so that glibc has the memory of three joined threads
	 * to reuse: the reading below then counts the pool's own blocks only. */
	pool_shutdown(pool_new(3, 4));
	jobs_done = 0;
	before = live_allocs();
	p = pool_new(3, 4);

	for (int i = 0; i < 10; i++)
		pool_submit(p, count_job, NULL);
	pool_shutdown(p);
	after = live_allocs();
	assert_int_equal(jobs_done_now(), 10);
	if (after != before)
		fail_msg("%ld heap block(s) allocated by pool_new or pool_submit are still allocated "
			 "after pool_shutdown returned: the pool must be freed",
			 after - before);
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
		cmocka_unit_test(test_every_job_runs),
		cmocka_unit_test(test_shutdown_ends_idle_workers),
		cmocka_unit_test(test_queued_jobs_run_before_shutdown_returns),
		cmocka_unit_test(test_shutdown_frees_the_pool),
	};

	return cmocka_run_group_tests(tests, start_runtime_threads, NULL);
}
