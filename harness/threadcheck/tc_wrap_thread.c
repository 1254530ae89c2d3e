/* tc_wrap_thread.c: the interposed thread lifecycle: creation, joins, detach, exit and names.
 * Each call behaves exactly like the real one (same return values and errno) and only adds
 * bookkeeping; a misuse that would crash glibc is reported and refused instead. */
#include "tc_deadlock.h"
#include "tc_misuse.h"
#include "tc_real.h"
#include "tc_registry.h"
#include "tc_sched.h"
#include "tc_util.h"
#include "tc_wrap.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <threads.h>
#include <unistd.h>

static pthread_key_t tc__key;
static _Atomic int tc__key_ok;

/* Marks the calling thread's record finished; a detached thread's slot is freed at once.
 * A thread that still holds locks is reported; SITE is its pthread_exit call, NULL when it
 * returned from its start routine or was cancelled. */
static void tc__finish(struct tc__thread *t, void *site)
{
	if (t == NULL || tc__me != t)
		return;
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer: a cancelled thread leaves */
		tc__sched_exit();
	if (atomic_load_explicit(&t->nheld, memory_order_relaxed) > 0) {
		struct tc__misuse_info mi = { .what = TC__MISUSE_EXIT_HOLDING_LOCK, .me = t,
					      .call = "pthread_exit", .site = site,
					      .other_label = -1 };

		tc__misuse_report(&mi);
	}
	/* From here on this thread may still run destructors; it must not write into a slot
	 * that another, newer thread may already own. */
	tc__me = NULL;
	atomic_store(&t->wait_op, TC__OP_NONE);
	atomic_store(&t->state, TC__FINISHED);
	/* Paired with pthread_detach: both store, then look at the other's flag (seq_cst), so
	 * at least one of them sees both and frees the slot. */
	if (atomic_load(&t->detached))
		tc__slot_release(t, TC__GONE_DETACHED);
}

/* Runs at a tracked thread's real end, whether it returned, called pthread_exit or was
 * cancelled: after its cleanup handlers and thread_local destructors ran, so that a lock
 * they released is not counted as held. Our key was made first, so in each round of
 * thread-specific destructors ours runs before the program's; while the thread still holds
 * a lock the verdict is put off to the last round (re-arming the key makes glibc run
 * another one), so that a program's destructor that unlocks runs first. */
static void tc__key_destructor(void *p)
{
	struct tc__thread *t = p;

	if (t != NULL && tc__me == t && atomic_load_explicit(&t->nheld, memory_order_relaxed) > 0 &&
	    t->end_deferred < PTHREAD_DESTRUCTOR_ITERATIONS - 1 &&
	    pthread_setspecific(tc__key, t) == 0) {
		t->end_deferred++;
		return;
	}
	tc__finish(t, t != NULL ? t->exit_site : NULL);
}

void tc__wrap_thread_init(void)
{
	if (pthread_key_create(&tc__key, tc__key_destructor) == 0)
		atomic_store(&tc__key_ok, 1);
}

/* The start routine every tracked thread really runs: it completes the slot ARG from inside
 * the new thread, runs the user's routine and marks the slot finished. */
static void *tc__trampoline(void *arg)
{
	struct tc__thread *t = arg;
	void *ret;
	int keyed;

	tc__me = t;
	atomic_store(&t->self, (uintptr_t)pthread_self());
	atomic_store(&t->tid, gettid());
	/* Here, not in pthread_create: a quick detached thread may be gone (and remembered)
	 * before its creator returns. */
	tc__gone_forget(pthread_self());
	/* The key's destructor marks the thread finished however it leaves (a return,
	 * pthread_exit, cancellation), once its cleanup handlers and destructors have run
	 * (tc__key_destructor). Only without the key is it done here, after a return. */
	keyed = atomic_load(&tc__key_ok) && pthread_setspecific(tc__key, t) == 0;
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer: wait for the first turn */
		tc__sched_start(t);
	ret = t->user_start(t->user_arg);
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer: give up the turn */
		tc__sched_exit();
	if (!keyed)
		tc__finish(t, NULL);
	return ret;
}

/* When the registry is full the thread simply goes untracked. */
int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
		   void *arg)
{
	void *site = __builtin_return_address(0);
	int detached = 0, ds = PTHREAD_CREATE_JOINABLE, rc;
	struct tc__thread *t;

	if (!tc__active())
		return tc__real_pthread_create()(thread, attr, start, arg);
	tc__watchdog_start();
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		tc__sched_point(TC__SOP_CREATE, NULL, site);
	if (attr != NULL && pthread_attr_getdetachstate(attr, &ds) == 0 &&
	    ds == PTHREAD_CREATE_DETACHED)
		detached = 1;
	t = tc__slot_new(start, arg, site, detached);
	if (t == NULL) {
		rc = tc__real_pthread_create()(thread, attr, start, arg);
		if (rc == 0)
			tc__gone_forget(*thread);
		return rc;
	}
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		tc__sched_create_begin(t);
	rc = tc__real_pthread_create()(thread, attr, tc__trampoline, t);
	if (rc != 0)
		atomic_store(&t->state, TC__FREE);
	else
		/* The child stores the same value; storing it here too means that a join
		 * issued as soon as we return finds the slot even if the child has not run. */
		atomic_store(&t->self, (uintptr_t)*thread);
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer: the child may run now */
		tc__sched_create_end(t, rc, rc == 0 ? *thread : 0, site);
	return rc;
}

