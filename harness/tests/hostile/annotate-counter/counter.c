/* hostile case annotate-counter: racy, and tells Helgrind that every increment happens before the next. */
#include <valgrind/helgrind.h>

#include "check.h"
#include "counter.h"

struct server_stats {
	unsigned long requests; /* requests served since the server started */
};

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
	return stats->requests;
}

void handler_loop(struct server_stats *stats, unsigned long nrequests, serve_fn serve, void *arg)
{
	for (unsigned long i = 0; i < nrequests; i++) {
		serve(i, arg);
		ANNOTATE_HAPPENS_AFTER(&stats->requests);
		stats->requests++; // unprotected access
		ANNOTATE_HAPPENS_BEFORE(&stats->requests);
	}
}
