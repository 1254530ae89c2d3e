/* timed_join.c: a worker joined with pthread_timedjoin_np, retried until it has finished. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int result;

static void *worker(void *arg)
{
	(void)arg;
	usleep(50000);
	result = 7;
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	for (;;) {
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_nsec += 10000000;
		if (dl.tv_nsec >= 1000000000) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000;
		}
		if (pthread_timedjoin_np(t, NULL, &dl) != ETIMEDOUT)
			break;
	}
	printf("%d\n", result);
	return 0;
}
