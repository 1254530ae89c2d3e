/* leak_exit.c: a logger thread is detached and told to stop through a flag it checks before
 * waiting, in another critical section; a stop request between the two leaves it blocked
 * when main returns (thread leak, depth 2, 2 threads). FIXED: check and wait under one hold,
 * and join it. */
#include "latent.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int stop, stopped;

static void *logger(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
#ifdef FIXED
	while (!stop)
		pthread_cond_wait(&c, &m);
#else
	int s = stop;
	pthread_mutex_unlock(&m);
	pthread_mutex_lock(&m);
	if (!s)
		pthread_cond_wait(&c, &m);
#endif
	stopped = 1;
	pthread_cond_broadcast(&c);
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_t t;
	start_all(&t, 1, logger);
	pthread_detach(t);
	pthread_mutex_lock(&m);
	stop = 1;
	pthread_cond_broadcast(&c);
	/* Waits a bounded while for the logger to say it stopped, then leaves anyway. */
	for (int k = 0; k < 3 && !stopped; k++) {
		pthread_mutex_unlock(&m);
		sched_yield();
		pthread_mutex_lock(&m);
	}
	pthread_mutex_unlock(&m);
	return 0;
}
