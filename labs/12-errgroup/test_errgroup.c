/* test_errgroup.c: cmocka tests of errgroup.c: the first error is the one returned, and it
 * stops the other tasks early. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <cmocka.h>

#include "check.h"
#include "errgroup.h"
#include "threadcheck.h"
#include "threads_left.h"

/* How long the test waits for a failure to cancel the context. A correct group cancels it
 * before the failing task's thread ends, so this is only the limit for a group that never
 * does; nothing in a passing run depends on it. */
#define CANCEL_PATIENCE_MS 500

#define NSIBLINGS 3
#define NSTEPS 50

/* A gate that tasks wait at until the test opens it. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int open;    /* guarded by lock; once 1, stays 1 */
	int arrived; /* tasks that have reached the gate; guarded by lock */
};

static void gate_init(struct gate *g)
{
	Pthread_mutex_init(&g->lock, NULL);
	Pthread_cond_init(&g->changed, NULL);
	g->open = 0;
	g->arrived = 0;
}

static void gate_destroy(struct gate *g)
{
	Pthread_cond_destroy(&g->changed);
	Pthread_mutex_destroy(&g->lock);
}

/* Counts the caller as arrived, then waits until G is open. */
static void gate_pass(struct gate *g)
{
	Pthread_mutex_lock(&g->lock);
	g->arrived++;
	Pthread_cond_broadcast(&g->changed);
	while (!g->open)
		Pthread_cond_wait(&g->changed, &g->lock);
	Pthread_mutex_unlock(&g->lock);
}

/* Waits until N tasks have arrived at G. */
static void gate_await_arrivals(struct gate *g, int n)
{
	Pthread_mutex_lock(&g->lock);
	while (g->arrived < n)
		Pthread_cond_wait(&g->changed, &g->lock);
	Pthread_mutex_unlock(&g->lock);
}

