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
	pthread_t closer;
	pthread_mutex_t lock; /* guards running */
	pthread_cond_t done;  /* running dropped to 0 */
	size_t running;
};

/* The forwarding thread: for v := range in { out <- v }. */
static void *forward_main(void *arg)
{
	struct forwarder *f = arg;
	void *v;

	while (chan_recv(f->in, &v) == CHAN_OK)
		chan_send(f->m->out, v); /* waits until the consumer takes it */
	Pthread_mutex_lock(&f->m->lock); /* wg.Done() */
	if (--f->m->running == 0)
		Pthread_cond_signal(&f->m->done);
	Pthread_mutex_unlock(&f->m->lock);
	return NULL;
}

/* The closer: waits for every forwarder to end, then closes the merged channel, since no value
 * can follow; Go's go func() { wg.Wait(); close(out) }(). */
static void *close_main(void *arg)
{
	struct merge *m = arg;

	Pthread_mutex_lock(&m->lock); /* wg.Wait() */
	while (m->running > 0)
		Pthread_cond_wait(&m->done, &m->lock);
	Pthread_mutex_unlock(&m->lock);
	chan_close(m->out);
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
	Pthread_cond_init(&m->done, NULL);
	m->running = n;
	for (size_t i = 0; i < n; i++) {
		m->fw[i].m = m;
		m->fw[i].in = inputs[i];
		Pthread_create(&m->fw[i].thread, NULL, forward_main, &m->fw[i]);
	}
	Pthread_create(&m->closer, NULL, close_main, m);
	return m;
}

struct chan *merge_output(const struct merge *m)
{
	return m->out;
}

void merge_free(struct merge *m)
{
	Pthread_join(m->closer, NULL);
	for (size_t i = 0; i < m->n; i++)
		Pthread_join(m->fw[i].thread, NULL);
	Pthread_cond_destroy(&m->done);
	Pthread_mutex_destroy(&m->lock);
	chan_free(m->out);
	free(m->fw);
	free(m);
}
