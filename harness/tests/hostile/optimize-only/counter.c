/* hostile case optimize-only: racy, and hides the race from TSan only in optimised builds (the scan used to compile without -O). */
#include <stdlib.h>

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

#ifdef __OPTIMIZE__
__attribute__((no_sanitize("thread")))
#endif
void handler_loop(struct server_stats *stats, unsigned long nrequests, serve_fn serve, void *arg)
{
	for (unsigned long i = 0; i < nrequests; i++) {
		serve(i, arg);
		stats->requests++; // unprotected access
	}
}
