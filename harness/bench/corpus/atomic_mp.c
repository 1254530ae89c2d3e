/* atomic_mp.c: correct message passing through a C11 release store and acquire load. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static int payload;
static atomic_int ready;

static void *producer(void *arg)
{
	(void)arg;
	payload = 42;
	atomic_store_explicit(&ready, 1, memory_order_release);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, producer, NULL);
	while (!atomic_load_explicit(&ready, memory_order_acquire))
		;
	printf("%d\n", payload);
	pthread_join(t, NULL);
	return 0;
}
