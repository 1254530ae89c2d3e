/* rwlock_readers.c: readers share a read lock on a table that one writer updates under the write lock. */
#include <pthread.h>
#include <stdio.h>

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static int table[16];

static void *reader(void *arg)
{
	long sum = 0;
	for (int r = 0; r < 200; r++) {
		pthread_rwlock_rdlock(&rw);
		for (int i = 0; i < 16; i++)
			sum += table[i];
		pthread_rwlock_unlock(&rw);
	}
	*(long *)arg = sum;
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	for (int r = 0; r < 200; r++) {
		pthread_rwlock_wrlock(&rw);
		table[r % 16] = r;
		pthread_rwlock_unlock(&rw);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[3];
	long s1, s2;
	pthread_create(&t[0], NULL, reader, &s1);
	pthread_create(&t[1], NULL, reader, &s2);
	pthread_create(&t[2], NULL, writer, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("%ld %ld\n", s1, s2);
	return 0;
}
