/* bench_lock.c: the lock-heavy workload of `make bench`: 4 threads each take and release one of
 * MUTEXES shared mutexes (2, or 1: all four on one) ITERS times (default 1,000,000) and bump a
 * counter under it.
 *
 *   bench_lock [ITERS [MUTEXES]] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 4

static pthread_mutex_t mu[2] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER };
static long counter[2];
static long iters = 1000000;
static int nmutex = 2;

static void *hammer(void *arg)
{
	/* With two mutexes threads 0 and 2 share mu[0], 1 and 3 share mu[1]: every lock is
	 * contended by two threads. With one, by all four. */
	int k = (int)(long)arg % nmutex;

	for (long i = 0; i < iters; i++) {
		pthread_mutex_lock(&mu[k]);
		counter[k]++;
		pthread_mutex_unlock(&mu[k]);
	}
	return NULL;
}

/* Exit status: 0 when no update was lost, 1 when the count is wrong, 2 on a usage or pthread error. */
int main(int argc, char **argv)
{
	pthread_t t[THREADS];

	if (argc > 1) {
		char *end = NULL;
		iters = strtol(argv[1], &end, 10);
		if (*end != '\0' || iters < 0 || argc > 3) {
			fprintf(stderr, "usage: bench_lock [ITERS [MUTEXES]]\n");
			return 2;
		}
	}
	if (argc > 2) {
		char *end = NULL;
		nmutex = (int)strtol(argv[2], &end, 10);
		if (*end != '\0' || (nmutex != 1 && nmutex != 2)) {
			fprintf(stderr, "usage: bench_lock [ITERS [MUTEXES]]: MUTEXES is 1 or 2\n");
			return 2;
		}
	}
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, hammer, (void *)i) != 0)
			return 2;
	for (int i = 0; i < THREADS; i++)
		if (pthread_join(t[i], NULL) != 0)
			return 2;
	return counter[0] + counter[1] == THREADS * iters ? 0 : 1;
}
