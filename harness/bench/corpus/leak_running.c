/* leak_running.c: a polling worker that no one stops or joins keeps running until the process ends. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static atomic_int polls;

static void *poller(void *arg)
{
	(void)arg;
	for (;;) {
		atomic_fetch_add(&polls, 1);
		usleep(1000);
	}
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, poller, NULL);
	usleep(20000);
	printf("%d\n", atomic_load(&polls) > 0);
	return 0;
}
