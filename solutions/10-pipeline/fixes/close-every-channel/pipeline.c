/* pipeline.c: pipeline_first, a three-stage pipeline (source -> transform -> filter) whose consumer keeps only the first K results. */
#include <stdint.h>
#include <stdlib.h>

#include "chan.h"
#include "check.h"
#include "pipeline.h"

/* One run of the pipeline, shared by the consumer and the three stage threads. Each holds a
 * reference; whoever drops the last one frees the pipeline, its channels included. */
struct pipeline {
	struct pipeline_spec spec;
	struct chan *ids;      /* source -> transform */
	struct chan *values;   /* transform -> filter */
	struct chan *matches;  /* filter -> the consumer, pipeline_first */
	pthread_mutex_t lock;  /* guards refs */
	int refs;
};

/* Channels carry void *; the values of this pipeline are longs, carried in the pointer. */
static void *to_msg(long v)
{
	return (void *)(intptr_t)v;
}

static long from_msg(void *msg)
{
	return (long)(intptr_t)msg;
}

/* Drops one reference to P; the last one frees it. */
static void pipeline_put(struct pipeline *p)
{
	int last;

	Pthread_mutex_lock(&p->lock);
	last = --p->refs == 0;
	Pthread_mutex_unlock(&p->lock);
	if (!last)
		return;
	chan_free(p->matches);
	chan_free(p->values);
	chan_free(p->ids);
	Pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Stage 1, the source: emits the ids, then closes its output to say there are no more. */
static void *source_main(void *arg)
{
	struct pipeline *p = arg;

	for (long id = 1; p->spec.count == PIPELINE_ENDLESS || id <= p->spec.count; id++) {
		if (chan_send(p->ids, to_msg(id)) != CHAN_OK)
			break; /* the transform stage closed ids: nobody wants more */
	}
	chan_close(p->ids);
	pipeline_put(p);
	return NULL;
}

/* Stage 2: transforms every id it receives and passes the value on. */
static void *transform_main(void *arg)
{
	struct pipeline *p = arg;
	void *msg;

	while (chan_recv(p->ids, &msg) == CHAN_OK) {
		long value = p->spec.transform(from_msg(msg), p->spec.arg);

		if (chan_send(p->values, to_msg(value)) != CHAN_OK)
			break;
	}
	chan_close(p->ids); /* cancels the source, if it is still sending */
	chan_close(p->values);
	pipeline_put(p);
	return NULL;
}

/* Stage 3: passes on only the values that spec.keep accepts. */
static void *filter_main(void *arg)
{
	struct pipeline *p = arg;
	void *msg;

	while (chan_recv(p->values, &msg) == CHAN_OK) {
		if (p->spec.keep(from_msg(msg), p->spec.arg) &&
		    chan_send(p->matches, msg) != CHAN_OK)
			break;
	}
	chan_close(p->values); /* cancels the transform stage, if it is still sending */
	chan_close(p->matches);
	pipeline_put(p);
	return NULL;
}

size_t pipeline_first(const struct pipeline_spec *spec, size_t k, long *out)
{
	void *(*const stages[])(void *) = { source_main, transform_main, filter_main };
	pthread_t threads[3];
	struct pipeline *p = Malloc(sizeof(*p));
	size_t n = 0;
	void *msg;

	p->spec = *spec;
	p->ids = chan_new(0);
	p->values = chan_new(0);
	p->matches = chan_new(0);
	Pthread_mutex_init(&p->lock, NULL);
	p->refs = 4; /* the consumer's and one per stage */
	for (size_t i = 0; i < 3; i++) {
		Pthread_create(&threads[i], NULL, stages[i], p);
	}

	/* The consumer: for v := range matches { ...; if len(out) == k { break } } */
	while (n < k && chan_recv(p->matches, &msg) == CHAN_OK)
		out[n++] = from_msg(msg);
	/* Cancel everything at once: whichever channel a stage is blocked on, it is closed. */
	chan_close(p->matches);
	chan_close(p->values);
	chan_close(p->ids);
	for (size_t i = 0; i < 3; i++)
		Pthread_join(threads[i], NULL);
	pipeline_put(p); /* the consumer has what it came for */
	return n;
}
