/* server.c: the request server: a fixed pool of worker threads takes the requests from a bounded ring of its own under one mutex, and a request that finds the ring full is refused. */
#include "server.h"

#include <errno.h>
#include <stdlib.h>

#include "check.h"

struct server {
	struct server_config cfg;
	pthread_mutex_t lock;    /* guards every field below but workers */
	pthread_cond_t nonempty; /* a request was queued, or the server is stopping */
	struct request **ring;   /* cfg.queue_len slots, the oldest at head */
	int head;
	int len;
	int stopping;            /* set by server_stop: workers leave once the ring is empty */
	pthread_t *workers;      /* cfg.workers threads, fixed after server_new */
};

static void *worker_main(void *arg)
{
	struct server *s = arg;

	for (;;) {
		struct request *req;

		Pthread_mutex_lock(&s->lock);
		while (s->len == 0 && !s->stopping)
			Pthread_cond_wait(&s->nonempty, &s->lock);
		if (s->len == 0) {
			Pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		req = s->ring[s->head];
		s->head = (s->head + 1) % s->cfg.queue_len;
		s->len--;
		Pthread_mutex_unlock(&s->lock);
		s->cfg.handler(req, s->cfg.handler_arg);
	}
}

struct server *server_new(const struct server_config *cfg)
{
	struct server *s = Malloc(sizeof(*s));

	s->cfg = *cfg;
	Pthread_mutex_init(&s->lock, NULL);
	Pthread_cond_init(&s->nonempty, NULL);
	s->ring = Malloc((size_t)cfg->queue_len * sizeof(*s->ring));
	s->head = 0;
	s->len = 0;
	s->stopping = 0;
	s->workers = Malloc((size_t)cfg->workers * sizeof(*s->workers));
	for (int i = 0; i < cfg->workers; i++)
		Pthread_create(&s->workers[i], NULL, worker_main, s);
	return s;
}

int server_submit(struct server *s, struct request *req)
{
	Pthread_mutex_lock(&s->lock);
	if (s->len == s->cfg.queue_len) {
		Pthread_mutex_unlock(&s->lock);
		request_refuse(req, s->cfg.retry_after_ms);
		return -EBUSY;
	}
	s->ring[(s->head + s->len) % s->cfg.queue_len] = req;
	s->len++;
	Pthread_cond_signal(&s->nonempty);
	Pthread_mutex_unlock(&s->lock);
	return 0;
}

void server_stop(struct server *s)
{
	Pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	Pthread_cond_broadcast(&s->nonempty); /* every idle worker must see it */
	Pthread_mutex_unlock(&s->lock);
	for (int i = 0; i < s->cfg.workers; i++)
		Pthread_join(s->workers[i], NULL);
	Pthread_cond_destroy(&s->nonempty);
	Pthread_mutex_destroy(&s->lock);
	free(s->ring);
	free(s->workers);
	free(s);
}
