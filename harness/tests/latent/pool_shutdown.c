/* pool_shutdown.c: 4 workers check the stop flag in one critical section and go to sleep in
 * the next; a shutdown broadcast between the two is lost and the join hangs (lost wakeup,
 * depth 2, 5 threads). FIXED: check and wait under one hold. */
#include "latent.h"

#define N 4
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static int stop;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
#ifdef FIXED
	while (!stop)
		pthread_cond_wait(&work, &m);
#else
	int s = stop;
	pthread_mutex_unlock(&m);
	pthread_mutex_lock(&m);
	if (!s)
		pthread_cond_wait(&work, &m);
#endif
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	start_all(t, N, worker);
	pthread_mutex_lock(&m);
	stop = 1;
	pthread_cond_broadcast(&work);
	pthread_mutex_unlock(&m);
	join_all(t, N);
	return 0;
}
