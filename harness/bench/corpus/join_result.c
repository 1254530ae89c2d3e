/* join_result.c: each worker fills its own slot; main reads the slots after joining them. */
#include <pthread.h>
#include <stdio.h>

static long slot[4];

static void *work(void *arg)
{
	long i = (long)arg;
	slot[i] = i * 10;
	return NULL;
}

int main(void)
{
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, work, (void *)i);
	long sum = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		sum += slot[i];
	}
	printf("%ld\n", sum);
	return 0;
}
