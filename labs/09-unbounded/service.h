/* service.h: the lab-owned parts of lab 09's service: requests and their replies, a gated handler, and a count of the process's threads. */
#ifndef LAB09_SERVICE_H
#define LAB09_SERVICE_H

#include <pthread.h>

/* One request and, once handled or refused, its reply. */
struct request {
	int id;
	int status;     /* 0 until answered; then 200 (handled) or 429 (refused) */
	char body[64];  /* the reply's text */
};

/* What the server runs for each accepted request, on one of its threads. ARG is the
 * configuration's handler_arg. */
typedef void (*request_handler_fn)(struct request *req, void *arg);

/* Answers REQ with status 429 and the body "too many requests, retry after N ms", N being
 * RETRY_AFTER_MS: what a client is told when the server has no room for its request. */
void request_refuse(struct request *req, long retry_after_ms);

/* A stand-in for a slow downstream call: requests wait at the gate until the driver opens it,
 * so a burst really piles up, on any machine. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t opened;
	int open;     /* guarded by lock; once 1, it stays 1 */
	int handled;  /* guarded by lock: requests answered so far */
	int waiting;  /* guarded by lock: requests waiting at the gate now */
};

#define GATE_CLOSED {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0}

/* A request_handler_fn: ARG is a struct gate. Waits until the gate is open, then answers REQ
 * with status 200. Aborts with file:line on a pthread error. */
void gated_handler(struct request *req, void *arg);

/* Opens G: every request waiting at it, and every later one, is answered. */
void gate_open(struct gate *g);

/* Waits until N requests wait at G (or more), for at most TIMEOUT_MS milliseconds. Returns 0,
 * or -1 when the time ran out first. */
int gate_wait_for_waiting(struct gate *g, int n, long timeout_ms);

/* Returns how many requests G has answered so far. */
int gate_handled(struct gate *g);

/* Returns the number of threads of this process alive now (entries of /proc/self/task), or
 * -1 if that directory cannot be read. */
int live_threads(void);

#endif
