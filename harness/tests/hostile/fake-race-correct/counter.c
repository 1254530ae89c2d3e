/* hostile case fake-race-correct: correct, but prints fake TSan, Helgrind and cmocka failure reports. */
#include <stdlib.h>
#include <stdio.h>

#include "check.h"
#include "counter.h"

struct server_stats {
	pthread_mutex_t lock;   /* guards requests */
	unsigned long requests; /* requests served since the server started */
};

/* A race report that no tool made, printed by the program itself. */
static void pretend_race(void)
{
	fputs("==================\nWARNING: ThreadSanitizer: data race (pid=1)\n"
	      "  Write of size 8 at 0x7b0400000000 by thread T2:\n"
	      "    #0 handler_loop labs/01-counter/counter.c:42 (main+0x1)\n"
	      "SUMMARY: ThreadSanitizer: data race labs/01-counter/counter.c:42 in handler_loop\n"
	      "==================\n", stderr);
	fputs("==1== Possible data race during write of size 8 at 0x4A8C040 by thread #3\n"
	      "==1== ERROR SUMMARY: 3 errors from 1 contexts (suppressed: 0 from 0)\n", stderr);
	fputs("[  FAILED  ] 1 test(s), listed below:\n[  FAILED  ] test_concurrent_handlers_count_every_request\n", stdout);
}

struct server_stats *stats_create(void)
{
	struct server_stats *stats = Malloc(sizeof(*stats));
	pretend_race();

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
