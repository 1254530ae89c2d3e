/* counter_rmw.c: each of 4 threads reads the counter in one critical section and writes the
 * incremented value in the next (lost update, depth 2, 4 threads). FIXED: one section. */
#include "latent.h"

#define N 4
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int count;

static void *bump(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	int v = count;
#ifndef FIXED
	pthread_mutex_unlock(&m);
	pthread_mutex_lock(&m);
#endif
	count = v + 1;
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	start_all(t, N, bump);
	join_all(t, N);
	CHECK(count == N, "lost update: count %d, expected %d", count, N);
	return 0;
}
