/* pipeline.h: pipeline_first, the student's function: run source -> transform -> filter on three threads and keep the first K results (lab-owned). */
#ifndef LAB10_PIPELINE_H
#define LAB10_PIPELINE_H

#include <stddef.h>

/* A source that never runs dry, like a live log: its ids go on until the consumer stops. */
#define PIPELINE_ENDLESS 0L

/* What the three stages do. The functions are called on the stage threads, one call at a
 * time per stage, and must not block for ever. */
struct pipeline_spec {
	long count;                           /* the source emits ids 1..count, or without end */
	long (*transform)(long id, void *arg); /* stage 2: turns an id into a value */
	int (*keep)(long value, void *arg);    /* stage 3: nonzero to pass the value on */
	void *arg;                             /* passed to transform and keep */
};

/* Runs the pipeline described by SPEC, one thread per stage connected by unbuffered channels,
 * and copies into OUT, in order, the first K values that come out of the filter. Returns how
 * many it copied: K, or fewer when the source ran dry first. When it returns, the three stage
 * threads have ended and nothing of the pipeline is left, however many ids the source still
 * had (even PIPELINE_ENDLESS). Aborts with file:line on out of memory or a pthread error. */
size_t pipeline_first(const struct pipeline_spec *spec, size_t k, long *out);

#endif
