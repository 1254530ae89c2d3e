/* pool.c: a bounded worker pool built on the labs' channel: NWORKERS threads range over a channel of QUEUE_CAP jobs, and closing it ends them. */
#include "pool.h"

#include <stdlib.h>

#include "chan.h"
#include "check.h"

struct job {
	pool_job_fn fn;
	void *arg;
};

struct pool {
	struct chan *jobs;  /* the queue: a channel of struct job *, QUEUE_CAP deep */
	pthread_t *workers; /* fixed after pool_new */
	int nworkers;
};

/* A worker: for job := range jobs { job() }. The close ends the loop once the channel is
 * drained, so every job queued before the close still runs. */
static void *worker_main(void *arg)
{
	struct pool *p = arg;
	void *msg;

	while (chan_recv(p->jobs, &msg) == CHAN_OK) {
		struct job *job = msg;

		job->fn(job->arg);
		free(job);
	}
	return NULL;
}

struct pool *pool_new(int nworkers, size_t queue_cap)
{
	struct pool *p = Malloc(sizeof(*p));

	p->jobs = chan_new(queue_cap);
	p->workers = Malloc((size_t)nworkers * sizeof(*p->workers));
	p->nworkers = nworkers;
	for (int i = 0; i < nworkers; i++)
		Pthread_create(&p->workers[i], NULL, worker_main, p);
	return p;
}

void pool_submit(struct pool *p, pool_job_fn fn, void *arg)
{
	struct job *job = Malloc(sizeof(*job));

	*job = (struct job){ fn, arg };
	chan_send(p->jobs, job); /* waits for room while the queue is full */
}

void pool_shutdown(struct pool *p)
{
	/* close(jobs), then the joins: the workers drain the queue, then see the close. */
	chan_close(p->jobs);
	for (int i = 0; i < p->nworkers; i++)
		Pthread_join(p->workers[i], NULL);
	chan_free(p->jobs);
	free(p->workers);
	free(p);
}
