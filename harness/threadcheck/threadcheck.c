/* threadcheck.c: the LD_PRELOAD side of threadcheck: it interposes thread creation, joins and
 * the blocking pthread calls, keeps a registry of every thread and what it waits on, and at
 * process exit reports threads that are still alive or finished but never joined. */
#include "tc_internal.h"
#include "threadcheck.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <link.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define TC__HAVE_VALGRIND_H 1
#endif
#endif

struct tc__thread tc__threads[TC__MAX_THREADS];
_Atomic int tc__high_water;

/* Why initial-exec: the library is preloaded, so its TLS is static and this model never
 * calls __tls_get_addr (which may allocate) from inside an interposed pthread call. */
static __thread struct tc__thread *tc__me __attribute__((tls_model("initial-exec")));

static _Atomic int tc__next_label = 1;
static _Atomic int tc__slot_hint;
static _Atomic int tc__untracked;   /* threads created while the registry was full */
_Atomic int tc__exiting;
static pthread_key_t tc__key;
static _Atomic int tc__key_ok;

/* The library's mode, decided once: 0 undecided, 1 active, 2 passive (it only forwards). */
enum { TC__MODE_UNSET, TC__MODE_ACTIVE, TC__MODE_PASSIVE };
static _Atomic int tc__mode_v;
static const char *tc__passive_why;

_Noreturn void tc__assert_fail(const char *file, int line, const char *expr)
{
	char msg[512];
	struct tc__buf b = { msg, 0, sizeof msg };

	tc__bprintf(&b, "threadcheck: %s:%d: assertion failed: %s\n", file, line, expr);
	(void)tc__write_all(2, b.p, b.len);
	abort();
}

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

/* Looks up the next definition of NAME after this library, preferring VERSION when it is
 * not NULL (pthread_cond_* exist in two ABIs and plain dlsym may hand back the old one).
 * Returns NULL when there is none. */
static void *tc__lookup(const char *name, const char *version)
{
	void *p = NULL;

	if (version != NULL)
		p = dlvsym(RTLD_NEXT, name, version);
	if (p == NULL)
		p = dlsym(RTLD_NEXT, name);
	return p;
}

/* Returns the real NAME, cached in *CACHE. Aborts when it does not exist, since the caller
 * has nothing to forward to. */
static __attribute__((noinline)) void *tc__real_slow(void *_Atomic *cache, const char *name,
						    const char *version)
{
	void *p = tc__lookup(name, version);

	if (p == NULL) {
		char msg[256];
		struct tc__buf b = { msg, 0, sizeof msg };

		tc__bprintf(&b, "threadcheck: cannot find the real %s\n", name);
		(void)tc__write_all(2, b.p, b.len);
		abort();
	}
	/* Two threads may race here before the constructor ran; both store the same value. */
	atomic_store_explicit(cache, p, memory_order_release);
	return p;
}

/* The fast path is one load (the constructor resolved everything), inlined into the
 * wrappers: the lock and unlock wrappers run once per program lock operation. */
static inline void *tc__real(void *_Atomic *cache, const char *name, const char *version)
{
	void *p = atomic_load_explicit(cache, memory_order_acquire);

	if (__builtin_expect(p != NULL, 1))
		return p;
	return tc__real_slow(cache, name, version);
}

/* The real functions, as X(type, name, version). */
#define TC__REALS(X)                                                                        \
	X(tc__create_fn, pthread_create, NULL)                                              \
	X(tc__join_fn, pthread_join, NULL)                                                  \
	X(tc__tryjoin_fn, pthread_tryjoin_np, NULL)                                         \
	X(tc__timedjoin_fn, pthread_timedjoin_np, NULL)                                     \
	X(tc__clockjoin_fn, pthread_clockjoin_np, NULL)                                     \
	X(tc__detach_fn, pthread_detach, NULL)                                              \
	X(tc__thrd_create_fn, thrd_create, NULL)                                            \
	X(tc__exit_fn, pthread_exit, NULL)                                                  \
	X(tc__setname_fn, pthread_setname_np, NULL)                                         \
	X(tc__mutex_fn, pthread_mutex_lock, NULL)                                           \
	X(tc__mutex_fn, pthread_mutex_trylock, NULL)                                        \
	X(tc__mutex_fn, pthread_mutex_unlock, NULL)                                         \
	X(tc__mutex_timed_fn, pthread_mutex_timedlock, NULL)                                \
	X(tc__mutex_init_fn, pthread_mutex_init, NULL)                                      \
	X(tc__mutex_fn, pthread_mutex_destroy, NULL)                                        \
	X(tc__rwlock_init_fn, pthread_rwlock_init, NULL)                                    \
	X(tc__rwlock_fn, pthread_rwlock_destroy, NULL)                                      \
	X(tc__cond_wait_fn, pthread_cond_wait, "GLIBC_2.3.2")                               \
	X(tc__cond_timed_fn, pthread_cond_timedwait, "GLIBC_2.3.2")                         \
	X(tc__cond_clock_fn, pthread_cond_clockwait, NULL)                                  \
	X(tc__cond_fn, pthread_cond_signal, "GLIBC_2.3.2")                                  \
	X(tc__cond_fn, pthread_cond_broadcast, "GLIBC_2.3.2")                               \
	X(tc__rwlock_fn, pthread_rwlock_rdlock, NULL)                                       \
	X(tc__rwlock_fn, pthread_rwlock_wrlock, NULL)                                       \
	X(tc__rwlock_timed_fn, pthread_rwlock_timedrdlock, NULL)                            \
	X(tc__rwlock_timed_fn, pthread_rwlock_timedwrlock, NULL)                            \
	X(tc__rwlock_fn, pthread_rwlock_tryrdlock, NULL)                                    \
	X(tc__rwlock_fn, pthread_rwlock_trywrlock, NULL)                                    \
	X(tc__rwlock_fn, pthread_rwlock_unlock, NULL)                                       \
	X(tc__sem_fn, sem_wait, NULL)                                                       \
	X(tc__sem_timed_fn, sem_timedwait, NULL)                                            \
	X(tc__barrier_fn, pthread_barrier_wait, NULL)

