/* cond_queue.c: a one-slot queue between a producer and a consumer, waits in predicate loops. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int slot, full;

static void *producer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= 100; i++) {
		pthread_mutex_lock(&mu);
		while (full)
			pthread_cond_wait(&changed, &mu);
		slot = i;
		full = 1;
		pthread_cond_broadcast(&changed);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

int main(void)
{
	pthread_t t;
	long sum = 0;
	pthread_create(&t, NULL, producer, NULL);
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&mu);
		while (!full)
			pthread_cond_wait(&changed, &mu);
		sum += slot;
		full = 0;
		pthread_cond_broadcast(&changed);
		pthread_mutex_unlock(&mu);
	}
	pthread_join(t, NULL);
	printf("%ld\n", sum);
	return 0;
}
