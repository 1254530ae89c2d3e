/* tc_wrap_lock.c: the interposed lock and wait calls: mutexes, read-write locks, condition
 * variables, semaphores and barriers. Each records what the thread holds and what it waits
 * on for the detectors, and behaves exactly like the real call. */
#include "tc_deadlock.h"
#include "tc_glibc.h"
#include "tc_misuse.h"
#include "tc_order.h"
#include "tc_real.h"
#include "tc_registry.h"
#include "tc_sched.h"
#include "tc_util.h"

#include <errno.h>

/* ---- lock ownership ---------------------------------------------------------------- */

/* T took OBJ with a call that could have waited forever: notes the lock-order edges from
 * the locks it holds (not for a re-entry), then records the hold. */
static __attribute__((noinline)) void tc__took_blocking_slow(struct tc__thread *t,
							     const void *obj, int mode,
							     void *site, int reentrant)
{
	if (atomic_load_explicit(&t->nheld, memory_order_relaxed) > 0 && tc__held_find(t, obj) < 0)
		tc__order_acquire(t, obj, mode, site);
	tc__held_add(t, obj, mode, site, reentrant);
}

/* Inlined into the lock wrappers: the common case, T held nothing before, is a few stores
 * into T's own slot (no order edge, no re-entry possible). */
static inline void tc__took_blocking(struct tc__thread *t, const void *obj, int mode,
				     void *site, int reentrant)
{
	if (__builtin_expect(atomic_load_explicit(&t->nheld, memory_order_relaxed) == 0, 1)) {
		tc__held_stage0(t, obj, mode, site);
		/* Release, as in tc__held_add: a reader that sees the count sees the entry. */
		atomic_store_explicit(&t->nheld, 1, memory_order_release);
		return;
	}
	tc__took_blocking_slow(t, obj, mode, site, reentrant);
}

/* The other thread that holds M, as ME sees it (by the held lists, else by glibc's owner
 * tid), goes into MI with where it took M. */
static void tc__misuse_holder(struct tc__misuse_info *mi, struct tc__thread *me,
			      pthread_mutex_t *m)
{
	void *hsite = NULL;
	struct tc__thread *h = tc__holder(me, m, tc__mutex_owner(m), &hsite);

	tc__misuse_other(mi, h, hsite);
}

/* ME unlocks M, which it does not hold by our records, from SITE: reports it unless glibc
 * says ME owns M after all (a lock taken past the held list's end, or through a call we do
 * not see). */
static __attribute__((noinline)) void tc__unlock_check(struct tc__thread *me, pthread_mutex_t *m,
						       void *site)
{
	struct tc__misuse_info mi = { .me = me, .call = "pthread_mutex_unlock", .obj = m,
				      .site = site, .other_label = -1 };

	if (!tc__mutex_locked(m)) {
		mi.what = TC__MISUSE_UNLOCK_UNLOCKED;
	} else {
		if (tc__mutex_owner(m) == atomic_load(&me->tid))
			return;
		mi.what = TC__MISUSE_UNLOCK_NOT_OWNER;
		tc__misuse_holder(&mi, me, m);
	}
	tc__misuse_report(&mi);
}

/* ---- mutexes ------------------------------------------------------------------------- */

/* Whether RC from a mutex call means the caller now owns the mutex. */
static int tc__mutex_owned(int rc)
{
	return rc == 0 || rc == EOWNERDEAD;
}

/* What pthread_mutex_lock does after its trylock, unless that took M while ME held nothing:
 * the order edges and re-entry of a nested lock, and for a busy M the published wait, the
 * deadlock check and the real, blocking lock. Kept out of line so that the common case stays
 * a short function. */
