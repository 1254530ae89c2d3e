/* sem_handoff.c: a result handed from a worker to main with sem_post and sem_wait. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static sem_t done;
static int result;

static void *worker(void *arg)
{
	(void)arg;
	result = 5;
	sem_post(&done);
	return NULL;
}

int main(void)
{
	pthread_t t;
	sem_init(&done, 0, 0);
	pthread_create(&t, NULL, worker, NULL);
	sem_wait(&done);
	printf("%d\n", result);
	pthread_join(t, NULL);
	sem_destroy(&done);
	return 0;
}