typedef int (*tc__create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef int (*tc__join_fn)(pthread_t, void **);
typedef int (*tc__tryjoin_fn)(pthread_t, void **);
typedef int (*tc__timedjoin_fn)(pthread_t, void **, const struct timespec *);
typedef int (*tc__clockjoin_fn)(pthread_t, void **, clockid_t, const struct timespec *);
typedef int (*tc__detach_fn)(pthread_t);
typedef int (*tc__thrd_create_fn)(thrd_t *, thrd_start_t, void *);
typedef void (*tc__exit_fn)(void *);
typedef int (*tc__setname_fn)(pthread_t, const char *);
typedef int (*tc__mutex_fn)(pthread_mutex_t *);
typedef int (*tc__mutex_timed_fn)(pthread_mutex_t *, const struct timespec *);
typedef int (*tc__mutex_init_fn)(pthread_mutex_t *, const pthread_mutexattr_t *);
typedef int (*tc__rwlock_init_fn)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
typedef int (*tc__cond_wait_fn)(pthread_cond_t *, pthread_mutex_t *);
typedef int (*tc__cond_timed_fn)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
typedef int (*tc__cond_clock_fn)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
				 const struct timespec *);
typedef int (*tc__cond_fn)(pthread_cond_t *);
typedef int (*tc__rwlock_fn)(pthread_rwlock_t *);
typedef int (*tc__rwlock_timed_fn)(pthread_rwlock_t *, const struct timespec *);
typedef int (*tc__sem_fn)(sem_t *);
typedef int (*tc__sem_timed_fn)(sem_t *, const struct timespec *);
typedef int (*tc__barrier_fn)(pthread_barrier_t *);