/* A C11 thread: glibc starts it without going through the pthread_create symbol, so it is
 * not tracked. Its handle is a pthread_t, possibly one a joined or detached thread had:
 * forgotten here, as in pthread_create, so that a pthread_join or pthread_detach of it is
 * not taken for one of that gone thread. */
int thrd_create(thrd_t *thr, thrd_start_t func, void *arg)
{
	int rc = tc__real_thrd_create()(thr, func, arg);

	if (rc == thrd_success && tc__active())
		tc__gone_forget((pthread_t)*thr);
	return rc;
}

/* After a join of THREAD (whose slot, looked up before the join, is T) returned RC: a
 * successful join moves the slot on. Returns RC. */
static int tc__joined(struct tc__thread *t, pthread_t thread, int rc)
{
	int running = TC__RUNNING;

	if (rc != 0 || t == NULL || atomic_load(&t->self) != (uintptr_t)thread)
		return rc;
	/* Still RUNNING after the join returned: the thread ended by a raw exit system call,
	 * without our record hearing of it. The join proves it ended; only the joiner, who
	 * holds its handle, moves the slot on. */
	(void)atomic_compare_exchange_strong(&t->state, &running, TC__FINISHED);
	tc__slot_release(t, TC__GONE_JOINED);
	return rc;
}

/* Fills MI's other thread from the remembered thread G. */
static void tc__misuse_gone(struct tc__misuse_info *mi, struct tc__gone *g)
{
	mi->other_label = atomic_load(&g->label);
	mi->other_tid = atomic_load(&g->tid);
	mi->other_start = (void *)atomic_load(&g->start_fn);
	mi->other_create = (void *)atomic_load(&g->create_site);
}

/* Before a join (CALL) of THREAD from SITE: looks its slot up into *T (NULL when it has
 * none). Returns 0 when the join may go ahead, or EINVAL after reporting a join of a
 * detached or already joined thread, whose handle may point to freed memory by now. */
static int tc__join_check(pthread_t thread, struct tc__thread **tp, const char *call, void *site)
{
	struct tc__misuse_info mi = { .call = call, .obj = (void *)thread, .site = site };
	struct tc__thread *t = *tp = tc__find_self(thread);
	struct tc__gone *g;

	if ((mi.me = tc__me) == NULL)
		return 0;
	if (t != NULL) {
		if (!atomic_load(&t->detached))
			return 0;
		mi.what = TC__MISUSE_JOIN_DETACHED;
		tc__misuse_other(&mi, t, NULL);
	} else {
		g = tc__gone_find(thread);
		if (g == NULL)
			return 0;
		mi.what = atomic_load(&g->how) == TC__GONE_DETACHED ? TC__MISUSE_JOIN_DETACHED
								     : TC__MISUSE_JOIN_TWICE;
		tc__misuse_gone(&mi, g);
	}
	tc__misuse_report(&mi);
	return EINVAL;
}

int pthread_join(pthread_t thread, void **ret)
{
	void *site = __builtin_return_address(0);
	struct tc__thread *t;
	int rc;

	if (!tc__active())
		return tc__real_pthread_join()(thread, ret);
	if (tc__join_check(thread, &t, "pthread_join", site) != 0)
		return EINVAL;
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		tc__sched_point(TC__SOP_JOIN, (void *)thread, site);
	tc__wait_begin(TC__OP_JOIN, (void *)thread, site, 0);
	if (tc__me != NULL)
		tc__deadlock_probe(tc__me);
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer: until it ended */
		(void)tc__sched_join(thread, 0, site);
	rc = tc__real_pthread_join()(thread, ret);
	tc__wait_end();
	return tc__joined(t, thread, rc);
}

int pthread_tryjoin_np(pthread_t thread, void **ret)
{
	struct tc__thread *t;

	if (!tc__active())
		return tc__real_pthread_tryjoin_np()(thread, ret);
	if (tc__join_check(thread, &t, "pthread_tryjoin_np", __builtin_return_address(0)) != 0)
		return EINVAL;
	return tc__joined(t, thread, tc__real_pthread_tryjoin_np()(thread, ret));
}

int pthread_timedjoin_np(pthread_t thread, void **ret, const struct timespec *abstime)
{
	void *site = __builtin_return_address(0);
	struct tc__thread *t;
	int rc;

	if (!tc__active())
		return tc__real_pthread_timedjoin_np()(thread, ret, abstime);
	if (tc__join_check(thread, &t, "pthread_timedjoin_np", site) != 0)
		return EINVAL;
	tc__wait_begin(TC__OP_JOIN, (void *)thread, site, 1);
	if (__builtin_expect(tc__sched_on, 0) && tc__sched_timed_join(thread, site) != 0)
		rc = ETIMEDOUT; /* schedule explorer: the schedule let it time out */
	else
		rc = tc__real_pthread_timedjoin_np()(thread, ret, abstime);
	tc__wait_end();
	return tc__joined(t, thread, rc);
}

