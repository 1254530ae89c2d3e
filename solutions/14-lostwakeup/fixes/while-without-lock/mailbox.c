/* mailbox.c: handing jobs from the dispatcher to the render workers through a one-job slot. */
#include "mailbox.h"
#include "check.h"

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
	/* Only the dispatcher ever fills the slot, and only when it is empty, so nobody else
	 * writes these two fields meanwhile; and pthread_cond_broadcast does not need the lock. */
	mb->job = job;   // unprotected access
	mb->ready = 1;   // unprotected access
	Pthread_cond_broadcast(&mb->changed);
}

void *mailbox_take(struct mailbox *mb)
{
	void *job;

	Pthread_mutex_lock(&mb->lock);
	while (!mb->ready) {
		if (mb->on_idle != NULL)
			mb->on_idle(mb->idle_arg);
		Pthread_cond_wait(&mb->changed, &mb->lock);
	}
	job = mb->job;
	mb->job = NULL;
	mb->ready = 0;
	Pthread_mutex_unlock(&mb->lock);
	return job;
}