static void gate_open(struct gate *g)
{
	Pthread_mutex_lock(&g->lock);
	g->open = 1;
	Pthread_cond_broadcast(&g->changed);
	Pthread_mutex_unlock(&g->lock);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Polls CTX every millisecond, for at most CANCEL_PATIENCE_MS. Returns 1 as soon as it is
 * cancelled, 0 if it never was. */
static int wait_for_cancel(struct ctx *ctx)
{
	for (int waited = 0; waited < CANCEL_PATIENCE_MS; waited++) {
		if (ctx_cancelled(ctx))
			return 1;
		sleep_ms(1);
	}
	return ctx_cancelled(ctx);
}

/* What one task of a test does. */
struct job {
	int err;           /* returned at the end (or at once, for a failing job) */
	struct gate *gate; /* when not NULL, the job waits there after its first step */
	int steps;         /* steps done; written only by the job's thread, read after the wait */
};

/* A task that does up to NSTEPS steps, checking the context before each one, and returns
 * -ECANCELED if it stopped early, else the job's err. With a gate, it waits there after its
 * first step, as if that step were a slow call. */
static int worker(struct ctx *ctx, void *arg)
{
	struct job *j = arg;

	for (int step = 0; step < NSTEPS; step++) {
		if (ctx_cancelled(ctx))
			return -ECANCELED;
		j->steps++;
		if (step == 0 && j->gate != NULL)
			gate_pass(j->gate);
	}
	return j->err;
}

/* A task that waits at its gate, if it has one, then fails with the job's err. */
static int failer(struct ctx *ctx, void *arg)
{
	struct job *j = arg;

	(void)ctx;
	if (j->gate != NULL)
		gate_pass(j->gate);
	return j->err;
}

/* Fails the test if a thread started since BASE is still alive (after up to a second). */
static void assert_no_thread_left(const struct tc_baseline *base)
{
	assert_no_thread_left_when(base, "after errgroup_wait returned", 4096);
}

static void test_all_succeed(void **state)
{
	struct tc_baseline base;
	struct job jobs[NSIBLINGS];
	struct ctx *ctx;
	struct errgroup *g;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	g = errgroup_new(&ctx);
	assert_int_equal(ctx_cancelled(ctx), 0);
	for (int i = 0; i < NSIBLINGS; i++) {
		jobs[i] = (struct job){ .err = 0 };
		errgroup_go(g, worker, &jobs[i]);
	}
	assert_int_equal(errgroup_wait(g), 0);
	for (int i = 0; i < NSIBLINGS; i++)
		assert_int_equal(jobs[i].steps, NSTEPS);
	/* Like Go's errgroup, Wait cancels the context once everything is done. */
	assert_int_equal(ctx_cancelled(ctx), 1);
	errgroup_free(g);
	assert_no_thread_left(&base);
}

/* Two tasks fail one after the other, in an order the test forces: the group must return the
 * error of the one that failed first. */
static void test_first_error_is_returned(void **state)
{
	struct tc_baseline base;
	struct gate later;
	struct job first = { .err = -EIO };
	struct job second = { .err = -EPIPE, .gate = &later };
	struct ctx *ctx;
	struct errgroup *g;
	int cancelled, err;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	gate_init(&later);
	g = errgroup_new(&ctx);
	errgroup_go(g, failer, &second); /* started first, but held at its gate */
	errgroup_go(g, failer, &first);
	/* A correct group cancels the context when, and only when, the first error is recorded. */
	cancelled = wait_for_cancel(ctx);
	gate_open(&later); /* only now may the second task fail */
	err = errgroup_wait(g);
	errgroup_free(g);
	gate_destroy(&later);
	if (err != -EIO)
		fail_msg("errgroup_wait returned %d, but the first task failed with %d (-EIO) and "
			 "the second, %s, with %d (-EPIPE)",
			 err, -EIO,
			 cancelled ? "after the context was cancelled"
				   : "after waiting in vain for the context to be cancelled",
			 -EPIPE);
	assert_no_thread_left(&base);
}

/* Siblings are in the middle of their work when a task fails: they must stop at their next
 * check of the context, and the failure, not their -ECANCELED, is returned. */
static void test_siblings_stop_early(void **state)
{
	struct tc_baseline base;
	struct gate midway;
	struct job sib[NSIBLINGS];
	struct job failing = { .err = -EIO };
	struct ctx *ctx;
	struct errgroup *g;
	int cancelled, err;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	gate_init(&midway);
	g = errgroup_new(&ctx);
	for (int i = 0; i < NSIBLINGS; i++) {
		sib[i] = (struct job){ .err = 0, .gate = &midway };
		errgroup_go(g, worker, &sib[i]);
	}
	gate_await_arrivals(&midway, NSIBLINGS); /* every sibling has done its first step */
	errgroup_go(g, failer, &failing);
	cancelled = wait_for_cancel(ctx);
	gate_open(&midway);
	err = errgroup_wait(g);
	errgroup_free(g);
	gate_destroy(&midway);
	for (int i = 0; i < NSIBLINGS; i++)
		if (sib[i].steps != 1)
			fail_msg("sibling %d did %d of %d steps; it should have stopped after its first, "
				 "when another task had failed (context %s)",
				 i, sib[i].steps, NSTEPS,
				 cancelled ? "cancelled" : "still not cancelled after the failure");
	assert_int_equal(err, -EIO);
	assert_no_thread_left(&base);
}

static void *do_nothing(void *arg)
{
	return arg;
}

/* Starts and joins one thread before any baseline is taken, so that a runtime which starts a
 * thread of its own on the first pthread_create has it in every baseline. */
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
		cmocka_unit_test(test_all_succeed),
		cmocka_unit_test(test_first_error_is_returned),
		cmocka_unit_test(test_siblings_stop_early),
	};

	return cmocka_run_group_tests(tests, start_runtime_threads, NULL);
}
