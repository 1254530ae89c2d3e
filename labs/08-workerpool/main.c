/* main.c: a log shipper that builds a new upload pool on every configuration reload and shuts the old one down. */
#include <stdio.h>

#include "pool.h"

#define RELOADS 3
#define WORKERS 4
#define QUEUE_CAP 2
#define BATCHES 10

/* One batch of log lines to compress and upload; each job writes only its own batch. */
struct batch {
	unsigned long first_line;
	unsigned long checksum;
};

static struct batch batches[BATCHES];

/* Stands in for compressing and uploading a batch. */
static void upload(void *arg)
{
	struct batch *b = arg;

	b->checksum = 0;
	for (unsigned long line = b->first_line; line < b->first_line + 1000; line++)
		b->checksum = b->checksum * 31 + line;
}

int main(void)
{
	for (int reload = 0; reload < RELOADS; reload++) {
		/* A reload: the new configuration gets a fresh pool, sized as it says. */
		struct pool *p = pool_new(WORKERS, QUEUE_CAP);
		unsigned long sum = 0;

		for (int i = 0; i < BATCHES; i++) {
			batches[i].first_line = (unsigned long)(reload * BATCHES + i) * 1000;
			pool_submit(p, upload, &batches[i]);
		}
		/* The old configuration is retired: its pool must finish its uploads and go away. */
		pool_shutdown(p);
		for (int i = 0; i < BATCHES; i++)
			sum += batches[i].checksum;
		printf("reload %d: %d batches uploaded, checksum %lx\n", reload, BATCHES, sum);
	}
	return 0;
}
