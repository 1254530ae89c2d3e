/* search.c: count_hits, which fans a query out to every shard on worker threads and adds up
 * what they found. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

#include "check.h"
#include "search.h"

/* One worker's share of the query. The worker frees it. */
struct job {
	int shard;
	fetch_page_fn fetch_page;
	void *arg;
};

static void *worker_main(void *p)
{
	struct job *job = p;
	long n, mine = 0;

	for (int page = 0; (n = job->fetch_page(job->shard, page, job->arg)) >= 0; page++)
		mine += n;
	free(job);
	return (void *)(intptr_t)mine; /* the joiner receives it */
}

long count_hits(int nshards, fetch_page_fn fetch_page, void *arg, long *hits)
{
	pthread_t workers[MAX_SHARDS];
	long total = 0;

	if (nshards < 0 || nshards > MAX_SHARDS) {
		fprintf(stderr, "%s:%d: count_hits: %d shards (0 .. %d allowed)\n", __FILE__,
			__LINE__, nshards, MAX_SHARDS);
		abort();
	}
	for (int i = 0; i < nshards; i++) {
		struct job *job = Malloc(sizeof(*job));

		*job = (struct job){ .shard = i, .fetch_page = fetch_page, .arg = arg };
		Pthread_create(&workers[i], NULL, worker_main, job);
	}
	for (int i = 0; i < nshards; i++) {
		void *result;

		Pthread_join(workers[i], &result);
		hits[i] = (long)(intptr_t)result;
		total += hits[i];
	}
	return total;
}
