/* trylock_skip.c: a statistics thread skips its update when trylock finds the lock busy, so
 * an update is lost when the other thread holds it (depth 2, 2 threads). FIXED: lock. */
#include "latent.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int hits;

static void *count(void *arg)
{
	(void)arg;
#ifdef FIXED
	pthread_mutex_lock(&m);
#else
	if (pthread_mutex_trylock(&m) != 0)
		return NULL;
#endif
	hits++;
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	start_all(t, 2, count);
	join_all(t, 2);
	CHECK(hits == 2, "lost a hit: %d", hits);
	return 0;
}
