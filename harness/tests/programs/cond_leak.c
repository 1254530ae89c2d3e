/* cond_leak.c: a thread still blocked in pthread_cond_wait when main returns (a thread leak). */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int go;
static int waiting;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	waiting = 1;
	pthread_cond_broadcast(&ready);
	while (!go)
		pthread_cond_wait(&ready, &mu); /* nobody ever sets go */
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, waiter, NULL);
	pthread_detach(t);
	/* Wait until the thread is parked, so the leak is the same on every run. */
	pthread_mutex_lock(&mu);
	while (!waiting)
		pthread_cond_wait(&ready, &mu);
	pthread_mutex_unlock(&mu);
	puts("main returns while the waiter still waits");
	return 0;
}
