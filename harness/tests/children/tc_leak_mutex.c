/* tc_leak_mutex.c: a child for test_threadcheck: main holds a mutex that a thread then
 * blocks on, and main returns: threadcheck must report a thread leak (mutex). */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *locker(void *arg)
{
	pthread_mutex_lock(&mu); /* @wait */
	pthread_mutex_unlock(&mu);
	return arg;
}

int main(void)
{
	pthread_t t;

	pthread_mutex_lock(&mu);
	if (pthread_create(&t, NULL, locker, NULL) != 0) /* @create */
		return 2;
	printf("mutex object %p\n", (void *)&mu);
	return 0; /* returns still holding mu */
}
