/* trylock_backoff.c: the second lock is only tried; on failure the first is released and the
 * attempt starts over, so opposite orders cannot deadlock. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static int moved;

static void both(pthread_mutex_t *first, pthread_mutex_t *second)
{
	for (;;) {
		pthread_mutex_lock(first);
		if (pthread_mutex_trylock(second) == 0)
			return;
		pthread_mutex_unlock(first);
		sched_yield();
	}
}

static void *worker(void *arg)
{
	int forward = arg != NULL;
	for (int i = 0; i < 200; i++) {
		both(forward ? &a : &b, forward ? &b : &a);
		moved++;
		pthread_mutex_unlock(&a);
		pthread_mutex_unlock(&b);
	}
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;
	pthread_create(&t1, NULL, worker, &moved);
	pthread_create(&t2, NULL, worker, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("%d\n", moved);
	return 0;
}
