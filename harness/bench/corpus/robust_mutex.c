/* robust_mutex.c: a robust mutex whose owner ends while holding it; the next locker makes it consistent. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu;
static int state;

static void *owner(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	state = 1;
	return NULL;
}

int main(void)
{
	pthread_mutexattr_t at;
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&mu, &at);
	pthread_mutexattr_destroy(&at);
	pthread_t t;
	pthread_create(&t, NULL, owner, NULL);
	pthread_join(t, NULL);
	if (pthread_mutex_lock(&mu) == EOWNERDEAD) {
		state = 0;
		pthread_mutex_consistent(&mu);
	}
	pthread_mutex_unlock(&mu);
	pthread_mutex_destroy(&mu);
	printf("%d\n", state);
	return 0;
}
