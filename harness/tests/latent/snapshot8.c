/* snapshot8.c: 8 threads add to a total through a snapshot taken in one critical section and
 * written back in the next (lost update, depth 2, 8 threads). FIXED: one section. */
#include "latent.h"

#define N 8
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static long total;

static void *add(void *arg)
{
	long mine = (long)arg + 1;
	pthread_mutex_lock(&m);
	long snap = total;
#ifndef FIXED
	pthread_mutex_unlock(&m);
	pthread_mutex_lock(&m);
#endif
	total = snap + mine;
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	start_all(t, N, add);
	join_all(t, N);
	CHECK(total == N * (N + 1) / 2, "total %ld, expected %d", total, N * (N + 1) / 2);
	return 0;
}
