/* try_join.c: a worker polled with pthread_tryjoin_np until it has finished. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int result;

static void *worker(void *arg)
{
	(void)arg;
	usleep(20000);
	result = 9;
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	while (pthread_tryjoin_np(t, NULL) != 0)
		usleep(1000);
	printf("%d\n", result);
	return 0;
}