static __attribute__((noinline)) int tc__mutex_lock_slow(struct tc__thread *me, pthread_mutex_t *m,
							 int rc, void *site)
{
	int kind = tc__mutex_kind(m);

	if (rc != EBUSY) {
		if (tc__mutex_owned(rc))
			tc__took_blocking(me, m, TC__HOLD_MUTEX, site,
					  kind == PTHREAD_MUTEX_RECURSIVE_NP);
		return rc;
	}
	tc__wait_begin(TC__OP_MUTEX, m, site, 0);
	/* A normal (or adaptive) mutex relocked by its owner never comes back; an errorcheck
	 * one returns EDEADLK and a recursive one would not have been busy. */
	if ((kind == PTHREAD_MUTEX_TIMED_NP || kind == PTHREAD_MUTEX_ADAPTIVE_NP) &&
	    tc__held_find(me, m) >= 0)
		tc__deadlock_self(me);
	else
		tc__deadlock_probe_owner(me, tc__mutex_owner(m));
	rc = -1;
	/* Schedule explorer: a modelled wait, but for an errorcheck relock (EDEADLK at once). */
	if (__builtin_expect(tc__sched_on, 0) &&
	    (kind != PTHREAD_MUTEX_ERRORCHECK_NP || tc__held_find(me, m) < 0))
		rc = tc__sched_mutex_wait(m, 0, site);
	if (rc < 0)
		rc = tc__real_pthread_mutex_lock()(m);
	tc__wait_end();
	if (tc__mutex_owned(rc))
		tc__took_blocking(me, m, TC__HOLD_MUTEX, site, kind == PTHREAD_MUTEX_RECURSIVE_NP);
	return rc;
}

/* pthread_mutex_lock for all but the fast path's case: the caller ME (NULL: untracked, it
 * only forwards) holds other locks, or M is no plain mutex. Tries first, so that only a
 * caller that is really about to sleep publishes its wait and looks for a cycle. */
static __attribute__((noinline)) int tc__mutex_lock_other(struct tc__thread *me,
							  pthread_mutex_t *m, void *site)
{
	int rc, n;

	if (me == NULL)
		return tc__real_pthread_mutex_lock()(m);
	n = atomic_load_explicit(&me->nheld, memory_order_relaxed);
	if (n == 0)
		tc__held_stage0(me, m, TC__HOLD_MUTEX, site);
	if (tc__mutex_fast(m))
		rc = tc__mutex_fast_lock(m, atomic_load_explicit(&me->tid, memory_order_relaxed))
			     ? 0 : EBUSY;
	else
		rc = tc__real_pthread_mutex_trylock()(m);
	if (rc == 0 && n == 0) {
		atomic_store_explicit(&me->nheld, 1, memory_order_release);
		return 0;
	}
	return tc__mutex_lock_slow(me, m, rc, site);
}

/* The fast path, a leaf function: a tracked thread that holds no other lock takes a free
 * plain mutex itself (tc_glibc.h) and pushes it on its held list. The entry is written
 * before the lock is taken (readers look only below nheld), so that holding it costs one
 * store after the lock is taken. */
static inline __attribute__((always_inline)) int tc__mutex_lock(pthread_mutex_t *m, void *site)
{
	struct tc__thread *me = tc__me;

	if (__builtin_expect(me != NULL && tc__mutex_fast(m), 1) &&
	    atomic_load_explicit(&me->nheld, memory_order_relaxed) == 0) {
		tc__held_stage0(me, m, TC__HOLD_MUTEX, site);
		if (__builtin_expect(tc__mutex_fast_lock(m, atomic_load_explicit(
							       &me->tid, memory_order_relaxed)),
				     1)) {
			atomic_store_explicit(&me->nheld, 1, memory_order_release);
			return 0;
		}
		return tc__mutex_lock_slow(me, m, EBUSY, site);
	}
	return tc__mutex_lock_other(me, m, site);
}

/* pthread_mutex_lock under the schedule explorer: a point first. Out of line, so that the
 * explorer's hook costs the fast path one load and one branch (a tail call when taken). */
static __attribute__((noinline)) int tc__mutex_lock_sched(pthread_mutex_t *m, void *site)
{
	tc__sched_point(TC__SOP_LOCK, m, site);
	return tc__mutex_lock(m, site);
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		return tc__mutex_lock_sched(m, __builtin_return_address(0));
	return tc__mutex_lock(m, __builtin_return_address(0));
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
	struct tc__thread *me;
	int rc;

	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		tc__sched_point(TC__SOP_TRYLOCK, m, __builtin_return_address(0));
	rc = tc__real_pthread_mutex_trylock()(m);

	if (tc__mutex_owned(rc) && tc__active() && (me = tc__me) != NULL)
		tc__held_add(me, m, TC__HOLD_MUTEX, __builtin_return_address(0),
			     tc__mutex_kind(m) == PTHREAD_MUTEX_RECURSIVE_NP);
	return rc;
}

