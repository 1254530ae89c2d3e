/* atomic_mp_plain.c: atomic_mp.c with the flag made a plain int (racy: analyze must say race). */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

int payload;
int ready; /* external, so that the call in the loop makes the compiler load it again */

static void *producer(void *arg)
{
	(void)arg;
	payload = 42;
	ready = 1; /* unprotected access */
	return NULL;
}

static void *consumer(void *arg)
{
	int *seen = arg;
	while (!ready) /* unprotected access */
		sched_yield();
	*seen = payload;
	return NULL;
}

int main(void)
{
	pthread_t p, c;
	int seen = 0;
	pthread_create(&c, NULL, consumer, &seen);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	printf("%d\n", seen);
	return 0;
}
