/* tc_clean_released.c: a child for test_threadcheck: detached workers block on a condition
 * variable, and main releases them right before it returns, so at exit they are still
 * waking up: the settle must let them finish, and threadcheck stays silent. */
#include <pthread.h>
#include <semaphore.h>

#define NW 4

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go;
static sem_t parked;

static void *worker(void *arg)
{
	pthread_mutex_lock(&mu);
	sem_post(&parked);
	while (!go)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return arg;
}

int main(void)
{
	pthread_attr_t attr;
	pthread_t t;

	sem_init(&parked, 0, 0);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < NW; i++)
		if (pthread_create(&t, &attr, worker, NULL) != 0)
			return 2;
	for (int i = 0; i < NW; i++)
		sem_wait(&parked);
	pthread_mutex_lock(&mu);
	go = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return 0;
}
