/* tc_leak_cond.c: a child for test_threadcheck: a named thread waits on a condition variable
 * that nobody signals, and main returns: threadcheck must report a thread leak (cond). */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready; /* never set: the waiter is stuck for good */

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	while (!ready)
		pthread_cond_wait(&cv, &mu); /* @wait */
	pthread_mutex_unlock(&mu);
	return arg;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, waiter, NULL) != 0) /* @create */
		return 2;
	pthread_setname_np(t, "tc-waiter");
	printf("cond object %p\n", (void *)&cv);
	return 0;
}
