/* errgroup.c: a hand-rolled errgroup: tasks on threads, the first error cancels the others. */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "errgroup.h"

struct ctx {
	pthread_mutex_t lock; /* guards cancelled, and the group's err */
	int cancelled;        /* 1 once the group's tasks should stop */
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
	int err; /* the first error a task returned, 0 while none has failed */
	int ntasks;
	struct task tasks[ERRGROUP_MAX_TASKS];
};

int ctx_cancelled(struct ctx *ctx)
{
	int cancelled;

	Pthread_mutex_lock(&ctx->lock);
	cancelled = ctx->cancelled;
	Pthread_mutex_unlock(&ctx->lock);
	return cancelled;
}

struct errgroup *errgroup_new(struct ctx **ctx)
{
	struct errgroup *g = Malloc(sizeof(*g));

	Pthread_mutex_init(&g->ctx.lock, NULL);
	g->ctx.cancelled = 0;
	g->err = 0;
	g->ntasks = 0;
	*ctx = &g->ctx;
	return g;
}

/* The body of every task's thread: runs the task and records its error. */
static void *task_main(void *p)
{
	struct task *t = p;
	struct errgroup *g = t->group;
	int err = t->fn(&g->ctx, t->arg);

	if (err == 0)
		return NULL;
	/* Only the first failure counts, and it cancels the siblings in the same step. */
	Pthread_mutex_lock(&g->ctx.lock);
	g->err = err;
	g->ctx.cancelled = 1;
	Pthread_mutex_unlock(&g->ctx.lock);
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
	Pthread_mutex_lock(&g->ctx.lock);
	g->ctx.cancelled = 1; /* every task is done: nobody needs the context any more */
	Pthread_mutex_unlock(&g->ctx.lock);
	return g->err;
}

void errgroup_free(struct errgroup *g)
{
	Pthread_mutex_destroy(&g->ctx.lock);
	free(g);
}
