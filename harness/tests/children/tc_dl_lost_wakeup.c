/* tc_dl_lost_wakeup.c: a child for test_threadcheck: main signals a condition variable
 * before the worker waits on it (no predicate, so the wakeup is lost), then waits on a
 * second one for the worker's answer: every thread sleeps on a condvar for ever. */
#include <pthread.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int done;

static void *worker(void *arg)
{
	pthread_mutex_lock(&mu);
	pthread_cond_wait(&go, &mu); /* @worker-wait */
	done = 1;
	pthread_cond_signal(&done_cv);
	pthread_mutex_unlock(&mu);
	return arg;
}

int main(void)
{
	pthread_t t;

	pthread_mutex_lock(&mu);
	pthread_cond_signal(&go); /* nobody waits yet: this wakeup is lost */
	if (pthread_create(&t, NULL, worker, NULL) != 0)
		return 2;
	while (!done)
		pthread_cond_wait(&done_cv, &mu); /* @main-wait */
	pthread_mutex_unlock(&mu);
	pthread_join(t, NULL);
	return 0;
}
