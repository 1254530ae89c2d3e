/* init_twice.c: a mutex initialised again after threads have started using it. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu;
static int count;

static void *add(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	count++;
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_mutex_init(&mu, NULL);
	pthread_create(&t, NULL, add, NULL);
	pthread_join(t, NULL);
	pthread_mutex_init(&mu, NULL); /* already initialised */
	add(NULL);
	printf("%d\n", count);
	return 0;
}
