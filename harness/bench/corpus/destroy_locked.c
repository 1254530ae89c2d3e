/* destroy_locked.c: a mutex destroyed while a finished worker still holds it. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	return NULL; /* returns with the lock held */
}

int main(void)
{
	pthread_t t;
	pthread_mutex_init(&mu, NULL);
	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
	pthread_mutex_destroy(&mu);
	puts("destroyed");
	return 0;
}
