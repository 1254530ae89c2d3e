/* errgroup.h: a group of tasks that share one context; the first task to fail cancels the
 * others, and waiting for the group returns that first error (lab-owned). */
#ifndef ERRGROUP_H
#define ERRGROUP_H

/* The most tasks one group can run. */
#define ERRGROUP_MAX_TASKS 16

/* The context the tasks of a group share (Go's ctx from errgroup.WithContext). */
struct ctx;

/* Returns 1 once CTX has been cancelled, 0 before. Tasks call it between two steps of their
 * work and stop early when it says 1. Any thread may call it at any time. */
int ctx_cancelled(struct ctx *ctx);

/* One task: does its work, checking CTX between steps, and returns 0 on success or a negative
 * error code. ARG is the one given to errgroup_go. */
typedef int (*task_fn)(struct ctx *ctx, void *arg);

struct errgroup;

/* Returns a new, empty group and, in *CTX, its context, not cancelled yet. Aborts (file:line)
 * on out of memory or a pthread error. */
struct errgroup *errgroup_new(struct ctx **ctx);

/* Starts FN(ctx, ARG) on a thread of its own. The first task of the group to return an error
 * cancels the group's context at once, so that the others can stop. Only the thread that made
 * G calls this, before errgroup_wait, at most ERRGROUP_MAX_TASKS times (more aborts). */
void errgroup_go(struct errgroup *g, task_fn fn, void *arg);

/* Waits until every task of G has returned, then cancels the context (if no task did) and
 * returns the error of the first task that failed, or 0 if none did. Errors of tasks that
 * failed later are dropped. Called once, by the thread that made G. */
int errgroup_wait(struct errgroup *g);

/* Frees G and its context. errgroup_wait must have returned. */
void errgroup_free(struct errgroup *g);

#endif
