/* tc_unjoined.c: a child for test_threadcheck: a joinable thread finishes and main returns
 * without joining it: threadcheck must report an unjoined thread. */
#include <pthread.h>
#include <semaphore.h>

static sem_t done;

static void *quick(void *arg)
{
	sem_post(&done);
	return arg;
}

int main(void)
{
	pthread_t t;

	sem_init(&done, 0, 0);
	if (pthread_create(&t, NULL, quick, NULL) != 0) /* @create */
		return 2;
	sem_wait(&done);
	return 0; /* t is never joined */
}
