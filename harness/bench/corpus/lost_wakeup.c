/* lost_wakeup.c: a signal sent before the worker waits, with no predicate; main then returns without it. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *worker(void *arg)
{
	(void)arg;
	usleep(20000);
	pthread_mutex_lock(&mu);
	pthread_cond_wait(&cv, &mu); /* no predicate */
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	pthread_mutex_lock(&mu);
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	usleep(50000);
	puts("signalled");
	return 0;
}
