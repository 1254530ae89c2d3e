/* cancel_no_cleanup.c: a waiter cancelled in pthread_cond_wait ends holding the mutex, so main blocks on it for ever. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!ready)
		pthread_cond_wait(&cv, &mu); /* no cleanup handler */
	pthread_mutex_unlock(&mu);
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
	puts("never");
	return 0;
}
