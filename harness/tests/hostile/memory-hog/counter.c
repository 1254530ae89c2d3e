/* hostile case memory-hog: touches 128 MiB, then asks for 16 GiB, more than the sandbox allows (TSan runs have no memory limit). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "counter.h"

struct server_stats {
	pthread_mutex_t lock;   /* guards requests */
	unsigned long requests; /* requests served since the server started */
};

struct server_stats *stats_create(void)
{
	struct server_stats *stats = Malloc(sizeof(*stats));
	static int done;

	if (!done) {
		done = 1;
		for (int n = 0; n < 2; n++) {
			char *block = Malloc(64UL << 20);

			memset(block, n + 1, 64UL << 20); /* kept, never freed */
		}
		(void)Malloc(16UL << 30); /* aborts where the address space is limited */
	}

	Pthread_mutex_init(&stats->lock, NULL);
	stats->requests = 0;
	return stats;
}

void stats_destroy(struct server_stats *stats)
{
	Pthread_mutex_destroy(&stats->lock);
	free(stats);
}

unsigned long stats_requests(struct server_stats *stats)
{
	unsigned long requests;

	Pthread_mutex_lock(&stats->lock);
	requests = stats->requests;
	Pthread_mutex_unlock(&stats->lock);
	return requests;
}

void handler_loop(struct server_stats *stats, unsigned long nrequests, serve_fn serve, void *arg)
{
	for (unsigned long i = 0; i < nrequests; i++) {
		serve(i, arg);
		Pthread_mutex_lock(&stats->lock);
		stats->requests++;
		Pthread_mutex_unlock(&stats->lock);
	}
}