int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
	struct tc__thread *me;
	void *site = __builtin_return_address(0);
	int rc;

	if (!tc__active() || (me = tc__me) == NULL)
		return tc__real_pthread_mutex_timedlock()(m, abstime);
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		tc__sched_point(TC__SOP_LOCK, m, site);
	tc__wait_begin(TC__OP_MUTEX, m, site, 1);
	rc = __builtin_expect(tc__sched_on, 0) ? tc__sched_mutex_wait(m, 1, site) : -1;
	if (rc < 0)
		rc = tc__real_pthread_mutex_timedlock()(m, abstime);
	tc__wait_end();
	if (tc__mutex_owned(rc))
		tc__held_add(me, m, TC__HOLD_MUTEX, site,
			     tc__mutex_kind(m) == PTHREAD_MUTEX_RECURSIVE_NP);
	return rc;
}

/* pthread_mutex_unlock for all but the fast path's case. */
static __attribute__((noinline)) int tc__mutex_unlock_other(struct tc__thread *me,
							    pthread_mutex_t *m, void *site)
{
	if (me != NULL && tc__held_pop(me, m) == 0)
		tc__unlock_check(me, m, site);
	return tc__real_pthread_mutex_unlock()(m);
}

/* pthread_mutex_unlock under the schedule explorer: a point, the unlock, then the threads
 * it holds blocked on M may run. */
static __attribute__((noinline)) int tc__mutex_unlock_sched(pthread_mutex_t *m, void *site)
{
	struct tc__thread *me = tc__me;
	int rc;

	tc__sched_point(TC__SOP_UNLOCK, m, site);
	if (me != NULL && tc__held_pop(me, m) == 0)
		tc__unlock_check(me, m, site);
	rc = tc__real_pthread_mutex_unlock()(m);
	tc__sched_wake(m, 1);
	return rc;
}

/* The fast path, a leaf function but for the wake-up of a sleeper: a plain mutex that is the
 * last lock the caller took is taken off its held list and released by the fast path (a
 * plain mutex's entry is never a re-entry). Forgotten before the release: the record may
 * miss a lock for an instant, but it never shows one lock held by two threads. Otherwise
 * the real call is made, even after a misuse: the program behaves as it would without us. */
int pthread_mutex_unlock(pthread_mutex_t *m)
{
	struct tc__thread *me = tc__me;
	int n;

	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		return tc__mutex_unlock_sched(m, __builtin_return_address(0));
	if (__builtin_expect(me != NULL && tc__mutex_fast(m), 1)) {
		n = atomic_load_explicit(&me->nheld, memory_order_relaxed);
		if (__builtin_expect(n > 0, 1) &&
		    atomic_load_explicit(&me->held[n - 1].obj, memory_order_relaxed) ==
			    (uintptr_t)m) {
			atomic_store_explicit(&me->nheld, n - 1, memory_order_release);
			tc__mutex_fast_unlock(m);
			return 0;
		}
	}
	return tc__mutex_unlock_other(me, m, __builtin_return_address(0));
}

/* ME initialises M from SITE: reports it when M is in use, that is when a thread holds it
 * (by our records, not by M's bytes, which may be garbage before an init), or when M is a
 * global or static mutex that an earlier pthread_mutex_init set up and no
 * pthread_mutex_destroy ended (see tc__live_mutex_find). The real init is made in any
 * case. */
