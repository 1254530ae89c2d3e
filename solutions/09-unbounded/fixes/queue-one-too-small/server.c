/* server.c: the request server: a fixed pool of worker threads takes the requests from a bounded queue, and a request that finds the queue full is refused. */
#include "server.h"

#include <errno.h>

#include "chan.h"
#include "check.h"

struct server {
	struct server_config cfg;
	struct chan *queue;    /* accepted requests waiting for a worker */
	pthread_t *workers;    /* cfg.workers threads, fixed after server_new */
};

/* A worker: the for req := range queue { handle(req) } of the Go fix. */
static void *worker_main(void *arg)
{
	struct server *s = arg;
	void *req;

	while (chan_recv(s->queue, &req) == CHAN_OK)
		s->cfg.handler(req, s->cfg.handler_arg);
	return NULL;
}

struct server *server_new(const struct server_config *cfg)
{
	struct server *s = Malloc(sizeof(*s));

	s->cfg = *cfg;
	s->queue = chan_new((size_t)cfg->queue_len - 1); /* the workers take one each */
	s->workers = Malloc((size_t)cfg->workers * sizeof(*s->workers));
	for (int i = 0; i < cfg->workers; i++)
		Pthread_create(&s->workers[i], NULL, worker_main, s);
	return s;
}

int server_submit(struct server *s, struct request *req)
{
	/* The select { case queue <- req: default: refuse } of the Go fix: never wait for room. */
	if (chan_send_timed(s->queue, req, 0) != CHAN_OK) {
		request_refuse(req, s->cfg.retry_after_ms);
		return -EBUSY;
	}
	return 0;
}

void server_stop(struct server *s)
{
	/* The workers drain what is queued, then see the close and end. */
	chan_close(s->queue);
	for (int i = 0; i < s->cfg.workers; i++)
		Pthread_join(s->workers[i], NULL);
	chan_free(s->queue);
	free(s->workers);
	free(s);
}
