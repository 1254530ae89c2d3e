/* merge.c: the fan-in of N channels into one, with one forwarding thread per input. */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "merge.h"

/* One forwarder: its thread and its input. */
struct forwarder {
	pthread_t thread;
	struct merge *m;
	struct chan *in;
};

struct merge {
	struct chan *out; /* the merged channel */
	size_t n;
	struct forwarder *fw; /* n of them */
	pthread_mutex_t lock; /* guards running */
	size_t running;       /* forwarders whose input is not finished yet */
};

/* The forwarding thread: for v := range in { out <- v }. */
static void *forward_main(void *arg)
{
	struct forwarder *f = arg;
	void *v;

	while (chan_recv(f->in, &v) == CHAN_OK)
		chan_send(f->m->out, v); /* waits until the consumer takes it */
	/* Its input is done. The last forwarder to get here knows no value can follow. */
	Pthread_mutex_lock(&f->m->lock);
	if (--f->m->running == 0)
		chan_close(f->m->out);
	Pthread_mutex_unlock(&f->m->lock);
	return NULL;
}

struct merge *merge_start(struct chan *const *inputs, size_t n)
{
	struct merge *m;

	if (n == 0) {
		fprintf(stderr, "%s:%d: merge_start: no inputs to merge\n", __FILE__, __LINE__);
		abort();
	}
	m = Malloc(sizeof(*m));
	m->out = chan_new(0);
	m->n = n;
	m->fw = Malloc(n * sizeof(*m->fw));
	Pthread_mutex_init(&m->lock, NULL);
	m->running = n;
	for (size_t i = 0; i < n; i++) {
		m->fw[i].m = m;
		m->fw[i].in = inputs[i];
		Pthread_create(&m->fw[i].thread, NULL, forward_main, &m->fw[i]);
	}
	return m;
}

struct chan *merge_output(const struct merge *m)
{
	return m->out;
}

void merge_free(struct merge *m)
{
	for (size_t i = 0; i < m->n; i++)
		Pthread_join(m->fw[i].thread, NULL);
	Pthread_mutex_destroy(&m->lock);
	chan_free(m->out);
	free(m->fw);
	free(m);
}
