/* sem_handoff.c: a producer hands 2 items to 2 consumers through a semaphore, but publishes
 * the item after posting; a fast consumer takes a slot not filled yet (order violation,
 * depth 2, 3 threads). FIXED: fill, then post. */
#include "latent.h"

#include <semaphore.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static sem_t full;
static int slot[2], next_take;

static void *consumer(void *arg)
{
	(void)arg;
	sem_wait(&full);
	busy(2000);
	pthread_mutex_lock(&m);
	int v = slot[next_take++];
	pthread_mutex_unlock(&m);
	CHECK(v != 0, "took an empty slot");
	return NULL;
}

static void fill(int i)
{
	pthread_mutex_lock(&m);
	slot[i] = i + 1;
	pthread_mutex_unlock(&m);
}

int main(void)
{
	pthread_t t[2];
	sem_init(&full, 0, 0);
	start_all(t, 2, consumer);
	for (int i = 0; i < 2; i++) {
#ifdef FIXED
		fill(i);
		sem_post(&full);
#else
		sem_post(&full);
		fill(i);
#endif
	}
	join_all(t, 2);
	return 0;
}
