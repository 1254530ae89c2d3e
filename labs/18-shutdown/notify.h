/* notify.h: signal.NotifyContext for C: a dedicated thread takes the stop signals with sigwait and turns them into a flag that any thread can wait for. */
#ifndef LAB18_NOTIFY_H
#define LAB18_NOTIFY_H

#include <pthread.h>
#include <signal.h>

/* The "context" that a stop signal cancels. The signal thread is the only one that ever takes
 * one of the signals: every other thread keeps them blocked, so no signal handler ever runs and
 * nothing happens in async-signal context. */
struct notify {
	pthread_t thread;     /* the signal thread, blocked in sigwait */
	sigset_t set;         /* the signals it waits for */
	pthread_mutex_t lock;
	pthread_cond_t done_cond; /* broadcast once, when signo is set */
	int signo;                /* 0 until a signal has arrived; guarded by lock */
};

/* Blocks the signals of SET in the calling thread and starts the signal thread. Call it before
 * creating any other thread: threads inherit their creator's signal mask, and a
 * process-directed signal (kill(2), an orchestrator's SIGTERM) goes to any thread that does not
 * block it, whose default action would end the process. Aborts with file:line on an error. */
void notify_start(struct notify *n, const sigset_t *set);

/* The <-ctx.Done() of Go: waits until one of the signals has arrived and returns its number. */
int notify_wait(struct notify *n);

/* Ends the signal thread and joins it. If no signal has arrived yet, it sends the first signal
 * of the set to that thread alone (pthread_kill), which its sigwait takes like any other. N may
 * not be used afterwards. Aborts with file:line on an error. */
void notify_stop(struct notify *n);

#endif
