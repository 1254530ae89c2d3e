/* lost_wakeup.c: the waiter checks the flag in one critical section and waits in another; the
 * signal can fall between them (lost wakeup, depth 2, 2 threads). FIXED: check and wait under
 * one lock hold, in a loop. */
#include "latent.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int ready;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
#ifdef FIXED
	while (!ready)
		pthread_cond_wait(&c, &m);
#else
	int r = ready;
	pthread_mutex_unlock(&m);
	pthread_mutex_lock(&m);
	if (!r)
		pthread_cond_wait(&c, &m);
#endif
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_t t;
	start_all(&t, 1, waiter);
	pthread_mutex_lock(&m);
	ready = 1;
	pthread_cond_signal(&c);
	pthread_mutex_unlock(&m);
	join_all(&t, 1);
	return 0;
}
