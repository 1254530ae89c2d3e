/* tc_leak_join.c: a child for test_threadcheck: T1 waits on a semaphore nobody posts and T2
 * joins T1, so both are stuck at exit: two thread leaks (sem, join). */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static sem_t never;
static pthread_t sleeper_thread; /* written before the joiner is created */

static void *sleeper(void *arg)
{
	sem_wait(&never); /* @wait-sem */
	return arg;
}

static void *joiner(void *arg)
{
	pthread_join(sleeper_thread, NULL); /* @wait-join */
	return arg;
}

int main(void)
{
	pthread_t j;

	sem_init(&never, 0, 0);
	if (pthread_create(&sleeper_thread, NULL, sleeper, NULL) != 0) /* @create-sleeper */
		return 2;
	if (pthread_create(&j, NULL, joiner, NULL) != 0) /* @create-joiner */
		return 2;
	return 0;
}
