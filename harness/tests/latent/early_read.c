/* early_read.c: main reads the worker's result after checking a "started" flag instead of
 * waiting for "finished" (order violation, depth 1, 2 threads). FIXED: join first. */
#include "latent.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int result;

static void *work(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	result = 42;
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_t t;
	start_all(&t, 1, work);
#ifdef FIXED
	join_all(&t, 1);
#else
	busy(5000);
#endif
	pthread_mutex_lock(&m);
	int r = result;
	pthread_mutex_unlock(&m);
	CHECK(r == 42, "read the result %d before the worker made it", r);
#ifndef FIXED
	join_all(&t, 1);
#endif
	return 0;
}
