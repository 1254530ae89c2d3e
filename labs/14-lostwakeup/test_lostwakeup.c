/* test_lostwakeup.c: cmocka tests of mailbox.c: every job put is taken by exactly one worker,
 * whenever it is put and however many workers wait. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "check.h"
#include "idlewatch.h"
#include "mailbox.h"
#include "threadcheck.h"
#include "threads_left.h"

/* How long a worker may stay asleep with a job in the slot before a test calls its wakeup
 * lost. A correct mailbox.c needs about PATIENCE_MS. */
#define STUCK_SECONDS 2
#define PATIENCE_MS 400
#define WAIT_MS (STUCK_SECONDS * 1000L)

/* A worker that takes one job and reports it. */
struct taker {
	pthread_t thread;
	struct mailbox *mb;
	struct idlewatch *watch;
	void *got; /* what mailbox_take returned */
};

static void *taker_main(void *arg)
{
	struct taker *t = arg;

	t->got = mailbox_take(t->mb);
	idlewatch_finish(t->watch);
	return NULL;
}

/* Joins the N takers of T, waiting at most STUCK_SECONDS in all. Returns 0 when every thread
 * was joined, or -1 (with some threads left unjoined) when time ran out. Aborts on any other
 * pthread error. */
static int join_within_deadline(struct taker *t, int n)
{
	struct timespec deadline;

	/* pthread_timedjoin_np measures its deadline on CLOCK_REALTIME. */
	CHECK_PT(clock_gettime(CLOCK_REALTIME, &deadline) != 0 ? errno : 0);
	deadline.tv_sec += STUCK_SECONDS;
	for (int i = 0; i < n; i++) {
		int rc = pthread_timedjoin_np(t[i].thread, NULL, &deadline);

		if (rc == ETIMEDOUT)
			return -1;
		CHECK_PT(rc);
	}
	return 0;
}

/* Returns once every worker that has sent its idle notification is inside pthread_cond_wait:
 * after the notification a worker gives the mailbox's lock up only by going to sleep. */
static void wait_until_asleep(struct mailbox *mb)
{
	Pthread_mutex_lock(&mb->lock);
	Pthread_mutex_unlock(&mb->lock);
}

/* Fails the current test when threads other than those in BASE are still alive. */
static void assert_no_thread_left(const struct tc_baseline *base)
{
	assert_no_thread_left_when(base, "after every worker returned", 4096);
}

static void test_put_then_take(void **state)
{
	struct mailbox mb;
	int a = 1, b = 2;

	(void)state;
	mailbox_init(&mb, NULL, NULL);
	mailbox_put(&mb, &a);
	assert_ptr_equal(mailbox_take(&mb), &a);
	mailbox_put(&mb, &b);
	assert_ptr_equal(mailbox_take(&mb), &b);
	mailbox_destroy(&mb);
}

static void test_job_for_a_sleeping_worker(void **state)
{
	struct tc_baseline base;
	struct idlewatch watch;
	struct mailbox mb;
	struct taker t;
	int job = 1;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	idlewatch_init(&watch, 0, PATIENCE_MS);
	mailbox_init(&mb, idlewatch_on_idle, &watch);
	t = (struct taker){ .mb = &mb, .watch = &watch };
	Pthread_create(&t.thread, NULL, taker_main, &t);
	assert_int_equal(idlewatch_wait(&watch, 1, 0, WAIT_MS), 0);
	wait_until_asleep(&mb);
	mailbox_put(&mb, &job);
	if (join_within_deadline(&t, 1) != 0)
		fail_msg("a job was put for a worker that was already asleep, and the worker is "
			 "still asleep after %d s",
			 STUCK_SECONDS);
	assert_ptr_equal(t.got, &job);
	mailbox_destroy(&mb);
	idlewatch_destroy(&watch);
	assert_no_thread_left(&base);
}

/* Everything the lost-wakeup test shares with its worker. When the wakeup is lost it is
 * deliberately never freed: the sleeping worker still uses it. */
struct handoff {
	struct idlewatch watch;
	struct mailbox mb;
	struct taker t;
	int job;
};

