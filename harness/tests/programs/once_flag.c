/* once_flag.c: once_init.c with pthread_once replaced by an unguarded flag (racy: analyze must say race). */
#include <pthread.h>
#include <stdio.h>

#define SIZE 64

static int filled;
static int table[SIZE];

static void fill_table(void)
{
	for (int i = 0; i < SIZE; i++)
		table[i] = i * i; /* unprotected access */
}

static void *worker(void *arg)
{
	long *sum = arg;
	if (!filled) { /* unprotected access */
		fill_table();
		filled = 1;
	}
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