static __attribute__((noinline)) void tc__init_check(struct tc__thread *me, pthread_mutex_t *m,
						     void *site)
{
	struct tc__misuse_info mi = { .what = TC__MISUSE_INIT_TWICE, .me = me,
				      .call = "pthread_mutex_init", .obj = m, .site = site,
				      .other_label = -1 };
	struct tc__thread *h = NULL;
	struct tc__init_rec first;
	void *hsite = NULL;
	int i = tc__held_find(me, m);

	if (i >= 0) {
		tc__misuse_other(&mi, me, (void *)atomic_load(&me->held[i].site));
	} else if (tc__mutex_locked(m) && (h = tc__holder(me, m, 0, &hsite)) != NULL) {
		/* Why only when M's lock word is set: a held mutex has it set, and the common
		 * init, of zeroed memory, then costs no scan of the registry. */
		tc__misuse_other(&mi, h, hsite);
	} else if (tc__live_mutex_find(m, &first)) {
		tc__misuse_other(&mi, tc__find_label(first.label), NULL);
		mi.other_label = first.label;
		mi.other_tid = first.tid;
		mi.other_call_site = first.site;
	} else {
		return;
	}
	tc__misuse_report(&mi);
}

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
	struct tc__thread *me;
	void *site = __builtin_return_address(0);
	int rc;

	if (!tc__active())
		return tc__real_pthread_mutex_init()(m, attr);
	if ((me = tc__me) != NULL)
		tc__init_check(me, m, site);
	/* A new mutex at an old address (freed memory reused) starts with no lock order. */
	tc__order_forget(m);
	rc = tc__real_pthread_mutex_init()(m, attr);
	if (rc == 0) {
		struct tc__init_rec rec = { .label = me != NULL ? me->label : -1,
					    .tid = me != NULL ? atomic_load(&me->tid) : 0,
					    .site = site };

		tc__live_mutex_add(m, &rec);
	}
	return rc;
}

/* ME destroys M, which is locked, from SITE: reports who holds it. */
static __attribute__((noinline)) void tc__destroy_check(struct tc__thread *me, pthread_mutex_t *m,
							void *site)
{
	struct tc__misuse_info mi = { .what = TC__MISUSE_DESTROY_LOCKED, .me = me,
				      .call = "pthread_mutex_destroy", .obj = m, .site = site };
	int i = tc__held_find(me, m);

	if (i >= 0)
		tc__misuse_other(&mi, me, (void *)atomic_load(&me->held[i].site));
	else
		tc__misuse_holder(&mi, me, m);
	tc__misuse_report(&mi);
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
	struct tc__thread *me;
	int rc;

	if (!tc__active())
		return tc__real_pthread_mutex_destroy()(m);
	if ((me = tc__me) != NULL && tc__mutex_locked(m))
		tc__destroy_check(me, m, __builtin_return_address(0));
	rc = tc__real_pthread_mutex_destroy()(m);
	if (rc == 0) {
		tc__order_forget(m);
		tc__live_mutex_remove(m);
	}
	return rc;
}

/* ---- condition variables ----------------------------------------------------------- */

/* A condition wait releases M for its duration and takes it back before returning (inside
 * glibc, where we do not see it): the hold is set aside and put back with its first site.
 * Taking it back can wait forever, so it counts for lock order like a lock at the wait. */
struct tc__cond_hold {
	struct tc__thread *me;
	pthread_mutex_t *m;
	int n;                      /* the holds of M set aside; 0: the caller did not hold M */
	uintptr_t site;             /* where M was first taken */
	void *where;                /* the wait's call site */
};

/* ME waits on C with M at SITE and does not hold M by our records: reports it unless glibc
 * says ME owns M after all. */
static void tc__cond_check(struct tc__thread *me, pthread_cond_t *c, pthread_mutex_t *m,
			   const char *call, void *site)
{
	struct tc__misuse_info mi = { .what = TC__MISUSE_COND_WAIT_UNLOCKED, .me = me,
				      .call = call, .obj = m, .obj2 = c, .site = site };

	if (tc__mutex_locked(m) && tc__mutex_owner(m) == atomic_load(&me->tid))
		return;
	if (tc__mutex_locked(m))
		tc__misuse_holder(&mi, me, m);
	else
		tc__misuse_other(&mi, NULL, NULL);
	tc__misuse_report(&mi);
}

/* Before a wait (CALL, TIMED when it has a timeout) on C with M from WHERE: sets the hold of
 * M aside into H, checks it was held and publishes the wait. Returns 0 when the library does
 * not track this thread (the caller then only forwards), else 1. */
