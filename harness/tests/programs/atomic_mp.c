/* atomic_mp.c: message passing through a C11 atomic flag with release/acquire (correct: no tool may report it). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

int payload;
atomic_int ready;

static void *producer(void *arg)
{
	(void)arg;
	payload = 42;
	/* The release store publishes the payload to whoever acquires the flag. */
	atomic_store_explicit(&ready, 1, memory_order_release);
	return NULL;
}

static void *consumer(void *arg)
{
	int *seen = arg;
	while (!atomic_load_explicit(&ready, memory_order_acquire))
		sched_yield();
	*seen = payload;
	return NULL;
}

int main(void)
{
	pthread_t p, c;
	int seen = 0;
	pthread_create(&c, NULL, consumer, &seen);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	printf("%d\n", seen);
	return seen == 42 ? 0 : 1;
}
