/* batcher.h: the batch processor of lab 18: worker threads gather items into batches and flush each full batch downstream. */
#ifndef LAB18_BATCHER_H
#define LAB18_BATCHER_H

#include <stddef.h>

/* The downstream write: receives N items (1 <= N <= the batch size) that are the caller's only
 * for the duration of the call. ARG is the one given to batcher_new. It may be called from
 * several workers at once. */
typedef void (*batcher_flush_fn)(const long *items, size_t n, void *arg);

struct batcher;

/* Starts NWORKERS worker threads (at least 1) sharing a queue of QUEUE_CAP items (at least 1).
 * Each worker takes items from the queue into a batch of its own and calls FLUSH(batch, n, ARG)
 * whenever its batch holds BATCH_SIZE items (at least 1). Never returns NULL: on out of memory
 * or a pthread error it prints file:line and aborts. */
struct batcher *batcher_new(int nworkers, size_t batch_size, size_t queue_cap,
			    batcher_flush_fn flush, void *arg);

/* Queues ITEM, waiting while the queue is full. Must not be called once batcher_shutdown has
 * been called. */
void batcher_submit(struct batcher *b, long item);

/* The graceful shutdown. The caller has stopped submitting (no batcher_submit runs or follows).
 * Every item submitted so far is flushed exactly once, including the items a worker holds in a
 * batch that is not full yet (that last batch is flushed short), and every worker thread ends
 * and is joined, all within TIMEOUT_MS milliseconds from the call (CLOCK_MONOTONIC). Returns 0
 * when all of that is done; B has then been freed. Returns -ETIMEDOUT, promptly, when the
 * deadline passes first (a flush is stuck downstream): B and the workers still running are then
 * abandoned, and the caller is expected to exit. Aborts with file:line on a pthread error. */
int batcher_shutdown(struct batcher *b, long timeout_ms);

#endif
