/* tc_sched.h: the schedule explorer: with THREADCHECK_SCHED (or THREADCHECK_REPLAY) set, the
 * tracked threads run one at a time between synchronisation points and a seeded strategy, or
 * a replayed decision list, picks who runs next (README.md, "Schedule exploration"). */
#ifndef TC_SCHED_H
#define TC_SCHED_H

#include "tc_registry.h"

#include <pthread.h>
#include <semaphore.h>

/* Internal to the library: not exported, and called directly rather than through the PLT. */
#pragma GCC visibility push(hidden)

/* The synchronisation points, as X(ENUM, the name in the schedule log's trace lines). */
#define TC__SCHED_OPS(X)                                                                    \
	X(START, "start")                                                                   \
	X(EXIT, "exit")                                                                     \
	X(CREATE, "create")                                                                 \
	X(CREATED, "created")                                                               \
	X(JOIN, "join")                                                                     \
	X(LOCK, "lock")                                                                     \
	X(TRYLOCK, "trylock")                                                               \
	X(UNLOCK, "unlock")                                                                 \
	X(COND_WAIT, "cond-wait")                                                           \
	X(SIGNAL, "signal")                                                                 \
	X(BROADCAST, "broadcast")                                                           \
	X(RDLOCK, "rdlock")                                                                 \
	X(WRLOCK, "wrlock")                                                                 \
	X(RWUNLOCK, "rw-unlock")                                                            \
	X(SEM_WAIT, "sem-wait")                                                             \
	X(SEM_POST, "sem-post")                                                             \
	X(BARRIER, "barrier")                                                               \
	X(YIELD, "yield")                                                                   \
	X(SLEEP, "sleep")                                                                   \
	X(BLOCK, "block")                                                                   \
	X(ONCE, "once")                                                                     \
	X(LEAVE, "leave")                                                                   \
	X(ATEXIT, "exit-process")

enum tc__sop {
#define X(e, name) TC__SOP_##e,
	TC__SCHED_OPS(X)
#undef X
};

/* Set once by the constructor, before any thread exists, and never changed: every hook in
 * the interposers is one predictable branch on it, so the explorer costs nothing when off. */
extern int tc__sched_on;

/* Reads THREADCHECK_SCHED / THREADCHECK_REPLAY and, when set, makes the calling (main) thread
 * the first scheduled one and opens the schedule log. Called by the constructor after the
 * registry. A malformed setting is reported on stderr and leaves the explorer off. */
void tc__sched_init(void);

/* A scheduling point of the calling thread, before it performs OP on OBJ from SITE: another
 * thread may run first. Returns at once for a thread the explorer does not drive. */
void tc__sched_point(enum tc__sop op, const void *obj, void *site);
/* Wakes the threads the explorer holds blocked on OBJ: all of them, or (ALL == 0) the one
 * blocked longest. Called after a release (unlock, post, signal, a thread's end). */
void tc__sched_wake(const void *obj, int all);

/* Thread lifecycle. Before the real pthread_create of slot T (by the creator, after its
 * point); after it, with the result RC and the new handle. */
void tc__sched_create_begin(struct tc__thread *t);
void tc__sched_create_end(struct tc__thread *t, int rc, pthread_t handle, void *site);
/* In the new thread T, before its start routine runs: waits for its first turn. */
void tc__sched_start(struct tc__thread *t);
/* The calling thread's start routine ended (or it called pthread_exit): it gives up the turn
 * for good and wakes its joiners. */
void tc__sched_exit(void);

/* The blocking calls, each made by a scheduled thread after its point. Each returns -1 when
 * the explorer does not drive the caller (or has stopped): the caller then makes the real,
 * blocking call itself. Otherwise the calls' own results: */
/* Waits until the thread HANDLE ended: 0, or ETIMEDOUT for a timed join (TIMED) that the
 * schedule let time out. */
int tc__sched_join(pthread_t handle, int timed, void *site);
/* A timed join's point and wait: 1 when the schedule let it time out, else 0 (the real
 * timed join follows then). */
int tc__sched_timed_join(pthread_t handle, void *site);
/* Takes M, which a trylock found busy: 0 (or what trylock returned), ETIMEDOUT. */
int tc__sched_mutex_wait(pthread_mutex_t *m, int timed, void *site);
/* Takes L for writing (WR) or reading, which a trylock found busy: 0, ETIMEDOUT. */
int tc__sched_rwlock_wait(pthread_rwlock_t *l, int wr, int timed, void *site);
/* A condition wait on C with M held (the caller set its hold aside): releases M, waits for
 * a signal, broadcast or (TIMED) a timeout, retakes M. 0, ETIMEDOUT, or an unlock error. */
int tc__sched_cond_wait(pthread_cond_t *c, pthread_mutex_t *m, int timed, void *site);
/* sem_wait: 0, or -1 with errno ETIMEDOUT. Returns -2 when the explorer does not drive the
 * caller. */
int tc__sched_sem_wait(sem_t *s, int timed, void *site);
/* pthread_barrier_wait on a barrier whose count the explorer saw at its init: 0 or
 * PTHREAD_BARRIER_SERIAL_THREAD (which is -1); -2 when it does not know the barrier. */
int tc__sched_barrier_wait(pthread_barrier_t *b, void *site);
void tc__sched_barrier_init(pthread_barrier_t *b, unsigned count);
/* pthread_once, modelled: the first caller runs INIT while later ones wait in the explorer
 * (not in glibc, where the explorer could not see them). Returns 0, or -1 when the explorer
 * does not drive the caller (who then makes the real call). */
int tc__sched_once(pthread_once_t *once, void (*init)(void), void *site);
/* Around a call that may block for long where the explorer cannot see it (sigwait...):
 * LEAVE gives the turn away first (the caller runs unscheduled meanwhile), BACK waits for it
 * again afterwards. Both return at once for a thread the explorer does not drive. */
void tc__sched_leave(const void *obj, void *site);
void tc__sched_back(void);
/* Whether the calling thread is driven by the explorer now. */
int tc__sched_driving(void);

/* At the process's exit (first thing in the exit hook): a last point, then the explorer
 * stops and lets every thread run freely, so that the exit report sees the program as it
 * would be without it. Ends the schedule log. Returns how many other threads were blocked
 * for good at that point: when no other thread could run, each one waiting without a time
 * limit (its wait can only end by a thread that runs, and none does); 0 when some other
 * thread could still run, stood outside the explorer, or waited with a time limit, and when
 * the explorer is off. The exit hook need not wait for those to settle. */
int tc__sched_at_exit(void);
/* Ends the schedule log with HOW ("deadlock", ...) if it is not ended yet: the end line and,
 * with THREADCHECK_SCHED_TRACE set, the symbolised trace. */
void tc__sched_end(const char *how);
/* In a forked child: the explorer is off (the child has one thread). */
void tc__sched_atfork_child(void);

#pragma GCC visibility pop

#endif
