/* notify.c: the signal thread of lab 18: it waits in sigwait, never in a signal handler, and publishes the signal it took under a mutex. */
#include "notify.h"

#include "check.h"

/* The signal thread: it takes one signal of the set and announces it. Everything it does runs
 * in an ordinary thread, so it may lock mutexes, which a signal handler may not. */
static void *notify_main(void *arg)
{
	struct notify *n = arg;
	int signo = 0;

	CHECK_PT(sigwait(&n->set, &signo));
	Pthread_mutex_lock(&n->lock);
	n->signo = signo;
	Pthread_cond_broadcast(&n->done_cond);
	Pthread_mutex_unlock(&n->lock);
	return NULL;
}

void notify_start(struct notify *n, const sigset_t *set)
{
	n->set = *set;
	n->signo = 0;
	Pthread_mutex_init(&n->lock, NULL);
	Pthread_cond_init(&n->done_cond, NULL);
	/* Blocked here, so blocked in the signal thread and in every thread created later. */
	CHECK_PT(pthread_sigmask(SIG_BLOCK, &n->set, NULL));
	Pthread_create(&n->thread, NULL, notify_main, n);
}

int notify_wait(struct notify *n)
{
	int signo;

	Pthread_mutex_lock(&n->lock);
	while (n->signo == 0)
		Pthread_cond_wait(&n->done_cond, &n->lock);
	signo = n->signo;
	Pthread_mutex_unlock(&n->lock);
	return signo;
}

void notify_stop(struct notify *n)
{
	Pthread_mutex_lock(&n->lock);
	if (n->signo == 0) {
		int first = 1;

		while (first < NSIG && sigismember(&n->set, first) != 1)
			first++;
		/* Directed at the signal thread, so it cannot reach any other thread. */
		CHECK_PT(pthread_kill(n->thread, first));
	}
	Pthread_mutex_unlock(&n->lock);
	Pthread_join(n->thread, NULL);
	Pthread_cond_destroy(&n->done_cond);
	Pthread_mutex_destroy(&n->lock);
}
