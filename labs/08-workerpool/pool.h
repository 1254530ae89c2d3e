/* pool.h: a bounded worker pool, the student's code: a fixed set of worker threads runs the jobs submitted to a queue of limited size. */
#ifndef LAB08_POOL_H
#define LAB08_POOL_H

#include <stddef.h>

/* A job: the pool calls fn(arg) on one of its worker threads. */
typedef void (*pool_job_fn)(void *arg);

struct pool;

/* Starts NWORKERS (at least 1) worker threads that take jobs from a queue holding up to
 * QUEUE_CAP (at least 1) waiting jobs. Never returns NULL: on out of memory or a pthread error
 * it prints file:line and aborts. */
struct pool *pool_new(int nworkers, size_t queue_cap);

/* Queues fn(arg) to run on a worker, waiting for room while the queue is full. Must not be
 * called during or after pool_shutdown. Aborts with file:line on a pthread error. */
void pool_submit(struct pool *p, pool_job_fn fn, void *arg);

/* Shuts P down, the way a service does when it reloads its configuration or exits: every job
 * submitted before the call still runs, and when pool_shutdown returns, all of them have
 * finished, none of P's worker threads is left, and P has been freed. Aborts with file:line on
 * a pthread error. */
void pool_shutdown(struct pool *p);

#endif
