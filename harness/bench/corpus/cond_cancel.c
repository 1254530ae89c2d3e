/* cond_cancel.c: a waiter cancelled inside pthread_cond_wait releases the mutex in a cleanup handler. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

static void unlock(void *m)
{
	pthread_mutex_unlock(m);
}

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	pthread_cleanup_push(unlock, &mu);
	while (!ready)
		pthread_cond_wait(&cv, &mu);
	pthread_cleanup_pop(1);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, waiter, NULL);
	usleep(50000);
	pthread_cancel(t);
	pthread_join(t, NULL);
	pthread_mutex_lock(&mu);
	ready = 1;
	pthread_mutex_unlock(&mu);
	puts("done");
	return 0;
}
