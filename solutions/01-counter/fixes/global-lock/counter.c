/* counter.c: a web server's request statistics and the loop that each handler thread runs. */
#include <stdlib.h>

#include "check.h"
#include "counter.h"

struct server_stats {
	unsigned long requests; /* requests served since the server started */
};

/* One lock for every statistics object: coarser than needed, and correct. */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

struct server_stats *stats_create(void)
{
	struct server_stats *stats = Malloc(sizeof(*stats));

	stats->requests = 0;
	return stats;
}

void stats_destroy(struct server_stats *stats)
{
	free(stats);
}

unsigned long stats_requests(struct server_stats *stats)
{
	unsigned long requests;

	Pthread_mutex_lock(&stats_lock);
	requests = stats->requests;
	Pthread_mutex_unlock(&stats_lock);
	return requests;
}

void handler_loop(struct server_stats *stats, unsigned long nrequests, serve_fn serve, void *arg)
{
	for (unsigned long i = 0; i < nrequests; i++) {
		serve(i, arg);
		Pthread_mutex_lock(&stats_lock);
		stats->requests++;
		Pthread_mutex_unlock(&stats_lock);
	}
}
