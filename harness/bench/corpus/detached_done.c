/* detached_done.c: a detached worker reports completion under a mutex; main waits for it on a condition variable. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done, value;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	value = 3;
	done = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_create(&t, &at, worker, NULL);
	pthread_attr_destroy(&at);
	pthread_mutex_lock(&mu);
	while (!done)
		pthread_cond_wait(&cv, &mu);
	printf("%d\n", value);
	pthread_mutex_unlock(&mu);
	return 0;
}
