/* batcher.c: a batch processor: worker threads take items from a bounded queue, gather them into batches and flush each full batch downstream. */
#include "batcher.h"

#include <errno.h>
#include <time.h>

#include "check.h"

/* One worker thread and the batch it is filling. Only that thread touches batch and n. */
struct worker {
	pthread_t thread;
	struct batcher *b;
	long *batch; /* batch_size slots */
	size_t n;    /* items in batch */
};

struct batcher {
	pthread_mutex_t lock;    /* guards every field below up to workers */
	pthread_cond_t nonempty; /* an item was queued, or the queue was closed */
	pthread_cond_t nonfull;  /* a slot of the queue was freed */
	pthread_cond_t changed;  /* the queue ran empty, or a worker returned; CLOCK_MONOTONIC */
	long *queue;             /* ring of cap items, the oldest at head */
	size_t cap;
	size_t head;
	size_t len;
	int closed;             /* set by batcher_shutdown: no item will be submitted any more */
	int running;            /* workers that have not returned yet: the WaitGroup */
	struct worker *workers; /* fixed after batcher_new, like the fields below */
	int nworkers;
	size_t batch_size;
	batcher_flush_fn flush;
	void *flush_arg;
};

/* A worker thread: the for item := range in { batch = append(batch, item); ... } of the Go
 * original. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct batcher *b = w->b;
	long item;

	for (;;) {
		Pthread_mutex_lock(&b->lock);
		while (b->len == 0 && !b->closed)
			Pthread_cond_wait(&b->nonempty, &b->lock); /* an idle worker waits here */
		if (b->len == 0) {
			/* Closed and drained: the range loop ends. */
			Pthread_mutex_unlock(&b->lock);
			break;
		}
		item = b->queue[b->head];
		b->head = (b->head + 1) % b->cap;
		b->len--;
		if (b->len == 0)
			Pthread_cond_broadcast(&b->changed);
		Pthread_cond_signal(&b->nonfull);
		Pthread_mutex_unlock(&b->lock);

		w->batch[w->n++] = item; /* the item now lives only in this worker's batch */
		if (w->n == b->batch_size) {
			b->flush(w->batch, w->n, b->flush_arg);
			w->n = 0;
		}
	}
	/* What the worker still holds goes downstream as a last, short batch. */
	if (w->n > 0)
		b->flush(w->batch, w->n, b->flush_arg);
	Pthread_mutex_lock(&b->lock);
	b->running--; /* wg.Done() */
	Pthread_cond_broadcast(&b->changed);
	Pthread_mutex_unlock(&b->lock);
	return NULL;
}

struct batcher *batcher_new(int nworkers, size_t batch_size, size_t queue_cap,
			    batcher_flush_fn flush, void *arg)
{
	struct batcher *b = Malloc(sizeof(*b));
	pthread_condattr_t attr;

	Pthread_mutex_init(&b->lock, NULL);
	Pthread_cond_init(&b->nonempty, NULL);
	Pthread_cond_init(&b->nonfull, NULL);
	CHECK_PT(pthread_condattr_init(&attr));
	CHECK_PT(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
	Pthread_cond_init(&b->changed, &attr);
	CHECK_PT(pthread_condattr_destroy(&attr));
	b->queue = Malloc(queue_cap * sizeof(*b->queue));
	b->cap = queue_cap;
	b->head = 0;
	b->len = 0;
	b->closed = 0;
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
	Pthread_mutex_lock(&b->lock);
	while (b->len == b->cap)
		Pthread_cond_wait(&b->nonfull, &b->lock);
	b->queue[(b->head + b->len) % b->cap] = item;
	b->len++;
	Pthread_cond_signal(&b->nonempty);
	Pthread_mutex_unlock(&b->lock);
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
	Pthread_mutex_lock(&b->lock);
	/* The close(in) of the Go original: every idle worker must wake up to see it. */
	b->closed = 1;
	Pthread_cond_signal(&b->nonempty);
	/* Then wg.Wait(), up to the deadline: each worker flushes what it holds and returns. */
	while (b->running > 0) {
		int rc = pthread_cond_timedwait(&b->changed, &b->lock, &deadline);

		if (rc == ETIMEDOUT && b->running > 0) {
			Pthread_mutex_unlock(&b->lock);
			return -ETIMEDOUT;
		}
		if (rc != ETIMEDOUT)
			CHECK_PT(rc);
	}
	Pthread_mutex_unlock(&b->lock);
	/* Every worker has returned, so the joins do not wait, and then nobody uses B. */
	for (int i = 0; i < b->nworkers; i++) {
		Pthread_join(b->workers[i].thread, NULL);
		free(b->workers[i].batch);
	}
	Pthread_cond_destroy(&b->changed);
	Pthread_cond_destroy(&b->nonfull);
	Pthread_cond_destroy(&b->nonempty);
	Pthread_mutex_destroy(&b->lock);
	free(b->workers);
	free(b->queue);
	free(b);
	return 0;
}
