/* tc_deadlock.h: the live deadlock detector: a wait-for graph read from the registry, probed
 * when a thread is about to block and checked by a watchdog thread. */
#ifndef TC_DEADLOCK_H
#define TC_DEADLOCK_H

#include "tc_registry.h"
#include "tc_report.h"

#include <sys/types.h>

/* Internal to the library: not exported, and called directly rather than through the PLT. */
#pragma GCC visibility push(hidden)

/* What ends the process with a confirmed deadlock REP; it must not return. The detector
 * describes, the library's top layer (tc_end.c) writes and exits. */
typedef void tc__deadlock_end_fn(const struct tc__rep *rep);

/* Sets the end (the constructor calls it once, before any thread exists). */
void tc__deadlock_init(tc__deadlock_end_fn *end);
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
/* The schedule explorer (tc_sched.c) saw that no thread can run: checks the graph once,
 * without the watchdog's wait for confirmation (the explorer lets no thread move meanwhile),
 * and reports what it finds; it does not return then. Returns when it found nothing or
 * another report is under way. */
void tc__deadlock_now(void);

#pragma GCC visibility pop

#endif
