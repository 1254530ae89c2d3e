/* plain_race.c: two threads increment one counter with no lock at all. */
#include <pthread.h>
#include <stdio.h>

static long counter;

static void *add(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10000; i++)
		counter++; /* unprotected */
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;
	pthread_create(&t1, NULL, add, NULL);
	pthread_create(&t2, NULL, add, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("%ld\n", counter);
	return 0;
}
