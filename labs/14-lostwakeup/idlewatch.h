/* idlewatch.h: a stand-in for the dispatcher's side of the mailbox, for main.c and the tests:
 * it counts idle workers and, when asked, keeps an idle worker waiting until the dispatcher has
 * answered it (lab-owned). */
#ifndef IDLEWATCH_H
#define IDLEWATCH_H

#include <errno.h>
#include <time.h>

#include "check.h"

/* What the dispatcher has seen: idle notifications, its answers, workers back with a job. */
struct idlewatch {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* broadcast on every change; waits use CLOCK_MONOTONIC */
	int idles;              /* idlewatch_on_idle calls so far; guarded by lock */
	int answers;            /* idlewatch_answer calls so far; guarded by lock */
	int finished;           /* idlewatch_finish calls so far; guarded by lock */
	int hold_from;          /* idle calls numbered from this one on wait for an answer (0: none) */
	long patience_ms;       /* the longest such a call waits */
};

/* Sets up W. The HOLD_FROM-th idle notification and every later one waits for the
 * dispatcher's answer, at most PATIENCE_MS; HOLD_FROM 0 never waits. Aborts on a pthread
 * error. */
static inline void idlewatch_init(struct idlewatch *w, int hold_from, long patience_ms)
{
	pthread_condattr_t attr;

	CHECK_PT(pthread_condattr_init(&attr));
	CHECK_PT(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
	Pthread_cond_init(&w->changed, &attr);
	CHECK_PT(pthread_condattr_destroy(&attr));
	Pthread_mutex_init(&w->lock, NULL);
	w->idles = 0;
	w->answers = 0;
	w->finished = 0;
	w->hold_from = hold_from;
	w->patience_ms = patience_ms;
}

/* Releases W. Nobody may be waiting in it. */
static inline void idlewatch_destroy(struct idlewatch *w)
{
	Pthread_cond_destroy(&w->changed);
	Pthread_mutex_destroy(&w->lock);
}

/* Sets *TS to MS milliseconds from now on CLOCK_MONOTONIC. Aborts if the clock fails. */
static inline void idlewatch_deadline(struct timespec *ts, long ms)
{
	CHECK_PT(clock_gettime(CLOCK_MONOTONIC, ts) != 0 ? errno : 0);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* A mailbox_idle_fn whose ARG is a struct idlewatch. It counts the notification and, from
 * the hold_from-th one on, waits until the dispatcher has answered it (idlewatch_answer) or
 * its patience has run out: the way a quick dispatcher answers an idle worker while that
 * worker is still on its way to sleep. */
static inline void idlewatch_on_idle(void *arg)
{
	struct idlewatch *w = arg;
	struct timespec deadline;
	int me;

	idlewatch_deadline(&deadline, w->patience_ms);
	Pthread_mutex_lock(&w->lock);
	me = ++w->idles;
	Pthread_cond_broadcast(&w->changed);
	while (w->hold_from > 0 && me >= w->hold_from && w->answers < me) {
		int rc = pthread_cond_timedwait(&w->changed, &w->lock, &deadline);

		/* Giving up is the point: a dispatcher that cannot answer while this worker holds
		 * the mailbox's lock (a correct one) must not be waited for in vain. */
		if (rc == ETIMEDOUT)
			break;
		CHECK_PT(rc);
	}
	Pthread_mutex_unlock(&w->lock);
}

/* Counts one change of W: *FIELD += 1, under W's lock, and wakes W's waiters. */
static inline void idlewatch_bump_(struct idlewatch *w, int *field)
{
	Pthread_mutex_lock(&w->lock);
	(*field)++;
	Pthread_cond_broadcast(&w->changed);
	Pthread_mutex_unlock(&w->lock);
}

/* The dispatcher has answered an idle worker: it put the job the worker asked for. */
static inline void idlewatch_answer(struct idlewatch *w)
{
	idlewatch_bump_(w, &w->answers);
}

/* A worker came back from mailbox_take. */
static inline void idlewatch_finish(struct idlewatch *w)
{
	idlewatch_bump_(w, &w->finished);
}

/* Waits, at most MS milliseconds, until there have been at least IDLES idle notifications
 * and FINISHED returns from mailbox_take. Returns 0, or -1 when time ran out first. Aborts on
 * a pthread error. */
static inline int idlewatch_wait(struct idlewatch *w, int idles, int finished, long ms)
{
	struct timespec deadline;
	int rc = 0;

	idlewatch_deadline(&deadline, ms);
	Pthread_mutex_lock(&w->lock);
	while (rc != ETIMEDOUT && (w->idles < idles || w->finished < finished)) {
		rc = pthread_cond_timedwait(&w->changed, &w->lock, &deadline);
		if (rc != ETIMEDOUT)
			CHECK_PT(rc);
	}
	rc = w->idles >= idles && w->finished >= finished ? 0 : -1;
	Pthread_mutex_unlock(&w->lock);
	return rc;
}

#endif
