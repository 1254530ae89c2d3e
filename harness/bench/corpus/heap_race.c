/* heap_race.c: a heap record handed to a worker that writes it while main reads it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct rec {
	int hits;
	int misses;
};

static void *worker(void *arg)
{
	struct rec *r = arg;
	for (int i = 0; i < 1000; i++)
		r->hits++;
	return NULL;
}

int main(void)
{
	struct rec *r = calloc(1, sizeof *r);
	pthread_t t;
	pthread_create(&t, NULL, worker, r);
	long seen = 0;
	for (int i = 0; i < 1000; i++)
		seen += r->hits;
	pthread_join(t, NULL);
	printf("%ld\n", seen);
	free(r);
	return 0;
}
