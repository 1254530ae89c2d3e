/* mailbox.h: the one-job slot between the dispatcher and the render workers of a thumbnail
 * service (lab-owned). */
#ifndef MAILBOX_H
#define MAILBOX_H

#include <pthread.h>

/* Told that a worker found the slot empty and is about to go to sleep. It is called with the
 * mailbox's lock held, right before the worker waits; it must not call any mailbox function. */
typedef void (*mailbox_idle_fn)(void *arg);

/* A slot that holds at most one job. */
struct mailbox {
	pthread_mutex_t lock;
	pthread_cond_t changed;   /* broadcast when a job is put */
	int ready;                /* 1 while the slot holds a job nobody has taken yet */
	void *job;                /* the job, valid while ready is 1 */
	mailbox_idle_fn on_idle;  /* NULL: nobody is told */
	void *idle_arg;           /* passed to on_idle */
};

/* Sets up an empty MB. ON_IDLE (may be NULL) is called with IDLE_ARG each time a worker is
 * about to sleep because the slot is empty. Aborts (file:line) on a pthread error. */
void mailbox_init(struct mailbox *mb, mailbox_idle_fn on_idle, void *idle_arg);

/* Releases MB's resources. No thread may be using it. */
void mailbox_destroy(struct mailbox *mb);

/* Puts JOB (not NULL) into MB and wakes the workers waiting for it. Only one thread, the
 * dispatcher, puts, and only into an empty slot: it puts the next job once it knows the
 * previous one was taken (a worker told it that it is idle, or returned the job). */
void mailbox_put(struct mailbox *mb, void *job);

/* Takes the job out of MB, sleeping as long as the slot is empty. Returns the job: never
 * NULL, and each job put is returned by exactly one call. Any number of workers may call it
 * at once. */
void *mailbox_take(struct mailbox *mb);

#endif
