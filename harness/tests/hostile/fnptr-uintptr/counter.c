/* hostile case fnptr-uintptr: racy, and turns its own function's address into an integer to find the loader's tables from it. */
#include <stdint.h>

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

uintptr_t page;

void handler_loop(struct server_stats *stats, unsigned long nrequests, serve_fn serve, void *arg)
{
	page = (uintptr_t)&handler_loop & ~(uintptr_t)4095;
	for (unsigned long i = 0; i < nrequests; i++) {
		serve(i, arg);
		stats->requests++; // unprotected access
	}
}
