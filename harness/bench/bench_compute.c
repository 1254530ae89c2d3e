/* bench_compute.c: the compute-heavy workload of `make bench`: 4 threads each stir a private
 * 256 KiB table ITERS times (default 20,000,000) and take a shared lock only once per 1,000,000
 * steps to publish a checksum, so almost all the time is spent in plain loads and stores. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 4
#define TABLE (64 * 1024)
#define PUBLISH_EVERY 1000000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t checksum;
static long iters = 20000000;

static void *stir(void *arg)
{
	uint32_t *table = calloc(TABLE, sizeof *table);
	uint64_t x = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(long)arg, local = 0;

	if (table == NULL)
		abort();
	for (long i = 0; i < iters; i++) {
		/* xorshift64: a cheap pseudo-random index, so the table is touched all over. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint32_t *slot = &table[x % TABLE];
		*slot = *slot * 2654435761u + (uint32_t)i;
		local += *slot;
		if ((i + 1) % PUBLISH_EVERY == 0) {
			pthread_mutex_lock(&mu);
			checksum ^= local;
			pthread_mutex_unlock(&mu);
		}
	}
	free(table);
	return NULL;
}

/* Exit status: 0, or 2 on a usage or pthread error. The checksum is printed so the loop is kept. */
int main(int argc, char **argv)
{
	pthread_t t[THREADS];

	if (argc > 1) {
		char *end = NULL;
		iters = strtol(argv[1], &end, 10);
		if (*end != '\0' || iters < 0) {
			fprintf(stderr, "usage: bench_compute [ITERS]\n");
			return 2;
		}
	}
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, stir, (void *)i) != 0)
			return 2;
	for (int i = 0; i < THREADS; i++)
		if (pthread_join(t[i], NULL) != 0)
			return 2;
	printf("checksum %llx\n", (unsigned long long)checksum);
	return 0;
}
