/* double_unlock.c: an error path unlocks a mutex that the normal path has already unlocked. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int items;

static int take(void)
{
	pthread_mutex_lock(&mu);
	int ok = items > 0;
	if (ok)
		items--;
	pthread_mutex_unlock(&mu);
	if (!ok)
		pthread_mutex_unlock(&mu); /* the error path's unlock */
	return ok;
}

static void *worker(void *arg)
{
	(void)arg;
	take();
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
	printf("%d\n", items);
	return 0;
}
