/* once_init.c: a table filled by pthread_once on first use by any of four threads (correct: no tool may report it). */
#include <pthread.h>
#include <stdio.h>

#define SIZE 64

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int table[SIZE];

static void fill_table(void)
{
	for (int i = 0; i < SIZE; i++)
		table[i] = i * i;
}

static void *worker(void *arg)
{
	long *sum = arg;
	pthread_once(&once, fill_table);
	for (int i = 0; i < SIZE; i++)
		*sum += table[i];
	return NULL;
}

int main(void)
{
	pthread_t t[4];
	long sum[4] = {0};
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, &sum[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("%ld\n", sum[0] + sum[1] + sum[2] + sum[3]);
	return 0;
}