#define X(type, name, version)                                                              \
	static void *_Atomic tc__cache_##name;                                              \
	static inline type tc__real_##name(void)                                            \
	{                                                                                   \
		return (type)tc__real(&tc__cache_##name, #name, version);                   \
	}
TC__REALS(X)
#undef X

/* Resolves every real function while the process is still single-threaded, so that later
 * calls only read the caches (and Helgrind, which cannot see our atomics, sees no race).
 * A function this C library lacks stays unresolved; nobody can call it then. */
static void tc__resolve_all(void)
{
#define X(type, name, version)                                                              \
	if (atomic_load(&tc__cache_##name) == NULL)                                         \
		atomic_store(&tc__cache_##name, tc__lookup(#name, version));
	TC__REALS(X)
#undef X
}

/* Decides once whether to track. Under ThreadSanitizer the runtime's interceptors already
 * sit in front of us and start every thread through their own trampoline, and under
 * Helgrind or DRD our lock-free bookkeeping would itself be reported as racy; in those
 * cases threadcheck only forwards calls and reports nothing. Memcheck is fine. */
static __attribute__((noinline)) int tc__active_slow(void)
{
	int m = atomic_load_explicit(&tc__mode_v, memory_order_acquire);

	if (m == TC__MODE_UNSET) {
		const char *pre = getenv("LD_PRELOAD");

		m = TC__MODE_ACTIVE;
		if (dlsym(RTLD_DEFAULT, "__tsan_init") != NULL) {
			m = TC__MODE_PASSIVE;
			tc__passive_why = "ThreadSanitizer runtime present";
		} else if (pre != NULL && (strstr(pre, "vgpreload_helgrind") != NULL ||
					   strstr(pre, "vgpreload_drd") != NULL)) {
			m = TC__MODE_PASSIVE;
			tc__passive_why = "running under Helgrind/DRD";
		}
		atomic_store_explicit(&tc__mode_v, m, memory_order_release);
	}
	return m == TC__MODE_ACTIVE;
}

/* Inlined everywhere: once decided (by the constructor, normally) the mode is one load. */
static inline int tc__active(void)
{
	int m = atomic_load_explicit(&tc__mode_v, memory_order_acquire);

	if (__builtin_expect(m != TC__MODE_UNSET, 1))
		return m == TC__MODE_ACTIVE;
	return tc__active_slow();
}

/* ---- registry ---------------------------------------------------------------------- */

/* Claims a free slot and fills its creation fields; the slot is published as RUNNING.
 * Returns NULL when all TC__MAX_THREADS slots are in use (the thread is then untracked). */
static struct tc__thread *tc__slot_new(void *(*start)(void *), void *arg, void *site,
				       int detached)
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
		atomic_store(&t->state, TC__RUNNING);
		atomic_store_explicit(&tc__slot_hint, (i + 1) % TC__MAX_THREADS, memory_order_relaxed);
		int hw = atomic_load(&tc__high_water);
		while (hw < i + 1 && !atomic_compare_exchange_weak(&tc__high_water, &hw, i + 1))
			;
		return t;
	}
	return NULL;
}

/* The slot of the live or finished-unjoined thread whose pthread_t is SELF, or NULL. */
static struct tc__thread *tc__find_self(pthread_t self)
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

/* Threads that cannot be joined any more because they were joined or detached, remembered
 * after their slot is gone so that a second join is reported instead of crashing. A handle
 * is forgotten when pthread_create hands it out again. */
#define TC__GONE 256
enum { TC__GONE_JOINED = 1, TC__GONE_DETACHED };

struct tc__gone {
	_Atomic uintptr_t self;     /* 0: unused */
	_Atomic int how, label;
	_Atomic pid_t tid;
	_Atomic uintptr_t start_fn, create_site;
};

static struct tc__gone tc__gone[TC__GONE];
static _Atomic unsigned tc__gone_next;

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

/* The remembered thread whose handle was SELF, or NULL. */
static struct tc__gone *tc__gone_find(pthread_t self)
{
	for (int i = 0; i < TC__GONE; i++)
		if (atomic_load(&tc__gone[i].self) == (uintptr_t)self)
			return &tc__gone[i];
	return NULL;
}

/* SELF now names a new thread. */
static void tc__gone_forget(pthread_t self)
{
	for (int i = 0; i < TC__GONE; i++) {
		uintptr_t v = (uintptr_t)self;

		(void)atomic_compare_exchange_strong(&tc__gone[i].self, &v, 0);
	}
}

/* Frees T's slot if it is finished; several parties may try (finisher, detacher, joiner)
 * and the compare-exchange lets exactly one succeed. HOW (TC__GONE_*) says why T can no
 * longer be joined; it is remembered first, while T's handle cannot have been reused. */
static void tc__slot_release(struct tc__thread *t, int how)
{
	int expect = TC__FINISHED;

	tc__gone_add(t, how);
	(void)atomic_compare_exchange_strong(&t->state, &expect, TC__FREE);
}

/* Marks the calling thread's record finished; a detached thread's slot is freed at once.
 * A thread that still holds locks is reported; SITE is its pthread_exit call, NULL when it
 * returned from its start routine or was cancelled. */
static void tc__finish(struct tc__thread *t, void *site)
{
	if (t == NULL || tc__me != t)
		return;
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

/* Records in the calling thread's slot that it is about to block in OP on OBJ, called from
 * SITE; TIMED says the call has a timeout. Does nothing for an untracked thread. */
static void tc__wait_begin(enum tc__op op, const void *obj, void *site, int timed)
{
	struct tc__thread *t = tc__me;

	if (t == NULL)
		return;
	unsigned s = atomic_load_explicit(&t->wait_seq, memory_order_relaxed);
	/* Seqlock writer: odd while rewriting, so a reader never pairs this op with the
	 * previous call's object. Only this thread ever writes its own record. */
	atomic_store_explicit(&t->wait_seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&t->wait_obj, (uintptr_t)obj, memory_order_relaxed);
	atomic_store_explicit(&t->wait_site, (uintptr_t)site, memory_order_relaxed);
	atomic_store_explicit(&t->wait_timed, timed, memory_order_relaxed);
	atomic_store_explicit(&t->wait_op, op, memory_order_relaxed);
	atomic_store_explicit(&t->wait_seq, s + 2, memory_order_release);
}

/* Clears what tc__wait_begin recorded, once the blocking call has returned. */
static void tc__wait_end(void)
{
	struct tc__thread *t = tc__me;

	if (t == NULL)
		return;
	atomic_store_explicit(&t->wait_op, TC__OP_NONE, memory_order_release);
}

int tc__read_wait(struct tc__thread *t, struct tc__wait *out)
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
		if (atomic_load_explicit(&t->wait_seq, memory_order_relaxed) == s1)
			return 0;
	}
	out->op = TC__OP_NONE;
	return -1;
}

/* Copies at most LEN-1 bytes of what /proc says is TID's name into BUF. Returns 0 or -1. */
static int tc__proc_comm(pid_t tid, char *buf, size_t len)
{
	char path[64];
	struct tc__buf b = { path, 0, sizeof path };
	ssize_t n;
	int fd;

	if (tid > 0)
		tc__bprintf(&b, "/proc/self/task/%d/comm", (int)tid);
	else
		tc__bprintf(&b, "/proc/self/comm");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
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
	if (buf[0] == '\0' && alive && tc__proc_comm(atomic_load(&t->tid), buf, len) == 0) {
		/* An unnamed thread inherits the process's name; only a different one was set. */
		if (tc__proc_comm(0, proc, sizeof proc) == 0 && strcmp(proc, buf) == 0)
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

/* ---- interposed thread lifecycle --------------------------------------------------- */

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
	ret = t->user_start(t->user_arg);
	if (!keyed)
		tc__finish(t, NULL);
	return ret;
}

/* The interposed lifecycle calls behave exactly like the real ones (same return values and
 * errno); they only add bookkeeping, and when the registry is full a thread simply goes
 * untracked. */
int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
		   void *arg)
{
	void *site = __builtin_return_address(0);
	int detached = 0;
	struct tc__thread *t;
	int rc;

	if (!tc__active())
		return tc__real_pthread_create()(thread, attr, start, arg);
	tc__watchdog_start();
	if (attr != NULL) {
		int ds = PTHREAD_CREATE_JOINABLE;

		if (pthread_attr_getdetachstate(attr, &ds) == 0 && ds == PTHREAD_CREATE_DETACHED)
			detached = 1;
	}
	t = tc__slot_new(start, arg, site, detached);
	if (t == NULL) {
		atomic_fetch_add(&tc__untracked, 1);
		rc = tc__real_pthread_create()(thread, attr, start, arg);
		if (rc == 0)
			tc__gone_forget(*thread);
		return rc;
	}
	rc = tc__real_pthread_create()(thread, attr, tc__trampoline, t);
	if (rc != 0) {
		atomic_store(&t->state, TC__FREE);
		return rc;
	}
	/* The child stores the same value; storing it here too means that a join issued as
	 * soon as we return finds the slot even if the child has not run yet. */
	atomic_store(&t->self, (uintptr_t)*thread);
	return 0;
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

int tc__create_internal(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
			void *arg)
{
	return tc__real_pthread_create()(thread, attr, start, arg);
}

/* After a successful join of THREAD (whose slot, looked up before the join, is T). */
static void tc__joined(struct tc__thread *t, pthread_t thread)
{
	int running = TC__RUNNING;

	if (t == NULL || atomic_load(&t->self) != (uintptr_t)thread)
		return;
	/* Still RUNNING after the join returned: the thread ended by a raw exit system call,
	 * without our record hearing of it. The join proves it ended; only the joiner, who
	 * holds its handle, moves the slot on. */
	(void)atomic_compare_exchange_strong(&t->state, &running, TC__FINISHED);
	tc__slot_release(t, TC__GONE_JOINED);
}

/* Before a join of THREAD (whose slot, looked up first, is T; NULL when it has none) from
 * SITE: returns 0 when the join may go ahead, or EINVAL after reporting a join of a detached
 * or already joined thread, whose handle may point to freed memory by now. */
static int tc__join_check(pthread_t thread, struct tc__thread *t, const char *call, void *site)
{
	struct tc__misuse_info mi = { .call = call, .obj = (void *)thread, .site = site };
	struct tc__gone *g;

	if (tc__me == NULL)
		return 0;
	mi.me = tc__me;
	if (t != NULL) {
		if (!atomic_load(&t->detached))
			return 0;
		mi.what = TC__MISUSE_JOIN_DETACHED;
		mi.other_label = t->label;
		mi.other_tid = atomic_load(&t->tid);
		mi.other_start = t->start_fn;
		mi.other_create = t->create_site;
	} else {
		g = tc__gone_find(thread);
		if (g == NULL)
			return 0;
		mi.what = atomic_load(&g->how) == TC__GONE_DETACHED ? TC__MISUSE_JOIN_DETACHED
								     : TC__MISUSE_JOIN_TWICE;
		mi.other_label = atomic_load(&g->label);
		mi.other_tid = atomic_load(&g->tid);
		mi.other_start = (void *)atomic_load(&g->start_fn);
		mi.other_create = (void *)atomic_load(&g->create_site);
	}
	tc__misuse_report(&mi);
	return EINVAL;
}

int pthread_join(pthread_t thread, void **ret)
{
	struct tc__thread *t;
	int rc;

	if (!tc__active())
		return tc__real_pthread_join()(thread, ret);
	t = tc__find_self(thread);
	if (tc__join_check(thread, t, "pthread_join", __builtin_return_address(0)) != 0)
		return EINVAL;
	tc__wait_begin(TC__OP_JOIN, (void *)thread, __builtin_return_address(0), 0);
	if (tc__me != NULL)
		tc__deadlock_probe(tc__me);
	rc = tc__real_pthread_join()(thread, ret);
	tc__wait_end();
	if (rc == 0)
		tc__joined(t, thread);
	return rc;
}

int pthread_tryjoin_np(pthread_t thread, void **ret)
{
	struct tc__thread *t;
	int rc;

	if (!tc__active())
		return tc__real_pthread_tryjoin_np()(thread, ret);
	t = tc__find_self(thread);
	if (tc__join_check(thread, t, "pthread_tryjoin_np", __builtin_return_address(0)) != 0)
		return EINVAL;
	rc = tc__real_pthread_tryjoin_np()(thread, ret);
	if (rc == 0)
		tc__joined(t, thread);
	return rc;
}

int pthread_timedjoin_np(pthread_t thread, void **ret, const struct timespec *abstime)
{
	struct tc__thread *t;
	int rc;

	if (!tc__active())
		return tc__real_pthread_timedjoin_np()(thread, ret, abstime);
	t = tc__find_self(thread);
	if (tc__join_check(thread, t, "pthread_timedjoin_np", __builtin_return_address(0)) != 0)
		return EINVAL;
	tc__wait_begin(TC__OP_JOIN, (void *)thread, __builtin_return_address(0), 1);
	rc = tc__real_pthread_timedjoin_np()(thread, ret, abstime);
	tc__wait_end();
	if (rc == 0)
		tc__joined(t, thread);
	return rc;
}

int pthread_clockjoin_np(pthread_t thread, void **ret, clockid_t clk,
			 const struct timespec *abstime)
{
	struct tc__thread *t;
	int rc;

	if (!tc__active())
		return tc__real_pthread_clockjoin_np()(thread, ret, clk, abstime);
	t = tc__find_self(thread);
	if (tc__join_check(thread, t, "pthread_clockjoin_np", __builtin_return_address(0)) != 0)
		return EINVAL;
	tc__wait_begin(TC__OP_JOIN, (void *)thread, __builtin_return_address(0), 1);
	rc = tc__real_pthread_clockjoin_np()(thread, ret, clk, abstime);
	tc__wait_end();
	if (rc == 0)
		tc__joined(t, thread);
	return rc;
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
		mi.other_label = t->label;
		mi.other_tid = atomic_load(&t->tid);
		mi.other_start = t->start_fn;
		mi.other_create = t->create_site;
	} else if ((g = tc__gone_find(thread)) != NULL) {
		mi.what = atomic_load(&g->how) == TC__GONE_DETACHED ? TC__MISUSE_DETACH_DETACHED
								     : TC__MISUSE_DETACH_JOINED;
		mi.other_label = atomic_load(&g->label);
		mi.other_tid = atomic_load(&g->tid);
		mi.other_start = (void *)atomic_load(&g->start_fn);
		mi.other_create = (void *)atomic_load(&g->create_site);
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

	if (rc == 0 && tc__active()) {
		struct tc__thread *t = tc__find_self(thread);
		size_t i;

		if (t == NULL)
			return rc;
		for (i = 0; i + 1 < TC__NAME_LEN && name[i] != '\0'; i++)
			atomic_store_explicit(&t->name[i], name[i], memory_order_relaxed);
		atomic_store_explicit(&t->name[i], 0, memory_order_relaxed);
	}
	return rc;
}

/* ---- lock ownership ---------------------------------------------------------------- */

/* The index of OBJ in T's held list, or -1. Only T itself calls this. */
static int tc__held_find(struct tc__thread *t, const void *obj)
{
	int n = atomic_load_explicit(&t->nheld, memory_order_relaxed);

	/* From the top: locks are mostly released in the reverse order of taking them. */
	for (int i = n - 1; i >= 0; i--)
		if (atomic_load_explicit(&t->held[i].obj, memory_order_relaxed) == (uintptr_t)obj)
			return i;
	return -1;
}

/* Records that the calling thread T now holds OBJ in MODE, taken at SITE. A re-entry (a
 * recursive mutex, a second read lock) only counts up when REENTRANT says it can be one. */
static void tc__held_add(struct tc__thread *t, const void *obj, int mode, void *site,
			 int reentrant)
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

/* Forgets one hold of OBJ by the calling thread T (all of them when ALL is set), keeping
 * the order of the others. Stores the removed entry's site in *SITE when SITE is not NULL.
 * Returns the count removed, 0 when T was not known to hold OBJ. */
static __attribute__((noinline)) int tc__held_drop(struct tc__thread *t, const void *obj, int all,
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
	for (int k = i; k + 1 < n; k++) {
		struct tc__held *d = &t->held[k], *s = &t->held[k + 1];

		atomic_store_explicit(&d->obj, atomic_load_explicit(&s->obj, memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(&d->site, atomic_load_explicit(&s->site, memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(&d->count, atomic_load_explicit(&s->count, memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(&d->mode, atomic_load_explicit(&s->mode, memory_order_relaxed),
				      memory_order_relaxed);
	}
	atomic_store_explicit(&t->nheld, n - 1, memory_order_release);
	return c;
}

/* glibc's mutex kind without the robust, priority and elision flags. The layout of
 * pthread_mutex_t's __data is part of glibc's public headers. */
static int tc__mutex_kind(const pthread_mutex_t *m)
{
	return m->__data.__kind & 0x7f;
}

/* Whether glibc's lock word says M is locked (by anyone). Read racily on purpose: it is
 * only consulted when the caller does not hold M by our records. */
static int tc__mutex_locked(const pthread_mutex_t *m)
{
	return __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) != 0;
}

/* The tid glibc recorded as M's owner (every kind records it), 0 when none. */
static pid_t tc__mutex_owner(const pthread_mutex_t *m)
{
	return __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
}

/* A live thread other than ME whose held list has OBJ, with the site that took it in *SITE;
 * else the live thread whose tid is OWNER (site unknown); else NULL. */
static struct tc__thread *tc__holder(const struct tc__thread *me, const void *obj, pid_t owner,
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

/* Fills MI's other thread from T (NULL: none known) and the site SITE where it took the
 * lock. */
static void tc__misuse_other(struct tc__misuse_info *mi, struct tc__thread *t, void *site)
{
	mi->other_label = t != NULL ? t->label : -1;
	mi->other_tid = t != NULL ? atomic_load(&t->tid) : 0;
	mi->other_start = t != NULL ? t->start_fn : NULL;
	mi->other_create = t != NULL ? t->create_site : NULL;
	mi->other_hold_site = site;
}

/* ME unlocks M, which it does not hold by our records, from SITE: reports it unless glibc
 * says ME owns M after all (a lock taken past the held list's end, or through a call we do
 * not see). */
static __attribute__((noinline)) void tc__unlock_check(struct tc__thread *me, pthread_mutex_t *m,
						       void *site)
{
	struct tc__misuse_info mi = { .me = me, .call = "pthread_mutex_unlock", .obj = m,
				      .site = site, .other_label = -1 };
	pid_t owner = tc__mutex_owner(m);
	void *hsite = NULL;

	if (!tc__mutex_locked(m)) {
		mi.what = TC__MISUSE_UNLOCK_UNLOCKED;
	} else {
		if (owner == atomic_load(&me->tid))
			return;
		struct tc__thread *h = tc__holder(me, m, owner, &hsite);

		mi.what = TC__MISUSE_UNLOCK_NOT_OWNER;
		tc__misuse_other(&mi, h, hsite);
	}
	tc__misuse_report(&mi);
}

/* T took OBJ with a call that could have waited forever: notes the lock-order edges from
 * the locks it holds (not for a re-entry), then records the hold. The nheld test keeps the
 * common case, no other lock held, down to one load. */
static __attribute__((noinline)) void tc__took_blocking_slow(struct tc__thread *t,
							     const void *obj, int mode,
							     void *site, int reentrant)
{
	if (atomic_load_explicit(&t->nheld, memory_order_relaxed) > 0 && tc__held_find(t, obj) < 0)
		tc__order_acquire(t, obj, mode, site);
	tc__held_add(t, obj, mode, site, reentrant);
}

/* Fills T's first held entry, which is not in use (T's nheld is 0): readers look only below
 * nheld, so the entry can be written before the lock is taken and published after with a
 * single store. */
static inline void tc__held_stage0(struct tc__thread *t, const void *obj, int mode, void *site)
{
	atomic_store_explicit(&t->held[0].obj, (uintptr_t)obj, memory_order_relaxed);
	atomic_store_explicit(&t->held[0].site, (uintptr_t)site, memory_order_relaxed);
	atomic_store_explicit(&t->held[0].count, 1, memory_order_relaxed);
	atomic_store_explicit(&t->held[0].mode, mode, memory_order_relaxed);
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

/* Inlined into the unlock wrappers: forgets one hold of OBJ like tc__held_drop, with the
 * common case (OBJ is the last lock taken, held once) as one load, a compare and a store.
 * Returns what tc__held_drop returns. */
static inline int tc__held_pop(struct tc__thread *t, const void *obj)
{
	int n = atomic_load_explicit(&t->nheld, memory_order_relaxed);

	if (__builtin_expect(n > 0, 1) &&
	    atomic_load_explicit(&t->held[n - 1].obj, memory_order_relaxed) == (uintptr_t)obj &&
	    atomic_load_explicit(&t->held[n - 1].count, memory_order_relaxed) == 1) {
		atomic_store_explicit(&t->nheld, n - 1, memory_order_release);
		return 1;
	}
	return tc__held_drop(t, obj, 0, NULL);
}

/* ---- interposed blocking calls ----------------------------------------------------- */

/* Each wrapper records (op, object, call site) for the duration of the real call. The
 * return address points just after the call instruction; the symboliser subtracts 1. */
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
	rc = tc__real_pthread_mutex_lock()(m);
	tc__wait_end();
	if (tc__mutex_owned(rc))
		tc__took_blocking(me, m, TC__HOLD_MUTEX, site, kind == PTHREAD_MUTEX_RECURSIVE_NP);
	return rc;
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	struct tc__thread *me;
	void *site = __builtin_return_address(0);
	int rc, n;

	if (!tc__active() || (me = tc__me) == NULL)
		return tc__real_pthread_mutex_lock()(m);
	/* Why trylock first: the uncontended path then costs one atomic and a held-list push,
	 * and only a caller that is really about to sleep publishes its wait and looks for a
	 * cycle. The common case, no other lock held: the entry is written before the lock is
	 * taken (readers look only below nheld), so that holding it costs one store after the
	 * lock is taken. */
	n = atomic_load_explicit(&me->nheld, memory_order_relaxed);
	if (n == 0)
		tc__held_stage0(me, m, TC__HOLD_MUTEX, site);
	rc = tc__real_pthread_mutex_trylock()(m);
	if (__builtin_expect(rc == 0 && n == 0, 1)) {
		atomic_store_explicit(&me->nheld, 1, memory_order_release);
		return 0;
	}
	return tc__mutex_lock_slow(me, m, rc, site);
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
	struct tc__thread *me;
	int rc = tc__real_pthread_mutex_trylock()(m);

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
	tc__wait_begin(TC__OP_MUTEX, m, site, 1);
	rc = tc__real_pthread_mutex_timedlock()(m, abstime);
	tc__wait_end();
	if (tc__mutex_owned(rc))
		tc__held_add(me, m, TC__HOLD_MUTEX, site,
			     tc__mutex_kind(m) == PTHREAD_MUTEX_RECURSIVE_NP);
	return rc;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
	struct tc__thread *me;

	/* Forgotten before the real unlock: the record may miss a lock for an instant, but it
	 * never shows one lock held by two threads. The real call is made even after a misuse:
	 * the program behaves as it would without us. */
	if (tc__active() && (me = tc__me) != NULL && tc__held_pop(me, m) == 0)
		tc__unlock_check(me, m, __builtin_return_address(0));
	return tc__real_pthread_mutex_unlock()(m);
}

/* The live thread labelled LABEL, or NULL. */
static struct tc__thread *tc__find_label(int label)
{
	int hw = atomic_load(&tc__high_water);

	for (int i = 0; i < hw; i++)
		if (atomic_load(&tc__threads[i].state) == TC__RUNNING && tc__threads[i].label == label)
			return &tc__threads[i];
	return NULL;
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

int pthread_mutex_destroy(pthread_mutex_t *m)
{
	struct tc__thread *me;
	int rc;

	if (!tc__active())
		return tc__real_pthread_mutex_destroy()(m);
	if ((me = tc__me) != NULL && tc__mutex_locked(m)) {
		struct tc__misuse_info mi = { .what = TC__MISUSE_DESTROY_LOCKED, .me = me,
					      .call = "pthread_mutex_destroy", .obj = m,
					      .site = __builtin_return_address(0) };
		int i = tc__held_find(me, m);
		void *hsite = NULL;

		if (i >= 0) {
			tc__misuse_other(&mi, me, (void *)atomic_load(&me->held[i].site));
		} else {
			struct tc__thread *h = tc__holder(me, m, tc__mutex_owner(m), &hsite);

			tc__misuse_other(&mi, h, hsite);
		}
		tc__misuse_report(&mi);
	}
	rc = tc__real_pthread_mutex_destroy()(m);
	if (rc == 0) {
		tc__order_forget(m);
		tc__live_mutex_remove(m);
	}
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

/* ME waits on C with M at SITE and does not hold M by our records: reports it unless glibc
 * says ME owns M after all. */
static void tc__cond_check(struct tc__thread *me, pthread_cond_t *c, pthread_mutex_t *m,
			   const char *call, void *site)
{
	struct tc__misuse_info mi = { .what = TC__MISUSE_COND_WAIT_UNLOCKED, .me = me,
				      .call = call, .obj = m, .obj2 = c, .site = site };
	void *hsite = NULL;

	if (tc__mutex_locked(m) && tc__mutex_owner(m) == atomic_load(&me->tid))
		return;
	struct tc__thread *h = tc__mutex_locked(m) ? tc__holder(me, m, tc__mutex_owner(m), &hsite)
						   : NULL;

	tc__misuse_other(&mi, h, hsite);
	tc__misuse_report(&mi);
}

/* A condition wait releases M for its duration and takes it back before returning (inside
 * glibc, where we do not see it): the hold is set aside and put back with its first site.
 * Taking it back can wait forever, so it counts for lock order like a lock at the wait. */
#define TC__COND_WAIT(timed, call, name)                                                    \
	do {                                                                                \
		struct tc__thread *me_;                                                     \
		uintptr_t site_ = 0;                                                        \
		void *where_ = __builtin_return_address(0);                                 \
		int rc_, n_;                                                                \
		if (!tc__active() || (me_ = tc__me) == NULL)                                \
			return call;                                                        \
		n_ = tc__held_drop(me_, m, 1, &site_);                                      \
		if (n_ == 0)                                                                \
			tc__cond_check(me_, c, m, name, where_);                            \
		tc__wait_begin(TC__OP_COND, c, where_, timed);                              \
		rc_ = call;                                                                 \
		tc__wait_end();                                                             \
		if (n_ > 0) {                                                               \
			if (atomic_load_explicit(&me_->nheld, memory_order_relaxed) > 0)     \
				tc__order_acquire(me_, m, TC__HOLD_MUTEX, where_);          \
			tc__held_add(me_, m, TC__HOLD_MUTEX, (void *)site_, 0);             \
			while (--n_ > 0)                                                    \
				tc__held_add(me_, m, TC__HOLD_MUTEX, (void *)site_, 1);     \
		}                                                                           \
		return rc_;                                                                 \
	} while (0)

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	TC__COND_WAIT(0, tc__real_pthread_cond_wait()(c, m), "pthread_cond_wait");
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime)
{
	TC__COND_WAIT(1, tc__real_pthread_cond_timedwait()(c, m, abstime), "pthread_cond_timedwait");
}

int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
			   const struct timespec *abstime)
{
	TC__COND_WAIT(1, tc__real_pthread_cond_clockwait()(c, m, clk, abstime),
		      "pthread_cond_clockwait");
}

/* Whether signals and broadcasts are checked: glibc's condition variable of 2.25 and later
 * (the 64-bit counters are read whole only on 64-bit machines). Set by the constructor. */
static int tc__cond_checks;

static uint64_t tc__load64(const pthread_cond_t *c, size_t off)
{
	return __atomic_load_n((const uint64_t *)((const char *)c + off), __ATOMIC_ACQUIRE);
}

/* Why C cannot be a condition variable, or NULL when it may be one. Each test is a fact of
 * every state glibc can leave a condvar in, whatever ran before or runs meanwhile (the
 * field meanings are those of glibc's pthread_cond_common.c, the same since 2.25); a
 * condvar overwritten with zeros is a new, valid one and passes. Offsets come from the
 * headers, which name these fields in every layout since. */
static const char *tc__cond_broken(const pthread_cond_t *c)
{
	unsigned wrefs = __atomic_load_n(&c->__data.__wrefs, __ATOMIC_RELAXED);
	unsigned orig = __atomic_load_n(&c->__data.__g1_orig_size, __ATOMIC_RELAXED);
	uint64_t g1, wseq;

	/* __wrefs counts waiters in steps of 8; no process has 1 << 22 threads (the kernel's
	 * largest pid_max). */
	if (wrefs >> 3 >= 1u << 22)
		return "it counts more waiters than a process can have threads";
	/* The low two bits of __g1_orig_size are a three-state lock: 0, 1 or 2. */
	if ((orig & 3) == 3)
		return "its internal lock is in a state that does not exist";
	/* __g1_start, the position of the oldest waiter group, never passes __wseq, the
	 * position of the next waiter. __wseq keeps a flag in its low bit, and __g1_start did
	 * until glibc 2.41: compared without that bit, the order holds in both. Read in that
	 * order, both only grow; a stale read of __wseq is ruled out by reading it again after
	 * a fence. */
	g1 = tc__load64(c, offsetof(pthread_cond_t, __data.__g1_start)) >> 1;
	wseq = tc__load64(c, offsetof(pthread_cond_t, __data.__wseq)) >> 1;
	if (g1 > wseq) {
		atomic_thread_fence(memory_order_seq_cst);
		wseq = tc__load64(c, offsetof(pthread_cond_t, __data.__wseq)) >> 1;
		if (g1 > wseq)
			return "its oldest waiter group starts after its newest waiter";
	}
	return NULL;
}

/* Before a signal or broadcast (CALL) on C from SITE: returns 0 when it may go ahead, or
 * EINVAL after reporting a C that is no condition variable. The real call is then not
 * made: on such bytes it may wait for ever for a lock word of garbage, or wake nobody. */
static int tc__cond_wake_check(pthread_cond_t *c, const char *call, void *site)
{
	struct tc__misuse_info mi = { .what = TC__MISUSE_COND_INVALID, .call = call, .obj = c,
				      .site = site, .other_label = -1 };

	if (!tc__cond_checks || (mi.me = tc__me) == NULL || (mi.why = tc__cond_broken(c)) == NULL)
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
	return tc__real_pthread_cond_signal()(c);
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
	int rc;

	if (tc__active() &&
	    (rc = tc__cond_wake_check(c, "pthread_cond_broadcast", __builtin_return_address(0))) != 0)
		return rc;
	return tc__real_pthread_cond_broadcast()(c);
}

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
	rc = try(l);
	if (rc != EBUSY) {
		if (rc == 0)
			tc__took_blocking(me, l, mode, site, !wr);
		return rc;
	}
	tc__wait_begin(wr ? TC__OP_RWLOCK_WR : TC__OP_RWLOCK_RD, l, site, 0);
	tc__deadlock_probe(me);
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
	int rc = tc__real_pthread_rwlock_tryrdlock()(l);

	if (rc == 0 && tc__active() && (me = tc__me) != NULL)
		tc__held_add(me, l, TC__HOLD_RD, __builtin_return_address(0), 1);
	return rc;
}

int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	struct tc__thread *me;
	int rc = tc__real_pthread_rwlock_trywrlock()(l);

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
	tc__wait_begin(wr ? TC__OP_RWLOCK_WR : TC__OP_RWLOCK_RD, l, site, 1);
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

	if (tc__active() && (me = tc__me) != NULL)
		(void)tc__held_drop(me, l, 0, NULL);
	return tc__real_pthread_rwlock_unlock()(l);
}

int sem_wait(sem_t *s)
{
	TC__WAITING(TC__OP_SEM, s, 0, tc__real_sem_wait()(s));
}

int sem_timedwait(sem_t *s, const struct timespec *abstime)
{
	TC__WAITING(TC__OP_SEM, s, 1, tc__real_sem_timedwait()(s, abstime));
}

int pthread_barrier_wait(pthread_barrier_t *b)
{
	TC__WAITING(TC__OP_BARRIER, b, 0, tc__real_pthread_barrier_wait()(b));
}

/* ---- the test API's view (threadcheck.h) ------------------------------------------- */

int threadcheck_active(void)
{
	return tc__active();
}

int threadcheck_internal_tid(pid_t tid)
{
	return tc__active() && tc__watchdog_tid(tid);
}

int threadcheck_describe_tid(pid_t tid, struct tc_thread_info *info)
{
	struct tc__thread *t;
	struct tc__wait w;
	void *addrs[3];
	struct tc__sym sym[3];

	if (info == NULL || info->size != sizeof *info)
		return -1;
	if (!tc__active())
		return 0;
	t = tc__find_tid(tid);
	if (t == NULL)
		return 0;
	if (tc__read_wait(t, &w) != 0)
		w.op = TC__OP_NONE;
	info->label = t->label;
	info->creator = t->creator;
	addrs[0] = t->start_fn;
	addrs[1] = t->create_site != NULL ? (char *)t->create_site - 1 : NULL;
	addrs[2] = w.op != TC__OP_NONE && w.site != NULL ? (char *)w.site - 1 : NULL;
	tc__symbolize(addrs, sym, 3);
	snprintf(info->start_fn, sizeof info->start_fn, "%s", sym[0].function);
	snprintf(info->start_site, sizeof info->start_site, "%s", sym[0].fileline);
	snprintf(info->created_fn, sizeof info->created_fn, "%s", sym[1].function);
	snprintf(info->created_site, sizeof info->created_site, "%s", sym[1].fileline);
	info->wait_op[0] = '\0';
	info->wait_fn[0] = '\0';
	info->wait_site[0] = '\0';
	info->wait_obj = NULL;
	info->wait_timed = 0;
	if (w.op != TC__OP_NONE) {
		snprintf(info->wait_op, sizeof info->wait_op, "%s", tc__op_name(w.op));
		info->wait_obj = w.obj;
		info->wait_timed = w.timed;
		snprintf(info->wait_fn, sizeof info->wait_fn, "%s", sym[2].function);
		snprintf(info->wait_site, sizeof info->wait_site, "%s", sym[2].fileline);
	}
	return 1;
}

/* ---- exit ------------------------------------------------------------------------- */

/* Sleeps MS milliseconds, resuming after signals (nanosleep is not interposed). */
static void tc__sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* How many threads other than CALLER are still running: a RUNNING record whose task the
 * kernel no longer has does not count. */
static int tc__count_alive(const struct tc__thread *caller)
{
	int hw = atomic_load(&tc__high_water), n = 0;

	for (int i = 0; i < hw; i++) {
		const struct tc__thread *t = &tc__threads[i];

		if (t != caller && atomic_load(&t->state) == TC__RUNNING && !tc__thread_gone(t, 0))
			n++;
	}
	return n;
}

/* Runs after the program's own atexit handlers (it is registered first). Settles, then
 * reports; when it reports anything it ends the process with THREADCHECK_EXITCODE. */
static void tc__at_exit(void)
{
	struct tc__thread *caller = tc__me;
	int saved_errno = errno;

	int none = TC__REPORT_NONE;

	if (!tc__active())
		return;
	if (!atomic_compare_exchange_strong(&tc__exiting, &none, TC__REPORT_EXIT)) {
		/* The deadlock reporter owns the end of the process and will _exit it; leaving
		 * now would cut its report short. */
		if (none == TC__REPORT_DEADLOCK)
			for (;;)
				tc__sleep_ms(1000);
		return;
	}
	/* Settle: a thread that is just finishing, or about to wake from a signal sent right
	 * before exit, gets up to ~200 ms (1, 2, 4, ... ms) before it is declared leaked. */
	for (long slept = 0, step = 1; slept < 200 && tc__count_alive(caller) > 0; step *= 2) {
		long ms = step < 200 - slept ? step : 200 - slept;

		tc__sleep_ms(ms);
		slept += ms;
	}
	tc__report_at_exit(caller, atomic_load(&tc__untracked));
	errno = saved_errno;
}

/* In a forked child only the forking thread exists: the others' records (and a symboliser
 * lock another thread may have held) belong to the parent. */
static void tc__atfork_child(void)
{
	int hw = atomic_load(&tc__high_water);

	for (int i = 0; i < hw; i++)
		if (&tc__threads[i] != tc__me)
			atomic_store(&tc__threads[i].state, TC__FREE);
	tc__symbolize_atfork_child();
	tc__watchdog_atfork_child();
	tc__order_atfork_child();
	tc__misuse_atfork_child();
	if (tc__me != NULL) {
		atomic_store(&tc__me->tid, gettid());
		atomic_store(&tc__me->self, (uintptr_t)pthread_self());
	}
}

/* Whether the C library running is glibc MAJOR.MINOR or later. */
static int tc__glibc_at_least(int major, int minor)
{
	const char *v = gnu_get_libc_version();
	char *end;
	long ma = strtol(v, &end, 10), mi = *end == '.' ? strtol(end + 1, NULL, 10) : 0;

	return ma > major || (ma == major && mi >= minor);
}

/* Runs before the program's own constructors: resolves the real functions, decides the
 * mode, registers the main thread as T0 and the exit hook. Failing to register the hook
 * is reported on stderr; the library then only tracks. */
__attribute__((constructor)) static void tc__init(void)
{
	struct tc__thread *m = &tc__threads[0];

	/* First, outside any interposed call, so that dlsym's own locking and allocation never
	 * happen while a program lock is being taken. */
	tc__resolve_all();
	if (!tc__active()) {
		static const char pre[] = "threadcheck: passive (";
		(void)tc__write_all(2, pre, sizeof pre - 1);
		(void)tc__write_all(2, tc__passive_why, strlen(tc__passive_why));
		(void)tc__write_all(2, "); no thread-leak reports\n", 26);
		return;
	}
	m->label = 0;
	m->creator = -1;
	atomic_store(&m->self, (uintptr_t)pthread_self());
	atomic_store(&m->tid, gettid());
	atomic_store(&m->state, TC__RUNNING);
	int hw = atomic_load(&tc__high_water);
	while (hw < 1 && !atomic_compare_exchange_weak(&tc__high_water, &hw, 1))
		;
	tc__me = m;
	if (pthread_key_create(&tc__key, tc__key_destructor) == 0)
		atomic_store(&tc__key_ok, 1);
	tc__symbolize_init();
	tc__misuse_init();
	tc__cond_checks = sizeof(void *) == 8 && tc__glibc_at_least(2, 25);
	(void)pthread_atfork(NULL, NULL, tc__atfork_child);
	/* Registered before main runs, so it runs after every handler the program adds. */
	if (atexit(tc__at_exit) != 0) {
		static const char msg[] = "threadcheck: atexit failed; no exit report\n";
		(void)tc__write_all(2, msg, sizeof msg - 1);
	}
}