static void test_job_for_a_worker_on_its_way_to_sleep(void **state)
{
	struct handoff *h = Malloc(sizeof(*h));
	struct tc_baseline base;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	/* The worker's idle notification waits until the job has been put (or its patience
	 * runs out): the quick dispatcher's timing, on every run. */
	idlewatch_init(&h->watch, 1, PATIENCE_MS);
	mailbox_init(&h->mb, idlewatch_on_idle, &h->watch);
	h->t = (struct taker){ .mb = &h->mb, .watch = &h->watch };
	Pthread_create(&h->t.thread, NULL, taker_main, &h->t);
	assert_int_equal(idlewatch_wait(&h->watch, 1, 0, WAIT_MS), 0);
	mailbox_put(&h->mb, &h->job);
	idlewatch_answer(&h->watch);

	if (join_within_deadline(&h->t, 1) != 0)
		fail_msg("lost wakeup: the job was put while the worker, having found the slot "
			 "empty, was on its way to sleep; the worker has slept for %d s since, with "
			 "the job waiting in the slot",
			 STUCK_SECONDS);
	assert_ptr_equal(h->t.got, &h->job);
	mailbox_destroy(&h->mb);
	idlewatch_destroy(&h->watch);
	free(h);
	assert_no_thread_left(&base);
}

/* Waits, at most WAIT_MS, until W has seen two workers return or three idle notifications.
 * Returns 0, or -1 when time ran out first. */
static int wait_second_outcome(struct idlewatch *w)
{
	struct timespec deadline;
	int rc = 0;

	idlewatch_deadline(&deadline, WAIT_MS);
	Pthread_mutex_lock(&w->lock);
	while (rc != ETIMEDOUT && w->finished < 2 && w->idles < 3) {
		rc = pthread_cond_timedwait(&w->changed, &w->lock, &deadline);
		if (rc != ETIMEDOUT)
			CHECK_PT(rc);
	}
	rc = w->finished >= 2 || w->idles >= 3 ? 0 : -1;
	Pthread_mutex_unlock(&w->lock);
	return rc;
}

/* Everything two workers share; never freed if a worker is left asleep, as above. */
struct pair {
	struct idlewatch watch;
	struct mailbox mb;
	struct taker t[2];
	int job[2];
};

static void test_one_job_wakes_both_workers(void **state)
{
	struct pair *p = Malloc(sizeof(*p));
	struct tc_baseline base;
	int finished;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	idlewatch_init(&p->watch, 0, PATIENCE_MS);
	mailbox_init(&p->mb, idlewatch_on_idle, &p->watch);
	for (int i = 0; i < 2; i++) {
		p->t[i] = (struct taker){ .mb = &p->mb, .watch = &p->watch };
		Pthread_create(&p->t[i].thread, NULL, taker_main, &p->t[i]);
	}
	/* Both workers asleep, then one job: the broadcast wakes both of them, and only one can
	 * have the job. */
	assert_int_equal(idlewatch_wait(&p->watch, 2, 0, WAIT_MS), 0);
	wait_until_asleep(&p->mb);
	mailbox_put(&p->mb, &p->job[0]);
	if (idlewatch_wait(&p->watch, 0, 1, WAIT_MS) != 0 || wait_second_outcome(&p->watch) != 0)
		fail_msg("after one job was put for two sleeping workers, neither a second return "
			 "nor the second worker going back to sleep was seen within %d s",
			 STUCK_SECONDS);
	Pthread_mutex_lock(&p->watch.lock);
	finished = p->watch.finished;
	Pthread_mutex_unlock(&p->watch.lock);
	if (finished == 2) {
		/* Both came back from one job: join them to read what each one got. */
		assert_int_equal(join_within_deadline(p->t, 2), 0);
		for (int i = 0; i < 2; i++)
			if (p->t[i].got != &p->job[0])
				fail_msg("worker %d woke up and returned %p, not the job: one job was "
					 "put for two sleeping workers, the other worker took it, and "
					 "this one went on as if there were something to take",
					 i, p->t[i].got);
		fail_msg("both workers returned the same job");
	}

	/* The second worker is asleep again: the second job is for it. */
	wait_until_asleep(&p->mb);
	mailbox_put(&p->mb, &p->job[1]);
	if (join_within_deadline(p->t, 2) != 0)
		fail_msg("the second job was put for the worker that went back to sleep, and it "
			 "is still asleep after %d s",
			 STUCK_SECONDS);
	assert_true((p->t[0].got == &p->job[0] && p->t[1].got == &p->job[1]) ||
		    (p->t[0].got == &p->job[1] && p->t[1].got == &p->job[0]));
	mailbox_destroy(&p->mb);
	idlewatch_destroy(&p->watch);
	free(p);
	assert_no_thread_left(&base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_then_take),
		cmocka_unit_test(test_job_for_a_sleeping_worker),
		cmocka_unit_test(test_job_for_a_worker_on_its_way_to_sleep),
		cmocka_unit_test(test_one_job_wakes_both_workers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
