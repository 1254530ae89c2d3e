/* tc_registry.c: the thread registry (tc_registry.h): slots, the joined-or-detached memory,
 * the wait records' reader and the held lists. */
#include "tc_registry.h"
#include "tc_proc.h"
#include "tc_util.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct tc__thread tc__threads[TC__MAX_THREADS];
_Atomic int tc__high_water;
__thread struct tc__thread *tc__me __attribute__((tls_model("initial-exec")));

static _Atomic int tc__next_label = 1;
static _Atomic int tc__slot_hint;
static _Atomic int tc__untracked;   /* threads created while the registry was full */

#define TC__GONE 256
static struct tc__gone tc__gone[TC__GONE];
static _Atomic unsigned tc__gone_next;

const char *tc__op_name(enum tc__op op)
{
	switch (op) {
#define X(e, name)                                                                          \
	case TC__OP_##e:                                                                    \
		return name;
		TC__WAIT_OPS(X)
#undef X
	}
	return "?";
}

const char *tc__hold_obj(int mode)
{
	switch ((enum tc__hold_mode)mode) {
#define X(e, obj, call)                                                                     \
	case TC__HOLD_##e:                                                                  \
		return obj;
		TC__HOLD_MODES(X)
#undef X
	}
	return "?";
}

const char *tc__hold_call(int mode)
{
	switch ((enum tc__hold_mode)mode) {
#define X(e, obj, call)                                                                     \
	case TC__HOLD_##e:                                                                  \
		return call;
		TC__HOLD_MODES(X)
#undef X
	}
	return "?";
}

/* Raises the high-water mark to at least N slots. */
static void tc__high_water_raise(int n)
{
	int hw = atomic_load(&tc__high_water);

	while (hw < n && !atomic_compare_exchange_weak(&tc__high_water, &hw, n))
		;
}

void tc__registry_init_main(void)
{
	struct tc__thread *m = &tc__threads[0];

	m->label = 0;
	m->creator = -1;
	atomic_store(&m->self, (uintptr_t)pthread_self());
	atomic_store(&m->tid, gettid());
	atomic_store(&m->state, TC__RUNNING);
	tc__high_water_raise(1);
	tc__me = m;
}

/* Fills the fields of slot T, just claimed, for a thread that runs START(ARG), created at
 * SITE by the calling thread. */
static void tc__slot_fill(struct tc__thread *t, void *(*start)(void *), void *arg, void *site,
			  int detached)
{
	t->label = atomic_fetch_add(&tc__next_label, 1);
	t->creator = tc__me != NULL ? tc__me->label : -1;
	t->start_fn = (void *)start;
	t->create_site = site;
	t->user_start = start;
	t->user_arg = arg;
	atomic_store_explicit(&t->nheld, 0, memory_order_relaxed);
	atomic_store_explicit(&t->held_lost, 0, memory_order_relaxed);
	atomic_store(&t->self, 0);
	atomic_store(&t->tid, 0);
	atomic_store(&t->exit_caller, 0);
	t->exit_site = NULL;
	t->end_deferred = 0;
	atomic_store(&t->wait_op, TC__OP_NONE);
	for (int c = 0; c < TC__NAME_LEN; c++)
		atomic_store_explicit(&t->name[c], 0, memory_order_relaxed);
	atomic_store(&t->detached, detached);
}

struct tc__thread *tc__slot_new(void *(*start)(void *), void *arg, void *site, int detached)
{
	int hint = atomic_load_explicit(&tc__slot_hint, memory_order_relaxed);

	for (int k = 0; k < TC__MAX_THREADS; k++) {
		int i = (hint + k) % TC__MAX_THREADS;
		struct tc__thread *t = &tc__threads[i];
		int expect = TC__FREE;

		/* Slot 0 belongs to the main thread for the whole run. */
		if (i == 0)
			continue;
		/* Why a CLAIMED state: between the claim and the fill, the exit scan and the
		 * join lookup must not see the previous owner's fields as a live thread. */
		if (!atomic_compare_exchange_strong(&t->state, &expect, TC__CLAIMED))
			continue;
		tc__slot_fill(t, start, arg, site, detached);
		atomic_store(&t->state, TC__RUNNING);
		atomic_store_explicit(&tc__slot_hint, (i + 1) % TC__MAX_THREADS, memory_order_relaxed);
		tc__high_water_raise(i + 1);
		return t;
	}
	atomic_fetch_add(&tc__untracked, 1);
	return NULL;
}

int tc__registry_untracked(void)
{
	return atomic_load(&tc__untracked);
}

struct tc__thread *tc__find_self(pthread_t self)
{
	int hw = atomic_load(&tc__high_water);

	for (int i = 0; i < hw; i++) {
		struct tc__thread *t = &tc__threads[i];
		int st = atomic_load(&t->state);

		if ((st == TC__RUNNING || st == TC__FINISHED) &&
		    atomic_load(&t->self) == (uintptr_t)self)
			return t;
	}
	return NULL;
}

