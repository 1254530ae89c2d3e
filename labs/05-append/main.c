/* main.c: a batch job fans its jobs out to worker threads that append their results to one
 * shared array, one batch of jobs at a time, and reports how many results it got back. */
#include <stdio.h>

#include "check.h"
#include "results.h"

#define NWORKERS 4
#define NBATCHES 50
#define BATCH 8UL /* jobs per batch, shared out between the workers */
#define NJOBS (NBATCHES * BATCH)

/* Stands in for the real work of a job (fetch a page, score it). */
static unsigned long work(unsigned long job, void *arg)
{
	(void)arg;
	return job * job % 1009;
}

/* One worker thread. */
struct worker {
	pthread_t thread;
	struct results *results;
	pthread_barrier_t *batch; /* every worker waits here at the start of each batch, so that
				   * the workers really overlap in every batch */
	unsigned long first;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned long b = 0; b < NBATCHES; b++) {
		Pthread_barrier_wait(w->batch);
		worker_loop(w->results, b * BATCH + w->first, (b + 1) * BATCH, NWORKERS, work, NULL);
	}
	return NULL;
}

int main(void)
{
	struct worker workers[NWORKERS];
	pthread_barrier_t batch;
	/* Room for every result up front, as Go's make([]Result, 0, len(jobs)) gives: the array
	 * never has to grow in this program. */
	struct results *results = results_new(NJOBS);
	size_t got;

	Pthread_barrier_init(&batch, NULL, NWORKERS);
	for (int i = 0; i < NWORKERS; i++) {
		workers[i] = (struct worker){ .results = results, .batch = &batch,
					      .first = (unsigned long)i };
		Pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
	}
	for (int i = 0; i < NWORKERS; i++)
		Pthread_join(workers[i].thread, NULL);
	Pthread_barrier_destroy(&batch);

	got = results_len(results);
	printf("%d workers, %d batches of %lu jobs: %zu results of %lu (%lu lost)\n", NWORKERS,
	       NBATCHES, BATCH, got, NJOBS, NJOBS - (unsigned long)got);
	results_free(results);
	/* Lost results are reported above and by the tools, not through the exit status: a
	 * non-zero exit would read as a crash. */
	return 0;
}
