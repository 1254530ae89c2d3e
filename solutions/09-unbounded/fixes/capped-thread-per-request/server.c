/* server.c: the request server: a new thread for every request, the go handle(req) of the Go service it was ported from. */
#include "server.h"

#include <errno.h>

#include "check.h"

struct server {
	struct server_config cfg;
	pthread_mutex_t lock;  /* guards inflight */
	pthread_cond_t idle;   /* inflight dropped to 0 */
	int inflight;          /* accepted requests not answered yet: the WaitGroup */
};

/* What one handler thread needs. */
struct call {
	struct server *s;
	struct request *req;
};

/* The goroutine of the Go original: handle one request, then say so. */
static void *handle_main(void *arg)
{
	struct call *c = arg;
	struct server *s = c->s;

	s->cfg.handler(c->req, s->cfg.handler_arg);
	free(c);
	Pthread_mutex_lock(&s->lock);
	if (--s->inflight == 0)
		Pthread_cond_broadcast(&s->idle);
	Pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct server *server_new(const struct server_config *cfg)
{
	struct server *s = Malloc(sizeof(*s));

	s->cfg = *cfg;
	Pthread_mutex_init(&s->lock, NULL);
	Pthread_cond_init(&s->idle, NULL);
	s->inflight = 0;
	return s;
}

int server_submit(struct server *s, struct request *req)
{
	struct call *c;
	pthread_t t;

	Pthread_mutex_lock(&s->lock);
	if (s->inflight == s->cfg.workers + s->cfg.queue_len) {
		Pthread_mutex_unlock(&s->lock);
		request_refuse(req, s->cfg.retry_after_ms);
		return -EBUSY;
	}
	s->inflight++;
	Pthread_mutex_unlock(&s->lock);
	c = Malloc(sizeof(*c));
	c->s = s;
	c->req = req;
	/* Threads are cheap, or so the port assumed: one per request, however many arrive. */
	Pthread_create(&t, NULL, handle_main, c);
	Pthread_detach(t);
	return 0;
}

void server_stop(struct server *s)
{
	Pthread_mutex_lock(&s->lock);
	while (s->inflight > 0)
		Pthread_cond_wait(&s->idle, &s->lock);
	Pthread_mutex_unlock(&s->lock);
	Pthread_cond_destroy(&s->idle);
	Pthread_mutex_destroy(&s->lock);
	free(s);
}
