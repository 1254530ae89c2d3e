/* pool.c: a bounded worker pool: NWORKERS threads take jobs from a ring buffer guarded by one mutex and two condition variables. */
#include "pool.h"

#include "check.h"

#include <unistd.h>

struct job {
	pool_job_fn fn;
	void *arg;
};

struct pool {
	pthread_mutex_t lock;     /* guards every field below except workers and nworkers */
	pthread_cond_t nonempty;  /* a job was queued, or the queue was closed */
	pthread_cond_t nonfull;   /* a slot of the queue was freed */
	pthread_cond_t idle;      /* pending dropped to 0 */
	struct job *queue;        /* ring of cap jobs, the oldest at head */
	size_t cap;
	size_t head;
	size_t len;
	int pending;              /* jobs submitted and not finished yet: the WaitGroup */
	int closed;               /* set by pool_shutdown: no job will be submitted any more */
	pthread_t *workers;       /* fixed after pool_new */
	int nworkers;
};

/* A worker thread: the for job := range jobs { job() } of the Go original. */
static void *worker_main(void *arg)
{
	struct pool *p = arg;
	struct job job;

	for (;;) {
		Pthread_mutex_lock(&p->lock);
		while (p->len == 0) {
			Pthread_cond_wait(&p->nonempty, &p->lock); /* an idle worker waits here */
			if (p->len == 0 && p->closed) {
				/* Woken by the close, with nothing left: the range loop ends. */
				Pthread_mutex_unlock(&p->lock);
				return NULL;
			}
		}
		job = p->queue[p->head];
		p->head = (p->head + 1) % p->cap;
		p->len--;
		Pthread_cond_signal(&p->nonfull);
		Pthread_mutex_unlock(&p->lock);

		job.fn(job.arg);

		Pthread_mutex_lock(&p->lock);
		if (--p->pending == 0)
			Pthread_cond_broadcast(&p->idle);
		Pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

struct pool *pool_new(int nworkers, size_t queue_cap)
{
	struct pool *p = Malloc(sizeof(*p));

	Pthread_mutex_init(&p->lock, NULL);
	Pthread_cond_init(&p->nonempty, NULL);
	Pthread_cond_init(&p->nonfull, NULL);
	Pthread_cond_init(&p->idle, NULL);
	p->queue = Malloc(queue_cap * sizeof(*p->queue));
	p->cap = queue_cap;
	p->head = 0;
	p->len = 0;
	p->pending = 0;
	p->closed = 0;
	p->workers = Malloc((size_t)nworkers * sizeof(*p->workers));
	p->nworkers = nworkers;
	for (int i = 0; i < nworkers; i++)
		Pthread_create(&p->workers[i], NULL, worker_main, p);
	return p;
}

void pool_submit(struct pool *p, pool_job_fn fn, void *arg)
{
	Pthread_mutex_lock(&p->lock);
	while (p->len == p->cap)
		Pthread_cond_wait(&p->nonfull, &p->lock);
	p->queue[(p->head + p->len) % p->cap] = (struct job){fn, arg};
	p->len++;
	p->pending++;
	Pthread_cond_signal(&p->nonempty);
	Pthread_mutex_unlock(&p->lock);
}

void pool_shutdown(struct pool *p)
{
	/* The wg.Wait() of the Go original: every job submitted so far has finished. */
	Pthread_mutex_lock(&p->lock);
	while (p->pending > 0)
		Pthread_cond_wait(&p->idle, &p->lock);
	Pthread_mutex_unlock(&p->lock);
	/* Give every worker time to get back to its wait, then wake them all with the close. */
	usleep(10 * 1000);
	Pthread_mutex_lock(&p->lock);
	p->closed = 1;
	Pthread_cond_broadcast(&p->nonempty);
	Pthread_mutex_unlock(&p->lock);
	/* The wait for the workers themselves: once they are all joined, nobody uses P. */
	for (int i = 0; i < p->nworkers; i++)
		Pthread_join(p->workers[i], NULL);
	Pthread_cond_destroy(&p->idle);
	Pthread_cond_destroy(&p->nonfull);
	Pthread_cond_destroy(&p->nonempty);
	Pthread_mutex_destroy(&p->lock);
	free(p->queue);
	free(p->workers);
	free(p);
}
