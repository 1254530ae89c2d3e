/* hostile case define-cmocka: racy, and replaces cmocka's failure functions with ones that never fail. */

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

void mock_assert(const int result, const char *const expression, const char *const file, const int line)
{
	(void)result, (void)expression, (void)file, (void)line;
}

void _fail(const char *const file, const int line)
{
	(void)file, (void)line;
}

void handler_loop(struct server_stats *stats, unsigned long nrequests, serve_fn serve, void *arg)
{
	for (unsigned long i = 0; i < nrequests; i++) {
		serve(i, arg);
		stats->requests++; // unprotected access
	}
}
