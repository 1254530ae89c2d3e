/* hostile case careful-when-small: takes the lock only for a workload as small as main.c's
 * (20000 requests per handler), which is all the detectors used to watch; the tests' bigger
 * workload runs unlocked. */
#include <stdlib.h>

#include "check.h"
#include "counter.h"

struct server_stats {
	pthread_mutex_t lock;   /* guards requests, when the work is small */
	unsigned long requests; /* requests served since the server started */
};

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
	int careful = nrequests <= 20000;

	for (unsigned long i = 0; i < nrequests; i++) {
		serve(i, arg);
		if (careful)
			Pthread_mutex_lock(&stats->lock);
		stats->requests++;
		if (careful)
			Pthread_mutex_unlock(&stats->lock);
	}
}
