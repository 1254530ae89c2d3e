/* hostile case gcc-only-cast: racy, and turns a function's address into an integer only where gcc compiles it (the AST check reads clang's tree). */
#include <stdint.h>
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

static uintptr_t where;

void handler_loop(struct server_stats *stats, unsigned long nrequests, serve_fn serve, void *arg)
{
#ifndef __clang__
	where = (uintptr_t)&stats_create;
#endif
	for (unsigned long i = 0; i < nrequests; i++) {
		serve(i, arg);
		stats->requests++; // unprotected access
	}
}
