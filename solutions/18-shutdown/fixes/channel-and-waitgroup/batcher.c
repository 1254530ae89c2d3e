/* batcher.c: a batch processor on the labs' channel: workers range over a channel of items, gather them into batches, flush each full batch, and flush what they hold when the channel is closed. */
#include "batcher.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "chan.h"
#include "check.h"

/* One worker thread and the batch it is filling. Only that thread touches batch and n. */
struct worker {
	pthread_t thread;
	struct batcher *b;
	long *batch; /* batch_size slots */
	size_t n;
};

struct batcher {
	struct chan *in;        /* the queue: items carried in the pointer, queue_cap deep */
	pthread_mutex_t lock;   /* guards running */
	pthread_cond_t done;    /* a worker returned; waits on CLOCK_MONOTONIC */
	int running;            /* workers that have not returned yet: the WaitGroup */
	struct worker *workers; /* fixed after batcher_new, like the fields below */
	int nworkers;
	size_t batch_size;
	batcher_flush_fn flush;
	void *flush_arg;
};

/* for item := range in { ... }; then the last, short batch; then wg.Done(). */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct batcher *b = w->b;
	void *msg;

	while (chan_recv(b->in, &msg) == CHAN_OK) {
		w->batch[w->n++] = (long)(intptr_t)msg;
		if (w->n == b->batch_size) {
			b->flush(w->batch, w->n, b->flush_arg);
			w->n = 0;
		}
	}
	if (w->n > 0)
		b->flush(w->batch, w->n, b->flush_arg);
	Pthread_mutex_lock(&b->lock);
	b->running--;
	Pthread_cond_broadcast(&b->done);
	Pthread_mutex_unlock(&b->lock);
	return NULL;
}

struct batcher *batcher_new(int nworkers, size_t batch_size, size_t queue_cap,
			    batcher_flush_fn flush, void *arg)
{
	struct batcher *b = Malloc(sizeof(*b));
	pthread_condattr_t attr;

	b->in = chan_new(queue_cap);
	Pthread_mutex_init(&b->lock, NULL);
	CHECK_PT(pthread_condattr_init(&attr));
	CHECK_PT(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
	Pthread_cond_init(&b->done, &attr);
	CHECK_PT(pthread_condattr_destroy(&attr));
	b->running = nworkers;
	b->batch_size = batch_size;
	b->flush = flush;
	b->flush_arg = arg;
	b->nworkers = nworkers;
	b->workers = Malloc((size_t)nworkers * sizeof(*b->workers));
	for (int i = 0; i < nworkers; i++) {
		struct worker *w = &b->workers[i];

		w->b = b;
		w->batch = Malloc(batch_size * sizeof(*w->batch));
		w->n = 0;
		Pthread_create(&w->thread, NULL, worker_main, w);
	}
	return b;
}

void batcher_submit(struct batcher *b, long item)
{
	chan_send(b->in, (void *)(intptr_t)item); /* waits while the queue is full */
}

/* Fills *DEADLINE with the CLOCK_MONOTONIC time TIMEOUT_MS milliseconds from now. */
static void deadline_in(struct timespec *deadline, long timeout_ms)
{
	CHECK_PT(clock_gettime(CLOCK_MONOTONIC, deadline) != 0 ? errno : 0);
	deadline->tv_sec += timeout_ms / 1000;
	deadline->tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

int batcher_shutdown(struct batcher *b, long timeout_ms)
{
	struct timespec deadline;

	deadline_in(&deadline, timeout_ms);
	/* close(in): the workers drain what is queued, flush what they hold, and return. */
	chan_close(b->in);
	Pthread_mutex_lock(&b->lock);
	while (b->running > 0) {
		int rc = pthread_cond_timedwait(&b->done, &b->lock, &deadline);

		if (rc == ETIMEDOUT && b->running > 0) {
			Pthread_mutex_unlock(&b->lock);
			return -ETIMEDOUT;
		}
		if (rc != ETIMEDOUT)
			CHECK_PT(rc);
	}
	Pthread_mutex_unlock(&b->lock);
	for (int i = 0; i < b->nworkers; i++) {
		Pthread_join(b->workers[i].thread, NULL);
		free(b->workers[i].batch);
	}
	Pthread_cond_destroy(&b->done);
	Pthread_mutex_destroy(&b->lock);
	chan_free(b->in);
	free(b->workers);
	free(b);
	return 0;
}