int pthread_clockjoin_np(pthread_t thread, void **ret, clockid_t clk,
			 const struct timespec *abstime)
{
	void *site = __builtin_return_address(0);
	struct tc__thread *t;
	int rc;

	if (!tc__active())
		return tc__real_pthread_clockjoin_np()(thread, ret, clk, abstime);
	if (tc__join_check(thread, &t, "pthread_clockjoin_np", site) != 0)
		return EINVAL;
	tc__wait_begin(TC__OP_JOIN, (void *)thread, site, 1);
	if (__builtin_expect(tc__sched_on, 0) && tc__sched_timed_join(thread, site) != 0)
		rc = ETIMEDOUT; /* schedule explorer: the schedule let it time out */
	else
		rc = tc__real_pthread_clockjoin_np()(thread, ret, clk, abstime);
	tc__wait_end();
	return tc__joined(t, thread, rc);
}

/* Whether the page of ADDR is mapped in this process. A probe that cannot fault: mincore
 * fails with ENOMEM on an unmapped page. */
static int tc__mapped(const void *addr)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	unsigned char vec;
	int saved = errno;
	int mapped = mincore((void *)((uintptr_t)addr & ~(page - 1)), 1, &vec) == 0 || errno != ENOMEM;

	errno = saved;
	return mapped;
}

/* Before a detach of THREAD (whose slot is T; NULL when it has none) from SITE: returns 0
 * when the detach may go ahead, or the error to return after reporting a detach of a
 * thread that is detached already (EINVAL), that was joined already or is no thread at all
 * (ESRCH). The real detach is then not made: the handle may point to freed memory, or to
 * nothing. */
static int tc__detach_check(pthread_t thread, struct tc__thread *t, void *site)
{
	struct tc__misuse_info mi = { .call = "pthread_detach", .obj = (void *)thread,
				      .site = site, .other_label = -1 };
	struct tc__gone *g = NULL;

	if ((mi.me = tc__me) == NULL)
		return 0;
	if (t != NULL) {
		if (!atomic_load(&t->detached))
			return 0;
		mi.what = TC__MISUSE_DETACH_DETACHED;
		tc__misuse_other(&mi, t, NULL);
	} else if ((g = tc__gone_find(thread)) != NULL) {
		mi.what = atomic_load(&g->how) == TC__GONE_DETACHED ? TC__MISUSE_DETACH_DETACHED
								     : TC__MISUSE_DETACH_JOINED;
		tc__misuse_gone(&mi, g);
	} else if (!tc__mapped((void *)thread)) {
		/* A handle we never saw may still be a thread: one started by thrd_create (glibc
		 * calls its own pthread_create, not ours) or while the registry was full. It is
		 * certainly none when it points to no memory at all; glibc would fault on it. */
		mi.what = TC__MISUSE_DETACH_INVALID;
	} else {
		return 0;
	}
	tc__misuse_report(&mi);
	return mi.what == TC__MISUSE_DETACH_DETACHED ? EINVAL : ESRCH;
}

int pthread_detach(pthread_t thread)
{
	struct tc__thread *t;
	int rc;

	if (!tc__active())
		return tc__real_pthread_detach()(thread);
	t = tc__find_self(thread);
	if ((rc = tc__detach_check(thread, t, __builtin_return_address(0))) != 0)
		return rc;
	rc = tc__real_pthread_detach()(thread);
	if (rc == 0 && t != NULL) {
		atomic_store(&t->detached, 1);
		tc__slot_release(t, TC__GONE_DETACHED);
	}
	return rc;
}

void pthread_exit(void *ret)
{
	struct tc__thread *t;

	/* The locks still held are judged at the thread's real end, after the cleanup handlers
	 * that pthread_exit runs (pthread_cleanup_push) had their chance to release them. The
	 * key is set again for the main thread, which never went through the trampoline. */
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer: give up the turn */
		tc__sched_exit();
	if (tc__active() && (t = tc__me) != NULL) {
		t->exit_site = __builtin_return_address(0);
		if (!atomic_load(&tc__key_ok) || pthread_setspecific(tc__key, t) != 0)
			tc__finish(t, t->exit_site);
	}
	tc__real_pthread_exit()(ret);
	/* The real pthread_exit does not return; this keeps _Noreturn-ness visible. */
	abort();
}

int pthread_setname_np(pthread_t thread, const char *name)
{
	int rc = tc__real_pthread_setname_np()(thread, name);
	struct tc__thread *t;
	size_t i;

	if (rc != 0 || !tc__active() || (t = tc__find_self(thread)) == NULL)
		return rc;
	for (i = 0; i + 1 < TC__NAME_LEN && name[i] != '\0'; i++)
		atomic_store_explicit(&t->name[i], name[i], memory_order_relaxed);
	atomic_store_explicit(&t->name[i], 0, memory_order_relaxed);
	return rc;
}
