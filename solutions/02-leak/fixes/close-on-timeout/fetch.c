/* fetch.c: fetch_with_timeout, which asks a slow backend for a value on a helper thread and stops waiting at a deadline. */
#include <errno.h>
#include <stdlib.h>

#include "chan.h"
#include "check.h"
#include "fetch.h"

/* One fetch, shared by the caller and its helper thread. Each holds a reference; whoever drops
 * the last one frees the request. */
struct request {
	fetch_backend_fn backend;
	void *arg;
	long answer;          /* written by the helper before it sends a pointer to it */
	struct chan *reply;   /* the helper's answer travels back on this channel */
	pthread_mutex_t lock; /* guards refs */
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
	chan_free(req->reply);
	Pthread_mutex_destroy(&req->lock);
	free(req);
}

/* The helper thread: the go func() { ch <- fetch() }() of the Go original. */
static void *helper_main(void *p)
{
	struct request *req = p;

	req->answer = req->backend(req->arg); /* slow: may take longer than the caller waits */
	chan_send(req->reply, &req->answer);  /* the caller takes the answer from here */
	request_put(req);
	return NULL;
}

int fetch_with_timeout(fetch_backend_fn backend, void *arg, long timeout_ms, long *result)
{
	struct request *req = Malloc(sizeof(*req));
	pthread_t helper;
	void *reply;
	int status;

	req->backend = backend;
	req->arg = arg;
	req->answer = 0;
	req->reply = chan_new(0);
	Pthread_mutex_init(&req->lock, NULL);
	req->refs = 2; /* the caller's and the helper's */
	Pthread_create(&helper, NULL, helper_main, req);
	Pthread_detach(helper); /* fire and forget, like a goroutine: nobody joins it */

	/* The select { case r := <-ch: ... case <-time.After(d): ... } of the Go original. */
	status = chan_recv_timed(req->reply, &reply, timeout_ms);
	if (status == CHAN_OK)
		*result = *(long *)reply;
	else
		chan_close(req->reply); /* nobody will receive: a late send fails instead of waiting */
	request_put(req);
	return status == CHAN_OK ? 0 : -ETIMEDOUT;
}
