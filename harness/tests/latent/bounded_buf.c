/* bounded_buf.c: two producers check "not full" and insert in separate critical sections;
 * both can insert into the last free slot (check-then-act, depth 2, 3 threads). FIXED: one
 * section, waiting while full. */
#include "latent.h"

#define CAP 1
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int used, produced;

static void *producer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
#ifdef FIXED
	while (used == CAP)
		pthread_cond_wait(&changed, &m);
#else
	while (used == CAP)
		pthread_cond_wait(&changed, &m);
	pthread_mutex_unlock(&m);
	pthread_mutex_lock(&m);
#endif
	used++;
	CHECK(used <= CAP, "buffer overflow: %d items in %d slots", used, CAP);
	produced++;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&m);
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (int k = 0; k < 2; k++) {
		pthread_mutex_lock(&m);
		while (used == 0)
			pthread_cond_wait(&changed, &m);
		used--;
		pthread_cond_broadcast(&changed);
		pthread_mutex_unlock(&m);
	}
	return NULL;
}

int main(void)
{
	pthread_t p[2], c;
	start_all(p, 2, producer);
	start_all(&c, 1, consumer);
	join_all(p, 2);
	join_all(&c, 1);
	return 0;
}
