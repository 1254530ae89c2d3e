/* barrier_phases.c: two phases separated by a barrier; each thread reads in phase 2 what another wrote in phase 1. */
#include <pthread.h>
#include <stdio.h>

#define N 4
static pthread_barrier_t phase;
static int cell[N], out[N];

static void *worker(void *arg)
{
	int me = (int)(long)arg;
	cell[me] = me + 1;
	pthread_barrier_wait(&phase);
	out[me] = cell[(me + 1) % N];
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	pthread_barrier_init(&phase, NULL, N);
	for (long i = 0; i < N; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&phase);
	printf("%d\n", out[0] + out[N - 1]);
	return 0;
}