struct tc__thread *tc__find_tid(pid_t tid)
{
	int hw = atomic_load(&tc__high_water);

	for (int i = 0; i < hw; i++) {
		struct tc__thread *t = &tc__threads[i];

		if (atomic_load(&t->state) == TC__RUNNING && atomic_load(&t->tid) == tid)
			return t;
	}
	return NULL;
}

struct tc__thread *tc__find_label(int label)
{
	int hw = atomic_load(&tc__high_water);

	for (int i = 0; i < hw; i++)
		if (atomic_load(&tc__threads[i].state) == TC__RUNNING && tc__threads[i].label == label)
			return &tc__threads[i];
	return NULL;
}

/* Whether the kernel has a task TID in this process. tgkill looks in our thread group
 * only, so a task of another process that got the same number does not count. */
static int tc__task_exists(pid_t tid)
{
	int saved = errno;
	int exists = syscall(SYS_tgkill, (long)getpid(), (long)tid, 0L) == 0 || errno != ESRCH;

	errno = saved;
	return exists;
}

int tc__thread_gone(const struct tc__thread *t, int reuse)
{
	pid_t tid = atomic_load(&t->tid);
	int hw;

	/* No tid yet: the thread has not run its first instruction, it is not gone. */
	if (tid <= 0)
		return 0;
	if (!tc__task_exists(tid))
		return 1;
	if (!reuse)
		return 0;
	/* Two live threads never share a tid: when a thread created after T has T's tid, the
	 * kernel gave it out again after T had ended. (A task the registry does not know, such
	 * as one from a raw clone, may reuse it unseen; T then still counts as alive.) */
	hw = atomic_load(&tc__high_water);
	for (int i = 0; i < hw; i++) {
		const struct tc__thread *u = &tc__threads[i];

		if (u != t && atomic_load(&u->state) == TC__RUNNING && atomic_load(&u->tid) == tid &&
		    u->label > t->label)
			return 1;
	}
	return 0;
}

int tc__count_alive(const struct tc__thread *caller)
{
	int hw = atomic_load(&tc__high_water), n = 0;

	for (int i = 0; i < hw; i++) {
		const struct tc__thread *t = &tc__threads[i];

		if (t != caller && atomic_load(&t->state) == TC__RUNNING && !tc__thread_gone(t, 0))
			n++;
	}
	return n;
}

void tc__thread_name(struct tc__thread *t, int alive, char *buf, size_t len)
{
	char proc[TC__NAME_LEN + 1];
	size_t i;

	TC__ASSERT(len > 1);
	for (i = 0; i < TC__NAME_LEN && i + 1 < len; i++) {
		buf[i] = atomic_load_explicit(&t->name[i], memory_order_relaxed);
		if (buf[i] == '\0')
			break;
	}
	buf[i < len ? i : len - 1] = '\0';
	if (buf[0] == '\0' && alive && tc_proc_read(atomic_load(&t->tid), "comm", buf, len) == 0) {
		/* An unnamed thread inherits the process's name; only a different one was set. */
		if (tc_proc_read(0, "comm", proc, sizeof proc) == 0 && strcmp(proc, buf) == 0)
			buf[0] = '\0';
	}
	if (buf[0] == '\0') {
		buf[0] = '-';
		buf[1] = '\0';
	}
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] <= ' ' || buf[i] == 0x7f)
			buf[i] = '_';
}

void tc__registry_atfork_child(void)
{
	int hw = atomic_load(&tc__high_water);

	for (int i = 0; i < hw; i++)
		if (&tc__threads[i] != tc__me)
			atomic_store(&tc__threads[i].state, TC__FREE);
	if (tc__me != NULL) {
		atomic_store(&tc__me->tid, gettid());
		atomic_store(&tc__me->self, (uintptr_t)pthread_self());
	}
}

/* ---- threads that were joined or detached -------------------------------------------- */

/* Remembers that T was joined or detached (HOW). */
static void tc__gone_add(struct tc__thread *t, int how)
{
	uintptr_t self = atomic_load(&t->self);
	struct tc__gone *g = NULL;

	if (self == 0)
		return;
	for (int i = 0; i < TC__GONE && g == NULL; i++)
		if (atomic_load(&tc__gone[i].self) == self)
			g = &tc__gone[i];
	if (g == NULL)
		g = &tc__gone[atomic_fetch_add(&tc__gone_next, 1) % TC__GONE];
	atomic_store(&g->self, 0);
	atomic_store(&g->how, how);
	atomic_store(&g->label, t->label);
	atomic_store(&g->tid, atomic_load(&t->tid));
	atomic_store(&g->start_fn, (uintptr_t)t->start_fn);
	atomic_store(&g->create_site, (uintptr_t)t->create_site);
	atomic_store(&g->self, self);
}

