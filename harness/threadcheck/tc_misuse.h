/* tc_misuse.h: the misuse detector's reports: pthread calls made against their contract,
 * reported at once on stderr and kept for the log. */
#ifndef TC_MISUSE_H
#define TC_MISUSE_H

#include "tc_registry.h"
#include "tc_report.h"

#include <stddef.h>

/* Internal to the library: not exported, and called directly rather than through the PLT. */
#pragma GCC visibility push(hidden)

/* The misuses: X(ENUM, raw name after "misuse:", words for humans). */
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

/* Fills MI's other thread from T (NULL: none known) and the site SITE where it took the
 * lock. */
void tc__misuse_other(struct tc__misuse_info *mi, struct tc__thread *t, void *site);
/* Reports MI at once on stderr (once per kind and call site; repeats are counted) and keeps
 * the record for the log. For EXIT_HOLDING_LOCK the locks are read from ME's held list. */
void tc__misuse_report(const struct tc__misuse_info *mi);
/* The reports of the misuses complete now, for the log, each message with its repeat count.
 * Stores at most MAX in OUT and returns how many. */
size_t tc__misuse_reps(const struct tc__rep **out, size_t max);
/* Notes on stderr how many misuses at other call sites were not recorded (a full table). */
void tc__misuse_note_lost(void);
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

#pragma GCC visibility pop

#endif
