/* wrong_signal.c: two kinds of waiter share one condition variable and the producer signals
 * instead of broadcasting; the signal can wake the wrong kind, which waits again (lost
 * wakeup, depth 2, 3 threads). FIXED: broadcast. */
#include "latent.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int a_ready, b_ready;

static void *wait_for(void *arg)
{
	int *flag = (long)arg == 0 ? &a_ready : &b_ready;
	busy(2000);
	pthread_mutex_lock(&m);
	while (!*flag)
		pthread_cond_wait(&c, &m);
	pthread_mutex_unlock(&m);
	return NULL;
}

static void post(int *flag)
{
	pthread_mutex_lock(&m);
	*flag = 1;
#ifdef FIXED
	pthread_cond_broadcast(&c);
#else
	pthread_cond_signal(&c);
#endif
	pthread_mutex_unlock(&m);
}

int main(void)
{
	pthread_t t[2];
	start_all(t, 2, wait_for);
	post(&b_ready);
	join_all(t + 1, 1);
	post(&a_ready);
	join_all(t, 1);
	return 0;
}
