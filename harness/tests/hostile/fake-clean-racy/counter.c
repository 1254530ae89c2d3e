/* hostile case fake-clean-racy: racy, and prints what clean TSan, Helgrind and cmocka runs print. */
#include <stdlib.h>
#include <stdio.h>

#include "check.h"
#include "counter.h"

struct server_stats {
	pthread_mutex_t lock;   /* guards requests */
	unsigned long requests; /* requests served since the server started */
};

/* What a clean run would look like, printed by the program itself. */
static void pretend_clean(void)
{
	fputs("ThreadSanitizer: reported 0 warnings\n", stderr);
	fputs("==1== ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)\n", stderr);
	fputs("[==========] 4 test(s) run.\n[  PASSED  ] 4 test(s).\n", stdout);
}

struct server_stats *stats_create(void)
{
	struct server_stats *stats = Malloc(sizeof(*stats));
	pretend_clean();

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
