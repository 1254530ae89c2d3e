/* tc_registry.h: the thread registry every part of threadcheck reads: one slot per thread with
 * its origin, the blocking call it is in (a wait record) and the locks it holds. */
#ifndef TC_REGISTRY_H
#define TC_REGISTRY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Internal to the library: not exported, and called directly rather than through the PLT. */
#pragma GCC visibility push(hidden)

/* The blocking operations threadcheck records. The names are FORMAT.md's `wait` ops. */
#define TC__WAIT_OPS(X)                                                                     \
	X(NONE, "-")                                                                        \
	X(MUTEX, "mutex")                                                                   \
	X(COND, "cond")                                                                     \
	X(JOIN, "join")                                                                     \
	X(RWLOCK_RD, "rwlock-rd")                                                           \
	X(RWLOCK_WR, "rwlock-wr")                                                           \
	X(SEM, "sem")                                                                       \
	X(BARRIER, "barrier")

enum tc__op {
#define X(e, name) TC__OP_##e,
	TC__WAIT_OPS(X)
#undef X
};

const char *tc__op_name(enum tc__op op);

/* Life of a registry slot: FREE -> CLAIMED (being filled) -> RUNNING -> FINISHED -> FREE.
 * A detached thread's slot goes back to FREE as soon as the thread finishes, a joinable
 * one's when it is joined. */
enum tc__slot_state { TC__FREE, TC__CLAIMED, TC__RUNNING, TC__FINISHED };

#define TC__MAX_THREADS 4096
#define TC__NAME_LEN 16
#define TC__MAX_HELD 16             /* locks one thread is known to hold at once */

/* How a lock is held (FORMAT.md's `holds` lines do not say, the wait-for graph does), as
 * X(ENUM, what the lock is, the call in lockdep's scenario table). */
#define TC__HOLD_MODES(X)                                                                   \
	X(MUTEX, "mutex", "lock")                                                           \
	X(RD, "rwlock", "rdlock")                                                           \
	X(WR, "rwlock", "wrlock")

enum tc__hold_mode {
#define X(e, obj, call) TC__HOLD_##e,
	TC__HOLD_MODES(X)
#undef X
};

/* What a lock held in MODE is ("mutex", "rwlock"), and the call that took it ("lock",
 * "rdlock", "wrlock"). */
const char *tc__hold_obj(int mode);
const char *tc__hold_call(int mode);

/* One lock a thread holds: written only by that thread; other threads read it while the
 * owner is blocked (and its wait_seq shows it stayed blocked). */
struct tc__held {
	_Atomic uintptr_t obj;
	_Atomic uintptr_t site;     /* return address of the call that acquired it */
	_Atomic int count;          /* re-entries of a recursive mutex or a read lock */
	_Atomic int mode;           /* enum tc__hold_mode */
};

/* One thread. Fields written once before the thread is published (start_fn, create_site,
 * creator, label) are plain; everything another thread may read while this one runs is
 * atomic. The wait record is guarded by a sequence counter that only the owner writes. */
struct tc__thread {
	_Atomic int state;          /* enum tc__slot_state */
	int label;                  /* N of "TN": 0 is the main thread, then creation order */
	int creator;                /* label of the creating thread, -1 when unknown */
	void *start_fn;             /* the start routine given to pthread_create */
	void *create_site;          /* return address of the pthread_create call */
	void *(*user_start)(void *);
	void *user_arg;
	_Atomic uintptr_t self;     /* pthread_t, stored as an integer */
	_Atomic pid_t tid;
	_Atomic int detached;
	_Atomic int exit_caller;    /* this thread called exit() (it is "main" for the report) */
	/* Written and read by the owner only, at its end: the pthread_exit call (NULL: it
	 * returned or was cancelled), and how often its end was put off to a later round of
	 * thread-specific destructors (see tc_wrap_thread.c). */
	void *exit_site;
	int end_deferred;
	/* The wait record and the held list are written by the owner at every blocking call
	 * and every lock operation: each starts a cache line of its own, so that the owner's
	 * stores never share a line with the fields above (which other threads read while
	 * scanning the registry) nor with another thread's slot. */
	_Alignas(64) _Atomic unsigned wait_seq; /* odd while the owner rewrites the wait fields */
	_Atomic int wait_op;        /* enum tc__op */
	_Atomic int wait_timed;
	_Atomic uintptr_t wait_obj;
	_Atomic uintptr_t wait_site;
	_Atomic char name[TC__NAME_LEN]; /* set by pthread_setname_np through us, else empty */
	_Alignas(64) _Atomic int nheld; /* entries in use in held[], written by the owner only */
	_Atomic int held_lost;      /* locks it took while held[] was full (not tracked) */
	struct tc__held held[TC__MAX_HELD];
};

/* A consistent copy of a thread's wait record. */
struct tc__wait {
	enum tc__op op;
	int timed;
	void *obj;
	void *site;
};

extern struct tc__thread tc__threads[TC__MAX_THREADS];
extern _Atomic int tc__high_water;  /* slots [0, high_water) have ever been used */
/* The calling thread's slot; NULL for a thread the registry does not track (and for every
 * thread while the library is passive). Why initial-exec: the library is preloaded, so its
 * TLS is static and this model never calls __tls_get_addr (which may allocate) from inside
 * an interposed pthread call. */
extern __thread struct tc__thread *tc__me __attribute__((tls_model("initial-exec")));

/* ---- slots --------------------------------------------------------------------------- */

/* Makes slot 0 the calling (main) thread's, T0, for the whole run. */
void tc__registry_init_main(void);
/* Claims a free slot for a thread about to be created by the calling thread and fills its
 * creation fields; the slot is published as RUNNING. Returns NULL when all slots are in use
 * (the thread is then untracked and counted, see tc__registry_untracked). */
