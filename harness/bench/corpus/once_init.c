/* once_init.c: a table built once by pthread_once and read by every thread after it. */
#include <pthread.h>
#include <stdio.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int table[64];

static void build(void)
{
	for (int i = 0; i < 64; i++)
		table[i] = i * i;
}

static void *reader(void *arg)
{
	long sum = 0;
	pthread_once(&once, build);
	for (int i = 0; i < 64; i++)
		sum += table[i];
	*(long *)arg = sum;
	return NULL;
}

int main(void)
{
	pthread_t t[4];
	long sums[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, reader, &sums[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("%ld\n", sums[0]);
	return 0;
}
