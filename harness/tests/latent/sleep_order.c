/* sleep_order.c: main sleeps to "let the worker register first" and then reads the registry;
 * a sleep orders nothing (order violation, depth 1, 2 threads). FIXED: wait on a semaphore. */
#include "latent.h"

#include <semaphore.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static sem_t registered;
static int workers;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	workers++;
	pthread_mutex_unlock(&m);
	sem_post(&registered);
	return NULL;
}

int main(void)
{
	pthread_t t;
	sem_init(&registered, 0, 0);
	start_all(&t, 1, worker);
#ifdef FIXED
	sem_wait(&registered);
#else
	usleep(20000);
#endif
	pthread_mutex_lock(&m);
	int n = workers;
	pthread_mutex_unlock(&m);
	CHECK(n == 1, "no worker registered yet");
	join_all(&t, 1);
	return 0;
}
