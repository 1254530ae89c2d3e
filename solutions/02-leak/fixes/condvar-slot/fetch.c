/* fetch.c: fetch_with_timeout, which asks a slow backend for a value on a helper thread and stops waiting at a deadline. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "fetch.h"

/* One fetch, shared by the caller and its helper thread. Each holds a reference; whoever drops
 * the last one frees the request. */
struct request {
	fetch_backend_fn backend;
	void *arg;
	long answer;          /* written by the helper under lock, before done */
	int done;             /* 1 once answer holds the backend's answer */
	pthread_mutex_t lock; /* guards answer, done and refs */
	pthread_cond_t answered;
	int refs;
};

/* Drops one reference to REQ; the last one frees it, its channel included. */
static void request_put(struct request *req)
{
	int last;

	Pthread_mutex_lock(&req->lock);
	last = --req->refs == 0;
	Pthread_mutex_unlock(&req->lock);
	if (!last)
		return;
	Pthread_cond_destroy(&req->answered);
	Pthread_mutex_destroy(&req->lock);
	free(req);
}

/* The helper thread: the go func() { ch <- fetch() }() of the Go original. */
static void *helper_main(void *p)
{
	struct request *req = p;

	long answer = req->backend(req->arg); /* slow: may take longer than the caller waits */

	Pthread_mutex_lock(&req->lock);
	req->answer = answer;
	req->done = 1;
	Pthread_cond_signal(&req->answered); /* never waits: the helper always gets to finish */
	Pthread_mutex_unlock(&req->lock);
	request_put(req);
	return NULL;
}

int fetch_with_timeout(fetch_backend_fn backend, void *arg, long timeout_ms, long *result)
{
	struct request *req = Malloc(sizeof(*req));
	pthread_t helper;
	pthread_condattr_t attr;
	struct timespec deadline;
	int status = 0;

	req->backend = backend;
	req->arg = arg;
	req->answer = 0;
	req->done = 0;
	Pthread_mutex_init(&req->lock, NULL);
	CHECK_PT(pthread_condattr_init(&attr));
	CHECK_PT(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
	Pthread_cond_init(&req->answered, &attr);
	CHECK_PT(pthread_condattr_destroy(&attr));
	CHECK_PT(clock_gettime(CLOCK_MONOTONIC, &deadline) != 0 ? errno : 0);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	req->refs = 2; /* the caller's and the helper's */
	Pthread_create(&helper, NULL, helper_main, req);
	Pthread_detach(helper); /* fire and forget, like a goroutine: nobody joins it */

	/* The select { case r := <-ch: ... case <-time.After(d): ... } of the Go original. */
	Pthread_mutex_lock(&req->lock);
	while (!req->done && status != ETIMEDOUT) {
		status = pthread_cond_timedwait(&req->answered, &req->lock, &deadline);
		if (status != ETIMEDOUT)
			CHECK_PT(status);
	}
	if (req->done)
		*result = req->answer;
	status = req->done ? 0 : -ETIMEDOUT;
	Pthread_mutex_unlock(&req->lock);
	request_put(req);
	return status;
}
