/* tc_dl_three.c: a child for test_threadcheck: three threads each lock their own mutex and
 * then their neighbour's, around a ring: a wait-for cycle of length three. */
#include <pthread.h>

static pthread_mutex_t mu[3] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
				 PTHREAD_MUTEX_INITIALIZER };
static pthread_barrier_t all_hold;

static void *ring(void *arg)
{
	int i = (int)(long)arg;

	pthread_mutex_lock(&mu[i]); /* @holds */
	pthread_barrier_wait(&all_hold);
	pthread_mutex_lock(&mu[(i + 1) % 3]); /* @waits */
	pthread_mutex_unlock(&mu[(i + 1) % 3]);
	pthread_mutex_unlock(&mu[i]);
	return NULL;
}

int main(void)
{
	pthread_t t[3];

	pthread_barrier_init(&all_hold, NULL, 3);
	for (long i = 0; i < 3; i++)
		if (pthread_create(&t[i], NULL, ring, (void *)i) != 0)
			return 2;
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	return 0;
}
