/* init_order.c: the creator fills the configuration right after pthread_create; a worker that
 * runs first reads it empty (order violation, depth 1, 3 threads). FIXED: fill it first. */
#include "latent.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int limit;

static void *worker(void *arg)
{
	(void)arg;
	busy(2000);
	pthread_mutex_lock(&m);
	int l = limit;
	pthread_mutex_unlock(&m);
	CHECK(l == 10, "worker saw limit %d before it was set", l);
	return NULL;
}

static void set_limit(void)
{
	pthread_mutex_lock(&m);
	limit = 10;
	pthread_mutex_unlock(&m);
}

int main(void)
{
	pthread_t t[2];
#ifdef FIXED
	set_limit();
#endif
	start_all(t, 2, worker);
#ifndef FIXED
	set_limit();
#endif
	join_all(t, 2);
	return 0;
}
