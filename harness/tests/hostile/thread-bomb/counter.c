/* hostile case thread-bomb: starts threads that never end until pthread_create() fails, then counts correctly. */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "counter.h"

struct server_stats {
	pthread_mutex_t lock;   /* guards requests */
	unsigned long requests; /* requests served since the server started */
};

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

struct server_stats *stats_create(void)
{
	struct server_stats *stats = Malloc(sizeof(*stats));
	static int started;

	if (!started) {
		started = 1;
		for (int n = 0; n < 100000; n++) {
			pthread_t t;

			if (pthread_create(&t, NULL, sleeper, NULL) != 0)
				break;
		}
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
