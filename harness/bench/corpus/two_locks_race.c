/* two_locks_race.c: each thread locks, but each a different mutex, around the same counter. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m1 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m2 = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *add(void *arg)
{
	pthread_mutex_t *m = arg;
	for (int i = 0; i < 5000; i++) {
		pthread_mutex_lock(m);
		counter++;
		pthread_mutex_unlock(m);
	}
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;
	pthread_create(&t1, NULL, add, &m1);
	pthread_create(&t2, NULL, add, &m2);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("%ld\n", counter);
	return 0;
}
