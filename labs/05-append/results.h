/* results.h: the growing array that lab 05's workers append their results to (lab-owned). */
#ifndef LAB05_RESULTS_H
#define LAB05_RESULTS_H

#include <stddef.h>

/* What one job produced. */
struct result {
	unsigned long job;   /* which job */
	unsigned long value; /* what work() returned for it */
};

/* Does one job and returns its value. ARG is the caller's. Must be safe to call from several
 * threads at once. */
typedef unsigned long (*work_fn)(unsigned long job, void *arg);

/* A growing array of results; its fields are private to results.c. */
struct results;

/* Returns a new, empty array with room for HINT results before it has to grow (0: it grows from
 * nothing), like Go's make([]Result, 0, hint). Aborts (file:line) if out of memory or on a
 * pthread error. */
struct results *results_new(size_t hint);

/* Frees R and its results. No worker may still be using it. */
void results_free(struct results *r);

/* Appends V at the end of R, growing R as needed. Several workers call it at the same time on
 * the same R. Aborts (file:line) if out of memory. */
void results_append(struct results *r, struct result v);

/* Returns how many results R holds. Only once every worker appending to R has been joined. */
size_t results_len(const struct results *r);

/* Returns R's results, results_len(R) of them, in the order they were appended. Only once every
 * worker appending to R has been joined; valid until R is freed. */
const struct result *results_items(const struct results *r);

/* The body of one worker thread: does jobs FIRST, FIRST + STRIDE, FIRST + 2 * STRIDE, ... below
 * NJOBS with WORK and appends each result to R. NWORKERS workers with FIRST = 0 .. NWORKERS-1 and
 * STRIDE = NWORKERS share out NJOBS jobs between them. STRIDE must not be 0. */
void worker_loop(struct results *r, unsigned long first, unsigned long njobs, unsigned long stride,
		 work_fn work, void *arg);

#endif