static int tc__cond_wait_begin(struct tc__cond_hold *h, pthread_cond_t *c, pthread_mutex_t *m,
			       const char *call, void *where, int timed)
{
	if (!tc__active() || (h->me = tc__me) == NULL)
		return 0;
	h->m = m;
	h->where = where;
	h->site = 0;
	h->n = tc__held_drop(h->me, m, 1, &h->site);
	if (h->n == 0)
		tc__cond_check(h->me, c, m, call, where);
	tc__wait_begin(TC__OP_COND, c, where, timed);
	return 1;
}

/* After the wait: M is held again, as it was before. */
static void tc__cond_wait_end(const struct tc__cond_hold *h)
{
	tc__wait_end();
	if (h->n == 0)
		return;
	if (atomic_load_explicit(&h->me->nheld, memory_order_relaxed) > 0)
		tc__order_acquire(h->me, h->m, TC__HOLD_MUTEX, h->where);
	tc__held_add(h->me, h->m, TC__HOLD_MUTEX, (void *)h->site, 0);
	for (int k = 1; k < h->n; k++)
		tc__held_add(h->me, h->m, TC__HOLD_MUTEX, (void *)h->site, 1);
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	struct tc__cond_hold h;
	int rc;

	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		tc__sched_point(TC__SOP_COND_WAIT, c, __builtin_return_address(0));

	if (!tc__cond_wait_begin(&h, c, m, "pthread_cond_wait", __builtin_return_address(0), 0))
		return tc__real_pthread_cond_wait()(c, m);
	rc = __builtin_expect(tc__sched_on, 0) ? tc__sched_cond_wait(c, m, 0, h.where) : -1;
	if (rc < 0)
		rc = tc__real_pthread_cond_wait()(c, m);
	tc__cond_wait_end(&h);
	return rc;
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime)
{
	struct tc__cond_hold h;
	int rc;

	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		tc__sched_point(TC__SOP_COND_WAIT, c, __builtin_return_address(0));

	if (!tc__cond_wait_begin(&h, c, m, "pthread_cond_timedwait", __builtin_return_address(0),
				 1))
		return tc__real_pthread_cond_timedwait()(c, m, abstime);
	rc = __builtin_expect(tc__sched_on, 0) ? tc__sched_cond_wait(c, m, 1, h.where) : -1;
	if (rc < 0)
		rc = tc__real_pthread_cond_timedwait()(c, m, abstime);
	tc__cond_wait_end(&h);
	return rc;
}

int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
			   const struct timespec *abstime)
{
	struct tc__cond_hold h;
	int rc;

	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		tc__sched_point(TC__SOP_COND_WAIT, c, __builtin_return_address(0));

	if (!tc__cond_wait_begin(&h, c, m, "pthread_cond_clockwait", __builtin_return_address(0),
				 1))
		return tc__real_pthread_cond_clockwait()(c, m, clk, abstime);
	rc = __builtin_expect(tc__sched_on, 0) ? tc__sched_cond_wait(c, m, 1, h.where) : -1;
	if (rc < 0)
		rc = tc__real_pthread_cond_clockwait()(c, m, clk, abstime);
	tc__cond_wait_end(&h);
	return rc;
}

/* Before a signal or broadcast (CALL) on C from SITE: returns 0 when it may go ahead, or
 * EINVAL after reporting a C that is no condition variable. The real call is then not
 * made: on such bytes it may wait for ever for a lock word of garbage, or wake nobody. */
static int tc__cond_wake_check(pthread_cond_t *c, const char *call, void *site)
{
	struct tc__misuse_info mi = { .what = TC__MISUSE_COND_INVALID, .call = call, .obj = c,
				      .site = site, .other_label = -1 };

	if ((mi.me = tc__me) == NULL || (mi.why = tc__cond_broken(c)) == NULL)
		return 0;
	tc__misuse_report(&mi);
	return EINVAL;
}

