/* exit_cleanup_unlock.c: a thread calls pthread_exit while holding a lock that its cleanup handler releases. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int count;

static void unlock(void *m)
{
	pthread_mutex_unlock(m);
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	pthread_cleanup_push(unlock, &mu);
	count++;
	pthread_exit(NULL);
	pthread_cleanup_pop(0);
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_lock(&mu);
	printf("%d\n", count);
	pthread_mutex_unlock(&mu);
	return 0;
}