struct tc__thread *tc__slot_new(void *(*start)(void *), void *arg, void *site, int detached);
/* How many threads were created while the registry was full. */
int tc__registry_untracked(void);
/* The slot of the live or finished-unjoined thread whose pthread_t is SELF, or NULL. */
struct tc__thread *tc__find_self(pthread_t self);
/* The RUNNING slot whose tid is TID, or NULL. */
struct tc__thread *tc__find_tid(pid_t tid);
/* The RUNNING slot labelled LABEL, or NULL. */
struct tc__thread *tc__find_label(int label);
/* Whether T, a RUNNING slot, is a thread that ended without telling us (a raw exit system
 * call, as bionic's pthread_exit makes after unmapping its own stack): the kernel has no
 * task with T's tid in this process, or, when REUSE is set, a thread created after T was
 * given that tid since. Reads nothing of the thread's own memory; never changes T. */
int tc__thread_gone(const struct tc__thread *t, int reuse);
/* How many threads other than CALLER are still running: a RUNNING record whose task the
 * kernel no longer has does not count. */
int tc__count_alive(const struct tc__thread *caller);
/* The name T gave itself through pthread_setname_np, or read from /proc for a live thread,
 * with spaces and control characters replaced; "-" when it has none. */
void tc__thread_name(struct tc__thread *t, int alive, char *buf, size_t len);
/* In a forked child only the calling thread exists: every other slot is freed and the
 * caller's tid and handle are renewed. */
void tc__registry_atfork_child(void);

/* ---- threads that were joined or detached -------------------------------------------- */

/* Threads that cannot be joined any more because they were joined or detached, remembered
 * after their slot is gone so that a second join is reported instead of crashing. A handle
 * is forgotten when pthread_create hands it out again. */
enum { TC__GONE_JOINED = 1, TC__GONE_DETACHED };

struct tc__gone {
	_Atomic uintptr_t self;     /* 0: unused */
	_Atomic int how, label;
	_Atomic pid_t tid;
	_Atomic uintptr_t start_fn, create_site;
};

/* The remembered thread whose handle was SELF, or NULL. */
struct tc__gone *tc__gone_find(pthread_t self);
/* SELF now names a new thread. */
void tc__gone_forget(pthread_t self);
/* Frees T's slot if it is finished; several parties may try (finisher, detacher, joiner)
 * and exactly one succeeds. HOW (TC__GONE_*) says why T can no longer be joined; it is
 * remembered first, while T's handle cannot have been reused. */
void tc__slot_release(struct tc__thread *t, int how);

/* ---- the wait record ------------------------------------------------------------------ */

/* Records in the calling thread's slot that it is about to block in OP on OBJ, called from
 * SITE; TIMED says the call has a timeout. Does nothing for an untracked thread. */
static inline void tc__wait_begin(enum tc__op op, const void *obj, void *site, int timed)
{
	struct tc__thread *t = tc__me;

	if (t == NULL)
		return;
	unsigned s = atomic_load_explicit(&t->wait_seq, memory_order_relaxed);
	/* Writer of a sequence lock: odd while rewriting, so a reader never pairs this op with
	 * the previous call's object. Only this thread ever writes its own record. */
	atomic_store_explicit(&t->wait_seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&t->wait_obj, (uintptr_t)obj, memory_order_relaxed);
	atomic_store_explicit(&t->wait_site, (uintptr_t)site, memory_order_relaxed);
	atomic_store_explicit(&t->wait_timed, timed, memory_order_relaxed);
	atomic_store_explicit(&t->wait_op, op, memory_order_relaxed);
	atomic_store_explicit(&t->wait_seq, s + 2, memory_order_release);
}

/* Clears what tc__wait_begin recorded, once the blocking call has returned. */
static inline void tc__wait_end(void)
{
	struct tc__thread *t = tc__me;

	if (t == NULL)
		return;
	atomic_store_explicit(&t->wait_op, TC__OP_NONE, memory_order_release);
}

/* The one reader of a wait record: copies T's wait consistently into *OUT and, when SEQ is
 * not NULL, the sequence number it belongs to into *SEQ (a thread's waits are told apart by
 * it). Returns 0, or -1 when T kept changing it (OUT's op is then TC__OP_NONE). */
int tc__wait_read(struct tc__thread *t, struct tc__wait *out, unsigned *seq);

/* Whether W is a wait that only another thread's progress can end (no timeout). */
static inline int tc__wait_forever(const struct tc__wait *w)
{
	return w->op != TC__OP_NONE && !w->timed;
}

/* ---- the held list -------------------------------------------------------------------- */

/* The index of OBJ in T's held list, or -1. Only T itself calls this. */
static inline int tc__held_find(struct tc__thread *t, const void *obj)
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
void tc__held_add(struct tc__thread *t, const void *obj, int mode, void *site, int reentrant);
/* Forgets one hold of OBJ by the calling thread T (all of them when ALL is set), keeping
 * the order of the others. Stores the removed entry's site in *SITE when SITE is not NULL.
 * Returns the count removed, 0 when T was not known to hold OBJ. */
int tc__held_drop(struct tc__thread *t, const void *obj, int all, uintptr_t *site);

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

/* Forgets one hold of OBJ like tc__held_drop, with the common case (OBJ is the last lock
 * taken, held once) as one load, a compare and a store. Returns what tc__held_drop
 * returns. */
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

/* A live thread other than ME whose held list has OBJ, with the site that took it in *SITE;
 * else the live thread whose tid is OWNER (site unknown); else NULL. */
struct tc__thread *tc__holder(const struct tc__thread *me, const void *obj, pid_t owner,
			      void **site);

#pragma GCC visibility pop

#endif