int pthread_cond_signal(pthread_cond_t *c)
{
	int rc;

	if (tc__active() &&
	    (rc = tc__cond_wake_check(c, "pthread_cond_signal", __builtin_return_address(0))) != 0)
		return rc;
	if (__builtin_expect(tc__sched_on, 0)) { /* schedule explorer: wakes one it holds */
		tc__sched_point(TC__SOP_SIGNAL, c, __builtin_return_address(0));
		tc__sched_wake(c, 0);
	}
	return tc__real_pthread_cond_signal()(c);
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
	int rc;

	if (tc__active() &&
	    (rc = tc__cond_wake_check(c, "pthread_cond_broadcast", __builtin_return_address(0))) != 0)
		return rc;
	if (__builtin_expect(tc__sched_on, 0)) { /* schedule explorer: wakes all it holds */
		tc__sched_point(TC__SOP_BROADCAST, c, __builtin_return_address(0));
		tc__sched_wake(c, 1);
	}
	return tc__real_pthread_cond_broadcast()(c);
}

/* ---- read-write locks ------------------------------------------------------------- */

/* A read or write lock: tries first, like pthread_mutex_lock, and publishes a wait (and
 * looks for a cycle) only when it is about to sleep. */
static int tc__rwlock(pthread_rwlock_t *l, int wr, void *site)
{
	struct tc__thread *me;
	int (*try)(pthread_rwlock_t *) =
		wr ? tc__real_pthread_rwlock_trywrlock() : tc__real_pthread_rwlock_tryrdlock();
	int (*lock)(pthread_rwlock_t *) =
		wr ? tc__real_pthread_rwlock_wrlock() : tc__real_pthread_rwlock_rdlock();
	int mode = wr ? TC__HOLD_WR : TC__HOLD_RD;
	int rc;

	if (!tc__active() || (me = tc__me) == NULL)
		return lock(l);
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		tc__sched_point(wr ? TC__SOP_WRLOCK : TC__SOP_RDLOCK, l, site);
	rc = try(l);
	if (rc != EBUSY) {
		if (rc == 0)
			tc__took_blocking(me, l, mode, site, !wr);
		return rc;
	}
	tc__wait_begin(wr ? TC__OP_RWLOCK_WR : TC__OP_RWLOCK_RD, l, site, 0);
	tc__deadlock_probe(me);
	rc = __builtin_expect(tc__sched_on, 0) ? tc__sched_rwlock_wait(l, wr, 0, site) : -1;
	if (rc < 0)
		rc = lock(l);
	tc__wait_end();
	if (rc == 0)
		tc__took_blocking(me, l, mode, site, !wr);
	return rc;
}

int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	return tc__rwlock(l, 0, __builtin_return_address(0));
}

int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	return tc__rwlock(l, 1, __builtin_return_address(0));
}

int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	struct tc__thread *me;
	int rc;

	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		tc__sched_point(TC__SOP_TRYLOCK, l, __builtin_return_address(0));
	rc = tc__real_pthread_rwlock_tryrdlock()(l);

	if (rc == 0 && tc__active() && (me = tc__me) != NULL)
		tc__held_add(me, l, TC__HOLD_RD, __builtin_return_address(0), 1);
	return rc;
}

int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	struct tc__thread *me;
	int rc;

	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		tc__sched_point(TC__SOP_TRYLOCK, l, __builtin_return_address(0));
	rc = tc__real_pthread_rwlock_trywrlock()(l);

	if (rc == 0 && tc__active() && (me = tc__me) != NULL)
		tc__held_add(me, l, TC__HOLD_WR, __builtin_return_address(0), 0);
	return rc;
}

/* A timed rwlock wait: published as timed (not forever), never probed. */
static int tc__rwlock_timed(pthread_rwlock_t *l, int wr, const struct timespec *abstime,
			    void *site)
{
	struct tc__thread *me;
	int rc;

	if (!tc__active() || (me = tc__me) == NULL)
		return wr ? tc__real_pthread_rwlock_timedwrlock()(l, abstime)
			  : tc__real_pthread_rwlock_timedrdlock()(l, abstime);
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		tc__sched_point(wr ? TC__SOP_WRLOCK : TC__SOP_RDLOCK, l, site);
	tc__wait_begin(wr ? TC__OP_RWLOCK_WR : TC__OP_RWLOCK_RD, l, site, 1);
	rc = __builtin_expect(tc__sched_on, 0) ? tc__sched_rwlock_wait(l, wr, 1, site) : -1;
	if (rc < 0)
		rc = wr ? tc__real_pthread_rwlock_timedwrlock()(l, abstime)
			: tc__real_pthread_rwlock_timedrdlock()(l, abstime);
	tc__wait_end();
	if (rc == 0)
		tc__held_add(me, l, wr ? TC__HOLD_WR : TC__HOLD_RD, site, !wr);
	return rc;
}