struct tc__gone *tc__gone_find(pthread_t self)
{
	for (int i = 0; i < TC__GONE; i++)
		if (atomic_load(&tc__gone[i].self) == (uintptr_t)self)
			return &tc__gone[i];
	return NULL;
}

void tc__gone_forget(pthread_t self)
{
	for (int i = 0; i < TC__GONE; i++) {
		uintptr_t v = (uintptr_t)self;

		(void)atomic_compare_exchange_strong(&tc__gone[i].self, &v, 0);
	}
}

void tc__slot_release(struct tc__thread *t, int how)
{
	int expect = TC__FINISHED;

	tc__gone_add(t, how);
	(void)atomic_compare_exchange_strong(&t->state, &expect, TC__FREE);
}

/* ---- the wait record and the held list ------------------------------------------------ */

int tc__wait_read(struct tc__thread *t, struct tc__wait *out, unsigned *seq)
{
	for (int tries = 0; tries < 1000; tries++) {
		unsigned s1 = atomic_load_explicit(&t->wait_seq, memory_order_acquire);

		if (s1 & 1u)
			continue;
		out->op = (enum tc__op)atomic_load_explicit(&t->wait_op, memory_order_relaxed);
		out->obj = (void *)atomic_load_explicit(&t->wait_obj, memory_order_relaxed);
		out->site = (void *)atomic_load_explicit(&t->wait_site, memory_order_relaxed);
		out->timed = atomic_load_explicit(&t->wait_timed, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&t->wait_seq, memory_order_relaxed) == s1) {
			if (seq != NULL)
				*seq = s1;
			return 0;
		}
	}
	out->op = TC__OP_NONE;
	return -1;
}

void tc__held_add(struct tc__thread *t, const void *obj, int mode, void *site, int reentrant)
{
	int n, i = reentrant ? tc__held_find(t, obj) : -1;

	if (i >= 0) {
		int c = atomic_load_explicit(&t->held[i].count, memory_order_relaxed);

		atomic_store_explicit(&t->held[i].count, c + 1, memory_order_relaxed);
		return;
	}
	n = atomic_load_explicit(&t->nheld, memory_order_relaxed);
	if (n == TC__MAX_HELD) {
		atomic_fetch_add_explicit(&t->held_lost, 1, memory_order_relaxed);
		return;
	}
	atomic_store_explicit(&t->held[n].obj, (uintptr_t)obj, memory_order_relaxed);
	atomic_store_explicit(&t->held[n].site, (uintptr_t)site, memory_order_relaxed);
	atomic_store_explicit(&t->held[n].count, 1, memory_order_relaxed);
	atomic_store_explicit(&t->held[n].mode, mode, memory_order_relaxed);
	/* Release: a reader that sees the new count sees the entry's fields. */
	atomic_store_explicit(&t->nheld, n + 1, memory_order_release);
}

/* Copies held entry S of a thread into D (both its own: relaxed). */
static void tc__held_copy(struct tc__held *d, struct tc__held *s)
{
	atomic_store_explicit(&d->obj, atomic_load_explicit(&s->obj, memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&d->site, atomic_load_explicit(&s->site, memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&d->count, atomic_load_explicit(&s->count, memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&d->mode, atomic_load_explicit(&s->mode, memory_order_relaxed),
			      memory_order_relaxed);
}

__attribute__((noinline)) int tc__held_drop(struct tc__thread *t, const void *obj, int all,
					    uintptr_t *site)
{
	int i = tc__held_find(t, obj), n, c;

	if (i < 0)
		return 0;
	c = atomic_load_explicit(&t->held[i].count, memory_order_relaxed);
	if (site != NULL)
		*site = atomic_load_explicit(&t->held[i].site, memory_order_relaxed);
	if (c > 1 && !all) {
		atomic_store_explicit(&t->held[i].count, c - 1, memory_order_relaxed);
		return 1;
	}
	n = atomic_load_explicit(&t->nheld, memory_order_relaxed);
	for (int k = i; k + 1 < n; k++)
		tc__held_copy(&t->held[k], &t->held[k + 1]);
	atomic_store_explicit(&t->nheld, n - 1, memory_order_release);
	return c;
}

struct tc__thread *tc__holder(const struct tc__thread *me, const void *obj, pid_t owner,
			      void **site)
{
	int hw = atomic_load(&tc__high_water);

	*site = NULL;
	for (int i = 0; i < hw; i++) {
		struct tc__thread *t = &tc__threads[i];
		int n = atomic_load_explicit(&t->nheld, memory_order_acquire);

		if (t == me || atomic_load(&t->state) != TC__RUNNING)
			continue;
		for (int k = 0; k < n && k < TC__MAX_HELD; k++)
			if (atomic_load_explicit(&t->held[k].obj, memory_order_relaxed) ==
			    (uintptr_t)obj) {
				*site = (void *)atomic_load_explicit(&t->held[k].site,
								     memory_order_relaxed);
				return t;
			}
	}
	return owner != 0 ? tc__find_tid(owner) : NULL;
}
