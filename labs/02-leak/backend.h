/* backend.h: the simulated backend of lab 02: it answers only once the driver opens its gate. */
#ifndef LAB02_BACKEND_H
#define LAB02_BACKEND_H

#include <pthread.h>

/* A backend with a gate. It lives in static storage and is never destroyed, because a helper
 * thread may still be inside backend_query when the driver has moved on. */
struct backend {
	pthread_mutex_t lock;
	pthread_cond_t opened;
	int open;    /* guarded by lock; once 1, it stays 1 */
	long answer; /* fixed at initialisation, only read afterwards */
};

/* A backend whose gate is shut: backend_query waits until backend_open is called. */
#define BACKEND_GATED(answer) {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, (answer)}
/* A backend whose gate is already open: backend_query answers at once. */
#define BACKEND_OPEN(answer) {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 1, (answer)}

/* A fetch_backend_fn: ARG is a struct backend. Waits until its gate is open, then returns its
 * answer. Aborts with file:line on a pthread error. */
long backend_query(void *arg);

/* Opens B's gate: every query waiting on it, and every later one, gets its answer. */
void backend_open(struct backend *b);

#endif
