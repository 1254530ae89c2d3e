/* errgroup.c: a hand-rolled errgroup: tasks on threads, the first error cancels the others. */
#include <stdio.h>
#include <stdlib.h>

#include "chan.h"
#include "check.h"
#include "errgroup.h"

struct ctx {
	struct chan *done; /* closed once the group's tasks should stop */
};

/* One task of a group: what to run, and the thread that runs it. */
struct task {
	struct errgroup *group;
	task_fn fn;
	void *arg;
	pthread_t thread;
};

struct errgroup {
	struct ctx ctx;
	pthread_mutex_t lock; /* guards err */
	int err; /* the first error a task returned, 0 while none has failed */
	int ntasks;
	struct task tasks[ERRGROUP_MAX_TASKS];
};

int ctx_cancelled(struct ctx *ctx)
{
	void *nothing;

	/* Nothing is ever sent on done: a receive that does not time out means it is closed. */
	return chan_recv_timed(ctx->done, &nothing, 0) == CHAN_CLOSED;
}

struct errgroup *errgroup_new(struct ctx **ctx)
{
	struct errgroup *g = Malloc(sizeof(*g));

	g->ctx.done = chan_new(0);
	Pthread_mutex_init(&g->lock, NULL);
	g->err = 0;
	g->ntasks = 0;
	*ctx = &g->ctx;
	return g;
}

/* The body of every task's thread: runs the task and records its error. */
static void *task_main(void *p)
{
	struct task *t = p;
	int err = t->fn(&t->group->ctx, t->arg);

	struct errgroup *g = t->group;

	if (err == 0)
		return NULL;
	Pthread_mutex_lock(&g->lock);
	if (g->err == 0) {
		g->err = err;
		chan_close(g->ctx.done); /* cancel: every ctx_cancelled now says 1 */
	}
	Pthread_mutex_unlock(&g->lock);
	return NULL;
}

void errgroup_go(struct errgroup *g, task_fn fn, void *arg)
{
	struct task *t;

	if (g->ntasks == ERRGROUP_MAX_TASKS) {
		fprintf(stderr, "%s:%d: more than %d tasks in one group\n", __FILE__, __LINE__,
			ERRGROUP_MAX_TASKS);
		abort();
	}
	t = &g->tasks[g->ntasks++];
	*t = (struct task){ .group = g, .fn = fn, .arg = arg };
	Pthread_create(&t->thread, NULL, task_main, t);
}

int errgroup_wait(struct errgroup *g)
{
	for (int i = 0; i < g->ntasks; i++)
		Pthread_join(g->tasks[i].thread, NULL);
	chan_close(g->ctx.done); /* every task is done (closing twice changes nothing) */
	return g->err; /* every task was joined: its write happens before this read */
}

void errgroup_free(struct errgroup *g)
{
	chan_free(g->ctx.done);
	Pthread_mutex_destroy(&g->lock);
	free(g);
}
