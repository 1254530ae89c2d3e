/* hostile case many-races: eleven unprotected counters on eleven lines: more findings than GitHub shows as annotations. */
#include <stdlib.h>

#include "check.h"
#include "counter.h"

struct server_stats {
	pthread_mutex_t lock;   /* guards requests */
	unsigned long requests; /* requests served since the server started */
};

/* Shadow counters, each bumped on its own line without the lock. */
static unsigned long c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10;

struct server_stats *stats_create(void)
{
	struct server_stats *stats = Malloc(sizeof(*stats));

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
		stats->requests++; // unprotected access
		c0++;
		c1++;
		c2++;
		c3++;
		c4++;
		c5++;
		c6++;
		c7++;
		c8++;
		c9++;
		c10++;
	}
}
