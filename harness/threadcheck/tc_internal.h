/* tc_internal.h: the thread registry and the helpers that libthreadcheck.so's files share. */
#ifndef TC_INTERNAL_H
#define TC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Never compiled out: an impossible state in the checker is reported with file:line and the
 * expression, then the process aborts (the harness then sees a crash, not a clean run). */
#define TC__ASSERT(expr)                                                                    \
	do {                                                                                \
		if (!(expr))                                                                \
			tc__assert_fail(__FILE__, __LINE__, #expr);                        \
	} while (0)
_Noreturn void tc__assert_fail(const char *file, int line, const char *expr);

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

/* How a lock is held: FORMAT.md's `holds` lines do not say, the wait-for graph does. */
enum tc__hold_mode { TC__HOLD_MUTEX, TC__HOLD_RD, TC__HOLD_WR };

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
 * atomic. The wait triple is guarded by a sequence counter that only the owner writes. */
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
	 * thread-specific destructors (see tc__key_destructor). */
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

/* A consistent copy of a thread's wait state. */
struct tc__wait {
	enum tc__op op;
	int timed;
	void *obj;
	void *site;
};

/* A symbolised address: "function" and "file:line" ("?" and "?:0" when unknown). */
struct tc__sym {
	char function[128];
	char fileline[320];
};

/* Registry access (threadcheck.c). */
extern struct tc__thread tc__threads[TC__MAX_THREADS];
extern _Atomic int tc__high_water;  /* slots [0, high_water) have ever been used */
/* Who reports: 0 nobody yet, TC__REPORT_EXIT the exit handler, TC__REPORT_DEADLOCK the
 * deadlock reporter. Whoever sets it first owns the process's end. */
enum { TC__REPORT_NONE, TC__REPORT_EXIT, TC__REPORT_DEADLOCK };
extern _Atomic int tc__exiting;
struct tc__thread *tc__find_tid(pid_t tid);
/* Whether T, a RUNNING slot, is a thread that ended without telling us (a raw exit system
 * call, as bionic's pthread_exit makes after unmapping its own stack): the kernel has no
 * task with T's tid in this process, or, when REUSE is set, a thread created after T was
 * given that tid since. Reads nothing of the thread's own memory; never changes T. */
int tc__thread_gone(const struct tc__thread *t, int reuse);
/* Copies T's wait state consistently. Returns 0, or -1 when T kept changing it. */
int tc__read_wait(struct tc__thread *t, struct tc__wait *out);
/* The name T gave itself through pthread_setname_np, or read from /proc for a live thread,
 * with spaces and control characters replaced; "-" when it has none. */
void tc__thread_name(struct tc__thread *t, int alive, char *buf, size_t len);

/* Symbolisation (tc_symbolize.c). Fills OUT[i] for ADDRS[i]; never fails: what cannot be
 * resolved becomes "?" / "?:0". Spawns addr2line once per module (bounded by a timeout).
 * Callers are serialised by a spinlock; its own data lives in static buffers, and the only
 * allocation is inside posix_spawn's file actions. */
void tc__symbolize(void *const *addrs, struct tc__sym *out, size_t n);
/* Records the path of the running executable (done once at start, before any chdir). */
void tc__symbolize_init(void);
/* Releases the symboliser's lock in a forked child, where its holder does not exist. */
void tc__symbolize_atfork_child(void);

/* The exit report (tc_report.c). Reports what the registry shows now, leaving out CALLER
 * (the thread that called exit); UNTRACKED is how many threads the full registry missed.
 * Returns when there is nothing to report, else ends the process with
 * _exit(THREADCHECK_EXITCODE). */
void tc__report_at_exit(struct tc__thread *caller, int untracked);

/* Starts a thread of the library's own through the real pthread_create: it gets no slot.
 * Returns pthread_create's result. */
int tc__create_internal(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
			void *arg);

/* Live deadlock detection (tc_deadlock.c). */
/* Starts the watchdog thread once (the caller is pthread_create, before the first thread
 * exists); on failure the watchdog is missing and only self-deadlocks are found. */
void tc__watchdog_start(void);
/* Whether TID is the watchdog (a thread of the library, never reported). */
int tc__watchdog_tid(pid_t tid);
/* In a forked child: the watchdog did not survive; the next pthread_create restarts it. */
void tc__watchdog_atfork_child(void);
/* Called by ME right after it published an untimed wait on a lock or a join: follows the
 * chain holder -> what it waits for, and wakes the watchdog when the chain comes back to ME.
 * Cheap when the chain is short; never blocks. */
void tc__deadlock_probe(struct tc__thread *me);
/* The same for a wait on a mutex whose owner, as glibc recorded it, is the thread OWNER (0:
 * unknown). When OWNER is a tracked thread that is not blocked in an untimed wait, the
 * chain ends at its first step and the probe returns without walking the other threads'
 * held lists (lines their owners keep writing); otherwise it is tc__deadlock_probe. */
void tc__deadlock_probe_owner(struct tc__thread *me, pid_t owner);
/* ME is about to relock the normal mutex OBJ it already holds (its wait is published):
 * reports a self-deadlock and ends the process, or returns when another report is already
 * under way. */
void tc__deadlock_self(struct tc__thread *me);

/* Lock-order analysis (tc_order.c). */
/* ME has just taken OBJ (which it did not hold) in MODE (enum tc__hold_mode) at SITE with a
 * call that can wait forever (not a trylock, not a timed lock): notes an edge from every
 * lock ME holds to OBJ. Cheap when the same edges were seen before; never blocks for long. */
void tc__order_acquire(struct tc__thread *me, const void *obj, int mode, void *site);
/* OBJ is being initialised or was destroyed: the edges it is in no longer apply. */
void tc__order_forget(const void *obj);
/* In a forked child: forgets the parent's edges. */
void tc__order_atfork_child(void);
/* At exit: finds the cycles of the graph that could deadlock and symbolises them. Returns
 * how many will be reported. */
int tc__order_analyze(void);
/* Writes tc__order_analyze's cycles as FORMAT.md records to FD. */
void tc__order_write_records(int fd);
/* Writes them as readable blocks to FD, with a note when the graph overflowed. */
void tc__order_write_human(int fd);

/* Misuse reports (tc_misuse.c): X(ENUM, raw name after "misuse:", words for humans). */
#define TC__MISUSES(X)                                                                      \
	X(UNLOCK_NOT_OWNER, "unlock-not-owner", "unlock of a mutex held by another thread")  \
	X(UNLOCK_UNLOCKED, "unlock-unlocked", "unlock of an unlocked mutex")                \
	X(DESTROY_LOCKED, "destroy-locked", "destroy of a locked mutex")                    \
	X(COND_WAIT_UNLOCKED, "cond-wait-unlocked", "condition wait without its mutex held") \
	X(JOIN_DETACHED, "join-detached", "join of a detached thread")                      \
	X(JOIN_TWICE, "join-twice", "join of a thread that was joined already")             \
	X(EXIT_HOLDING_LOCK, "exit-holding-lock", "thread exit while holding a lock")     \
	X(INIT_TWICE, "init-twice", "initialisation of a mutex that is in use")              \
	X(DETACH_JOINED, "detach-joined", "detach of a thread that was joined already")      \
	X(DETACH_DETACHED, "detach-detached", "detach of a thread that is detached already")  \
	X(DETACH_INVALID, "detach-invalid", "detach of an id that is no thread")              \
	X(COND_INVALID, "cond-invalid", "signal of a condition variable that is not one")

enum tc__misuse {
#define X(e, raw, words) TC__MISUSE_##e,
	TC__MISUSES(X)
#undef X
};

const char *tc__misuse_name(enum tc__misuse what);

/* What one misuse report says: thread ME called CALL on OBJ (and OBJ2, the cond of a cond
 * wait) at SITE, a return address; SITE is NULL when a thread returned from its start
 * routine. The other thread involved (the lock's holder, the joined thread) is
 * OTHER_LABEL, -1 when there is none or it is unknown. */
struct tc__misuse_info {
	enum tc__misuse what;
	struct tc__thread *me;
	const char *call;
	const void *obj, *obj2;
	void *site;
	int other_label;
	pid_t other_tid;
	void *other_start, *other_create;
	void *other_hold_site;      /* where the other thread took OBJ, or NULL */
	/* INIT_TWICE: the earlier pthread_mutex_init of OBJ (NULL when unknown), made by the
	 * thread labelled OTHER_LABEL (-1 when it is not known). */
	void *other_call_site;
	/* COND_INVALID: what in the condition variable no glibc condvar can show. */
	const char *why;
};
/* Reports MI at once on stderr (once per kind and call site; repeats are counted) and keeps
 * the record for the log. For EXIT_HOLDING_LOCK the locks are read from ME's held list. */
void tc__misuse_report(const struct tc__misuse_info *mi);
/* How many misuse records are complete; exactly those are written by the next
 * tc__misuse_write_records. */
int tc__misuse_count(void);
/* Writes the misuse records the last tc__misuse_count counted to FD (FORMAT.md). */
void tc__misuse_write_records(int fd);
/* In a forked child: forgets the parent's misuses. */
void tc__misuse_atfork_child(void);
/* Notes where globals and statics live (the constructor calls it once). */
void tc__misuse_init(void);
/* One pthread_mutex_init: the thread that made it (label -1: untracked) and where. */
struct tc__init_rec {
	int label;
	pid_t tid;
	void *site;
};
/* Mutexes in static storage that went through pthread_mutex_init and not through a
 * successful pthread_mutex_destroy since: a second init of one of them is a misuse. Only
 * static storage is remembered (see tc_misuse.c); elsewhere these do nothing and find
 * returns 0. Find returns 1 and fills OUT with the earlier init; add and remove never fail
 * (a full table of 1024 forgets). */
int tc__live_mutex_find(const void *obj, struct tc__init_rec *out);
void tc__live_mutex_add(const void *obj, const struct tc__init_rec *rec);
void tc__live_mutex_remove(const void *obj);

/* Shared by the two reports (tc_report.c). */
/* Opens THREADCHECK_LOG's PREFIX.<pid> for writing; -1 when unset or on failure (noted on
 * stderr). */
int tc__open_log(void);
/* Flushes stdout unless another thread holds its lock. */
void tc__flush_stdio(void);
/* The exit status in environment variable NAME when it is a number in 0..255, else DEF. */
int tc__env_exitcode(const char *name, int def);
/* Reads the real time the process can never sleep through: CLOCK_MONOTONIC in ns. */
uint64_t tc__now_ns(void);

/* Bounded formatting into a fixed buffer, never failing: output is truncated at the end. */
struct tc__buf {
	char *p;
	size_t len, cap;
};
void tc__bprintf(struct tc__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes all of LEN bytes of S to FD, retrying on EINTR and short writes. Returns 0 or -1. */
int tc__write_all(int fd, const char *s, size_t len);

#endif
