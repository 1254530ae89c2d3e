/* pool.c: a bounded worker pool whose jobs may submit further jobs (a build submits its runs). */
#include <pthread.h>
#include <stdlib.h>

#include "stages.h"

struct job {
	tl_job_fn fn;
	void *arg;
	struct job *next;
};

struct tl_pool {
	pthread_mutex_t mu;
	pthread_cond_t work;  /* a job was queued, or the pool is closing */
	pthread_cond_t idle;  /* queue empty and no job running */
	struct job *head, *tail;
	int running;          /* jobs being executed now */
	int closing;
	int nworkers;
	pthread_t *workers;
};

static void *worker(void *arg)
{
	struct tl_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->head == NULL && !p->closing)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->head == NULL)
			break; /* closing and drained */
		struct job *j = p->head;
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->running++;
		pthread_mutex_unlock(&p->mu);
		j->fn(j->arg);
		free(j);
		pthread_mutex_lock(&p->mu);
		p->running--;
		if (p->running == 0 && p->head == NULL)
			pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Starts WORKERS threads (at least 1). Aborts when threads cannot be created: the harness
 * cannot do anything useful without them. */
struct tl_pool *tl_pool_new(int workers)
{
	if (workers < 1)
		workers = 1;
	struct tl_pool *p = calloc(1, sizeof *p);
	TL_ASSERT(p != NULL);
	TL_ASSERT(pthread_mutex_init(&p->mu, NULL) == 0);
	TL_ASSERT(pthread_cond_init(&p->work, NULL) == 0);
	TL_ASSERT(pthread_cond_init(&p->idle, NULL) == 0);
	p->workers = calloc((size_t)workers, sizeof *p->workers);
	TL_ASSERT(p->workers != NULL);
	p->nworkers = workers;
	for (int i = 0; i < workers; i++)
		TL_ASSERT(pthread_create(&p->workers[i], NULL, worker, p) == 0);
	return p;
}

/* Queues FN(ARG) in FIFO order. May be called from a job. */
void tl_pool_submit(struct tl_pool *p, tl_job_fn fn, void *arg)
{
	struct job *j = malloc(sizeof *j);
	TL_ASSERT(j != NULL);
	j->fn = fn;
	j->arg = arg;
	j->next = NULL;
	pthread_mutex_lock(&p->mu);
	TL_ASSERT(!p->closing);
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

/* Returns once every queued job, and every job those jobs queued, has finished. */
void tl_pool_wait(struct tl_pool *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->head != NULL || p->running > 0)
		pthread_cond_wait(&p->idle, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/* Drains the queue, joins every worker and frees the pool. */
void tl_pool_free(struct tl_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->closing = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i], NULL);
	pthread_cond_destroy(&p->idle);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	free(p->workers);
	free(p);
}