int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
	return tc__rwlock_timed(l, 0, abstime, __builtin_return_address(0));
}

int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
	return tc__rwlock_timed(l, 1, abstime, __builtin_return_address(0));
}

int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	struct tc__thread *me;
	int rc;

	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		tc__sched_point(TC__SOP_RWUNLOCK, l, __builtin_return_address(0));
	if (tc__active() && (me = tc__me) != NULL)
		(void)tc__held_drop(me, l, 0, NULL);
	rc = tc__real_pthread_rwlock_unlock()(l);
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		tc__sched_wake(l, 1);
	return rc;
}

int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *attr)
{
	if (tc__active())
		tc__order_forget(l);
	return tc__real_pthread_rwlock_init()(l, attr);
}

int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
	int rc = tc__real_pthread_rwlock_destroy()(l);

	if (rc == 0 && tc__active())
		tc__order_forget(l);
	return rc;
}

/* ---- semaphores and barriers ------------------------------------------------------ */

/* Each wrapper records (op, object, call site) for the duration of the real call. The
 * return address points just after the call instruction; the symboliser steps back. */
#define TC__WAITING(op, obj, timed, call)                                                   \
	do {                                                                                \
		int rc_;                                                                    \
		if (!tc__active())                                                          \
			return call;                                                        \
		tc__wait_begin(op, obj, __builtin_return_address(0), timed);                \
		rc_ = call;                                                                 \
		tc__wait_end();                                                             \
		return rc_;                                                                 \
	} while (0)

/* A semaphore wait under the schedule explorer, from SITE: a point, then a modelled wait
 * (ABSTIME: NULL for sem_wait), published like the real one. */
static __attribute__((noinline)) int tc__sem_wait_sched(sem_t *s, const struct timespec *abstime,
							void *site)
{
	int rc;

	tc__sched_point(TC__SOP_SEM_WAIT, s, site);
	tc__wait_begin(TC__OP_SEM, s, site, abstime != NULL);
	rc = tc__sched_sem_wait(s, abstime != NULL, site);
	if (rc == -2)
		rc = abstime != NULL ? tc__real_sem_timedwait()(s, abstime) : tc__real_sem_wait()(s);
	tc__wait_end();
	return rc;
}

int sem_wait(sem_t *s)
{
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		return tc__sem_wait_sched(s, NULL, __builtin_return_address(0));
	TC__WAITING(TC__OP_SEM, s, 0, tc__real_sem_wait()(s));
}

int sem_timedwait(sem_t *s, const struct timespec *abstime)
{
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		return tc__sem_wait_sched(s, abstime, __builtin_return_address(0));
	TC__WAITING(TC__OP_SEM, s, 1, tc__real_sem_timedwait()(s, abstime));
}

/* A barrier wait under the schedule explorer, from SITE: a point, then a modelled wait when
 * the explorer saw the barrier's init, published like the real one. */
static __attribute__((noinline)) int tc__barrier_wait_sched(pthread_barrier_t *b, void *site)
{
	int rc;

	tc__sched_point(TC__SOP_BARRIER, b, site);
	tc__wait_begin(TC__OP_BARRIER, b, site, 0);
	rc = tc__sched_barrier_wait(b, site);
	if (rc == -2)
		rc = tc__real_pthread_barrier_wait()(b);
	tc__wait_end();
	return rc;
}

int pthread_barrier_wait(pthread_barrier_t *b)
{
	if (__builtin_expect(tc__sched_on, 0)) /* schedule explorer */
		return tc__barrier_wait_sched(b, __builtin_return_address(0));
	TC__WAITING(TC__OP_BARRIER, b, 0, tc__real_pthread_barrier_wait()(b));
}
