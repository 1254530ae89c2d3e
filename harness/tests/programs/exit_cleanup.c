/* exit_cleanup.c: a thread leaves through pthread_exit with a lock held that its cleanup handler releases (analyze: clean under threadcheck). */
#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int done;

static void release(void *mutex)
{
	pthread_mutex_unlock(mutex);
}

static void *worker(void *arg)
{
	pthread_mutex_lock(&lock);
	pthread_cleanup_push(release, &lock);
	done = 1;
	pthread_exit(arg);
	pthread_cleanup_pop(0);
	return arg;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
	return done == 1 ? 0 : 1;
}
