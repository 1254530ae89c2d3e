/* missing_barrier.c: 4 threads each write their cell, then read their neighbour's; without a
 * barrier between the phases a neighbour's cell may not be written yet (order violation,
 * depth 1, 4 threads). FIXED: a barrier between the phases. */
#include "latent.h"

#define N 4
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t phase;
static int cell[N];

static void *step(void *arg)
{
	long i = (long)arg;
	pthread_mutex_lock(&m);
	cell[i] = 1;
	pthread_mutex_unlock(&m);
#ifdef FIXED
	pthread_barrier_wait(&phase);
#else
	busy(5000);
#endif
	pthread_mutex_lock(&m);
	int seen = cell[(i + 1) % N];
	pthread_mutex_unlock(&m);
	CHECK(seen == 1, "thread %ld read its neighbour's cell before it was written", i);
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	pthread_barrier_init(&phase, NULL, N);
	start_all(t, N, step);
	join_all(t, N);
	pthread_barrier_destroy(&phase);
	return 0;
}
