/* leak_blocked.c: a worker waits for a job that never comes; main returns without telling it. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int job;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!job)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	puts("bye");
	return 0;
}
