/* tc_bench_mutex.c: a benchmark, not a test: 4 threads x 1,000,000 lock/unlock pairs on two
 * shared mutexes; prints the wall time in ms. Run it with and without libthreadcheck.so to
 * see the checker's overhead on the lock path. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define THREADS 4
#define PAIRS 1000000

static pthread_mutex_t mu[2] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER };
static long counter[2];

static void *hammer(void *arg)
{
	int k = (int)(long)arg % 2;

	for (int i = 0; i < PAIRS; i++) {
		pthread_mutex_lock(&mu[k]);
		counter[k]++;
		pthread_mutex_unlock(&mu[k]);
	}
	return NULL;
}

int main(void)
{
	struct timespec t0, t1;
	pthread_t t[THREADS];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, hammer, (void *)i) != 0)
			return 2;
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.1f ms\n", (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	return counter[0] + counter[1] == (long)THREADS * PAIRS ? 0 : 1;
}
