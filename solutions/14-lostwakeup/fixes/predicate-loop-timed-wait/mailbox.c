/* mailbox.c: handing jobs from the dispatcher to the render workers through a one-job slot. */
#include "mailbox.h"
#include "check.h"

#include <errno.h>
#include <time.h>

void mailbox_init(struct mailbox *mb, mailbox_idle_fn on_idle, void *idle_arg)
{
	Pthread_mutex_init(&mb->lock, NULL);
	Pthread_cond_init(&mb->changed, NULL);
	mb->ready = 0;
	mb->job = NULL;
	mb->on_idle = on_idle;
	mb->idle_arg = idle_arg;
}

void mailbox_destroy(struct mailbox *mb)
{
	Pthread_cond_destroy(&mb->changed);
	Pthread_mutex_destroy(&mb->lock);
}

void mailbox_put(struct mailbox *mb, void *job)
{
	/* A worker checks ready and goes to sleep while it holds the lock, so a put made under
	 * the same lock can only happen before its check or once it sleeps, never in between. */
	Pthread_mutex_lock(&mb->lock);
	mb->job = job;
	mb->ready = 1;
	Pthread_cond_broadcast(&mb->changed);
	Pthread_mutex_unlock(&mb->lock);
}

void *mailbox_take(struct mailbox *mb)
{
	void *job;

	Pthread_mutex_lock(&mb->lock);
	/* Waking up proves nothing: another worker may have taken the job first, and waits may
	 * end spuriously. Check again every time. */
	while (!mb->ready) {
		if (mb->on_idle != NULL)
			mb->on_idle(mb->idle_arg);
		struct timespec again;
		int rc;

		CHECK_PT(clock_gettime(CLOCK_REALTIME, &again) != 0 ? errno : 0);
		again.tv_nsec += 100 * 1000000L;
		if (again.tv_nsec >= 1000000000L) {
			again.tv_sec++;
			again.tv_nsec -= 1000000000L;
		}
		rc = pthread_cond_timedwait(&mb->changed, &mb->lock, &again);
		CHECK_PT(rc == ETIMEDOUT ? 0 : rc);
	}
	job = mb->job;
	mb->job = NULL;
	mb->ready = 0;
	Pthread_mutex_unlock(&mb->lock);
	return job;
}
