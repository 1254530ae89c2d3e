/* tc_exit_in_thread.c: a child for test_threadcheck: a worker calls exit() while another
 * worker waits on a condition variable forever: the caller of exit() counts as "main" and
 * is not reported, the stuck worker is. */
#include <pthread.h>
#include <stdlib.h>
#include <semaphore.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready; /* never set */
static sem_t parked;

static void *stuck(void *arg)
{
	pthread_mutex_lock(&mu);
	sem_post(&parked);
	while (!ready)
		pthread_cond_wait(&cv, &mu); /* @wait */
	pthread_mutex_unlock(&mu);
	return arg;
}

static void *quitter(void *arg)
{
	(void)arg;
	sem_wait(&parked);
	exit(0);
}

int main(void)
{
	pthread_t a, b;

	sem_init(&parked, 0, 0);
	if (pthread_create(&a, NULL, stuck, NULL) != 0) /* @create-stuck */
		return 2;
	if (pthread_create(&b, NULL, quitter, NULL) != 0)
		return 2;
	for (;;)
		pthread_join(b, NULL); /* exit() in b ends the process before this returns */
}
