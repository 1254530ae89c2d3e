/* race.c: two threads increment one counter with no synchronisation (analyze must say race). */
#include <pthread.h>
#include <stdio.h>

static long hits;

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100000; i++)
		hits++; /* unprotected access */
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	pthread_create(&a, NULL, worker, NULL);
	pthread_create(&b, NULL, worker, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("hits = %ld\n", hits);
	return 0;
}
