/* detach_joined.c: a thread is joined, then detached (analyze: misuse under threadcheck). */
#include <pthread.h>
#include <stdio.h>

static void *worker(void *arg)
{
	return arg;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
	printf("detach returned %d\n", pthread_detach(t)); /* the handle is stale */
	return 0;
}
