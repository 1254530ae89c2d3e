/* search.c: count_hits, which fans a query out to every shard on worker threads and adds up
 * what they found. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "search.h"

/* Every shard we have ever measured answers within a few milliseconds. */
#define GRACE_MS 200 /* ten times what we measured, to be safe */

/* One worker's share of the query. The worker frees it. */
struct job {
	int shard;
	fetch_page_fn fetch_page;
	void *arg;
	long *hits; /* the caller's array; this worker owns hits[shard] */
};

static void *worker_main(void *p)
{
	struct job *job = p;
	long n;

	for (int page = 0; (n = job->fetch_page(job->shard, page, job->arg)) >= 0; page++)
		job->hits[job->shard] += n; // written by the worker, read by count_hits
	free(job);
	return NULL;
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

		*job = (struct job){ .shard = i, .fetch_page = fetch_page, .arg = arg, .hits = hits };
		hits[i] = 0;
		Pthread_create(&workers[i], NULL, worker_main, job);
		Pthread_detach(workers[i]); /* like a goroutine: nobody joins it */
	}

	/* time.Sleep(GRACE_MS * time.Millisecond): give the workers time to finish. */
	nanosleep(&(struct timespec){ .tv_nsec = GRACE_MS * 1000000L }, NULL);

	for (int i = 0; i < nshards; i++)
		total += hits[i]; // unprotected access
	return total;
}
