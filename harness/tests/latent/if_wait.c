/* if_wait.c: consumers wait with `if` instead of `while`; a broadcast for one item wakes both
 * and the second takes from an empty buffer (depth 2, 3 threads). FIXED: while. */
#include "latent.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int items, done;

static void *consumer(void *arg)
{
	(void)arg;
	busy(2000);
	pthread_mutex_lock(&m);
#ifdef FIXED
	while (items == 0 && !done)
#else
	if (items == 0 && !done)
#endif
		pthread_cond_wait(&c, &m);
	if (!done || items > 0) {
		CHECK(items > 0, "took an item from an empty buffer");
		items--;
	}
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	start_all(t, 2, consumer);
	pthread_mutex_lock(&m);
	items = 1;
	pthread_cond_broadcast(&c);
	pthread_mutex_unlock(&m);
	pthread_mutex_lock(&m);
	done = 1;
	pthread_cond_broadcast(&c);
	pthread_mutex_unlock(&m);
	join_all(t, 2);
	return 0;
}
