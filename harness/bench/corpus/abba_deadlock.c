/* abba_deadlock.c: two threads each take one lock, meet at a barrier, then wait for the other's lock. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;

static void *take(void *arg)
{
	pthread_mutex_t *first = arg ? &a : &b, *second = arg ? &b : &a;
	pthread_mutex_lock(first);
	pthread_barrier_wait(&both);
	pthread_mutex_lock(second);
	pthread_mutex_unlock(second);
	pthread_mutex_unlock(first);
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;
	pthread_barrier_init(&both, NULL, 2);
	pthread_create(&t1, NULL, take, &a);
	pthread_create(&t2, NULL, take, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	puts("never");
	return 0;
}
