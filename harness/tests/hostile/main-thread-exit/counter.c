/* hostile case main-thread-exit: racy, and ends the main thread with pthread_exit() when stats are created, so the program stops before its work (and before any test reports) with status 0. */
#include <stdlib.h>

#include "check.h"
#include "counter.h"

struct server_stats {
	pthread_mutex_t lock;   /* guards requests */
	unsigned long requests; /* requests served since the server started */
};

struct server_stats *stats_create(void)
{
	struct server_stats *stats = Malloc(sizeof(*stats));
	pthread_exit(NULL); /* the process ends with status 0 once no thread is left */

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
	}
}
