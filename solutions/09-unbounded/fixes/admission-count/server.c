/* server.c: the request server: admission by count (at most workers + queue_len requests in flight), a list of waiting requests, and a fixed pool of workers. */
#include "server.h"

#include <errno.h>
#include <stdlib.h>

#include "check.h"

/* A request waiting for a worker. */
struct waiting {
	struct request *req;
	struct waiting *next;
};

struct server {
	struct server_config cfg;
	pthread_mutex_t lock;    /* guards every field below but workers */
	pthread_cond_t nonempty; /* a request was queued, or the server is stopping */
	int admitted;            /* requests accepted and not answered yet */
	struct waiting *first, *last;
	int stopping;
	pthread_t *workers;      /* cfg.workers threads, fixed after server_new */
};

static void *worker_main(void *arg)
{
	struct server *s = arg;

	for (;;) {
		struct waiting *w;

		Pthread_mutex_lock(&s->lock);
		while (s->first == NULL && !s->stopping)
			Pthread_cond_wait(&s->nonempty, &s->lock);
		w = s->first;
		if (w == NULL) {
			Pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		s->first = w->next;
		if (s->first == NULL)
			s->last = NULL;
		Pthread_mutex_unlock(&s->lock);
		s->cfg.handler(w->req, s->cfg.handler_arg);
		free(w);
		Pthread_mutex_lock(&s->lock);
		s->admitted--; /* answered: its place is free */
		Pthread_mutex_unlock(&s->lock);
	}
}

struct server *server_new(const struct server_config *cfg)
{
	struct server *s = Malloc(sizeof(*s));

	s->cfg = *cfg;
	Pthread_mutex_init(&s->lock, NULL);
	Pthread_cond_init(&s->nonempty, NULL);
	s->admitted = 0;
	s->first = s->last = NULL;
	s->stopping = 0;
	s->workers = Malloc((size_t)cfg->workers * sizeof(*s->workers));
	for (int i = 0; i < cfg->workers; i++)
		Pthread_create(&s->workers[i], NULL, worker_main, s);
	return s;
}

int server_submit(struct server *s, struct request *req)
{
	struct waiting *w = Malloc(sizeof(*w));

	/* A request in flight is either being handled (at most cfg.workers) or waiting (at most
	 * cfg.queue_len), so counting them admits exactly what the two limits allow. */
	Pthread_mutex_lock(&s->lock);
	if (s->admitted == s->cfg.workers + s->cfg.queue_len) {
		Pthread_mutex_unlock(&s->lock);
		free(w);
		request_refuse(req, s->cfg.retry_after_ms);
		return -EBUSY;
	}
	s->admitted++;
	*w = (struct waiting){ .req = req, .next = NULL };
	if (s->last != NULL)
		s->last->next = w;
	else
		s->first = w;
	s->last = w;
	Pthread_cond_signal(&s->nonempty);
	Pthread_mutex_unlock(&s->lock);
	return 0;
}

void server_stop(struct server *s)
{
	Pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	Pthread_cond_broadcast(&s->nonempty);
	Pthread_mutex_unlock(&s->lock);
	for (int i = 0; i < s->cfg.workers; i++)
		Pthread_join(s->workers[i], NULL);
	Pthread_cond_destroy(&s->nonempty);
	Pthread_mutex_destroy(&s->lock);
	free(s->workers);
	free(s);
}
