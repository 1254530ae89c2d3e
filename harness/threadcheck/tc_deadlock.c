/* tc_deadlock.c: live deadlock detection: a wait-for graph read from the registry (who holds
 * which lock, who waits for what), probed when a thread is about to block and checked by a
 * watchdog thread, and the deadlock report (FORMAT.md record, lockdep-like table on stderr). */
#include "tc_deadlock.h"
#include "tc_proc.h"
#include "tc_real.h"
#include "tc_symbolize.h"
#include "tc_util.h"

#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define TC__TICK_MS 25              /* the watchdog's period when nobody wakes it */
#define TC__CONFIRM_MS 15           /* a suspected deadlock must hold still this long */
#define TC__MAX_EDGES 8             /* holders followed per waiting thread */
#define TC__MAX_REPORTED 64         /* threads described in one report */
#define TC__CHAIN_MAX 64            /* threads a probe records (a longer cycle: the watchdog) */

static _Atomic int tc__wd_started;
static _Atomic pid_t tc__wd_tid;
static _Atomic int tc__kick;        /* futex word: 1 when a probe saw a cycle */
static tc__deadlock_end_fn *tc__end;

/* What a check found. */
enum tc__dl_kind { TC__DL_NONE, TC__DL_CYCLE, TC__DL_SELF, TC__DL_GLOBAL };

/* A suspected (or confirmed) deadlock: the threads in cycle order (each waits for the next,
 * the last for the first) or, for the global case, every live thread in label order. */
struct tc__cand {
	enum tc__dl_kind kind;
	int n;
	struct tc__thread *t[TC__MAX_THREADS];
	unsigned seq[TC__MAX_THREADS];
	struct tc__wait w[TC__MAX_THREADS];
};

/* One live thread in the graph. */
struct tc__node {
	struct tc__thread *t;
	struct tc__wait w;
	unsigned seq;
	int nedge;
	int edge[TC__MAX_EDGES];
};

/* The watchdog's working data: only the watchdog touches it (too big for its stack). */
static struct tc__node tc__g[TC__MAX_THREADS];
static int tc__color[TC__MAX_THREADS], tc__pos[TC__MAX_THREADS];
static int tc__stk[TC__MAX_THREADS], tc__iter[TC__MAX_THREADS];
static struct tc__cand tc__c1, tc__c2;
/* Guards the working data above: the watchdog and the schedule explorer both check. */
static atomic_flag tc__g_lock;

/* ---- reading the registry ---------------------------------------------------------- */

/* Whether T holds OBJ in a way that blocks a waiter in OP: anything blocks a mutex or write
 * lock waiter, only a write lock blocks a reader. */
static int tc__blocks(struct tc__thread *t, enum tc__op op, void *obj)
{
	int n = atomic_load_explicit(&t->nheld, memory_order_acquire);

	if (n > TC__MAX_HELD)
		n = TC__MAX_HELD;
	for (int k = 0; k < n; k++) {
		if (atomic_load_explicit(&t->held[k].obj, memory_order_relaxed) != (uintptr_t)obj)
			continue;
		return op != TC__OP_RWLOCK_RD ||
		       atomic_load_explicit(&t->held[k].mode, memory_order_relaxed) == TC__HOLD_WR;
	}
	return 0;
}

/* Whether a waiter in OP on OBJ waits for live thread T: T holds the lock, or is the thread
 * being joined. Other ops (cond, sem, barrier) wait for nobody in particular. */
static int tc__waits_for(enum tc__op op, void *obj, struct tc__thread *t)
{
	switch (op) {
	case TC__OP_MUTEX:
	case TC__OP_RWLOCK_RD:
	case TC__OP_RWLOCK_WR:
		return tc__blocks(t, op, obj);
	case TC__OP_JOIN:
		return atomic_load_explicit(&t->self, memory_order_relaxed) == (uintptr_t)obj;
	case TC__OP_NONE:
	case TC__OP_COND:
	case TC__OP_SEM:
	case TC__OP_BARRIER:
		return 0;
	}
	return 0;
}

/* ---- the probe at block time ------------------------------------------------------- */

/* Wakes the watchdog now instead of at its next tick. */
static void tc__kick_watchdog(void)
{
	if (atomic_exchange(&tc__kick, 1) == 0)
		(void)syscall(SYS_futex, &tc__kick, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* A chain followed at block time: the prober first, then the thread holding what it waits
 * for, and so on, each with the wait record it was in (its wait and that wait's sequence
 * number). */
struct tc__chain {
	int n;
	struct tc__thread *t[TC__CHAIN_MAX];
	struct tc__wait w[TC__CHAIN_MAX];
	unsigned seq[TC__CHAIN_MAX];
};

/* What following a chain found. */
enum tc__walk { TC__WALK_END, TC__WALK_CYCLE, TC__WALK_LONG_CYCLE };

/* The first live thread among slots [0, HW) that a waiter in W waits for, or NULL. */
static struct tc__thread *tc__first_holder(const struct tc__wait *w, int hw)
{
	for (int i = 0; i < hw; i++) {
		struct tc__thread *t = &tc__threads[i];

		if (atomic_load_explicit(&t->state, memory_order_relaxed) == TC__RUNNING &&
		    tc__waits_for(w->op, w->obj, t))
			return t;
	}
	return NULL;
}

/* Follows ME's chain, one holder per step, recording it in C: TC__WALK_CYCLE when it comes
 * back to ME (C holds the cycle, ME first), TC__WALK_LONG_CYCLE when it does after more than
 * TC__CHAIN_MAX threads, TC__WALK_END when it ends (nobody holds what a thread waits for, a
 * thread is not blocked forever, a read failed) or runs longer than the registry (a cycle
 * without ME: its threads were reported when it formed). A chain that forks (several
 * readers) follows the first holder; the watchdog's full check sees every branch. */
static enum tc__walk tc__chain_walk(struct tc__thread *me, struct tc__chain *c)
{
	int hw = atomic_load_explicit(&tc__high_water, memory_order_acquire);
	struct tc__thread *cur = me;
	struct tc__wait w;
	unsigned seq;

	c->n = 0;
	if (tc__wait_read(me, &w, &seq) != 0)
		return TC__WALK_END;
	for (int steps = 0; steps <= hw && tc__wait_forever(&w); steps++) {
		struct tc__thread *next;

		if (c->n < TC__CHAIN_MAX) {
			c->t[c->n] = cur;
			c->w[c->n] = w;
			c->seq[c->n++] = seq;
		}
		next = tc__first_holder(&w, hw);
		if (next == me)
			return steps < TC__CHAIN_MAX ? TC__WALK_CYCLE : TC__WALK_LONG_CYCLE;
		if (next == NULL || tc__wait_read(next, &w, &seq) != 0)
			return TC__WALK_END;
		cur = next;
	}
	return TC__WALK_END;
}

/* Whether the cycle C may be confirmed at once: not when it is one thread. glibc refuses
 * some waits that would close a cycle of one with EDEADLK instead of blocking (a join of
 * oneself, an errorcheck mutex or a write lock relocked by its owner, a read lock asked by
 * the writer), and the prober has published its wait before making the call; such a cycle
 * is left to the watchdog, which sees the wait end. (A normal mutex relocked by its owner is
 * reported before the probe, tc__deadlock_self.) */
static int tc__chain_instant(const struct tc__chain *c)
{
	return c->n >= 2;
}

/* Whether the cycle C that tc__chain_walk read (its first pass) is a deadlock: each thread
 * still waits for the next (the holds are read again, now), and then every thread but the
 * prober is still in the same wait (same sequence number, op and object: it has not
 * returned from that call since the first pass). Then there was an instant, between the two
 * passes, when every thread of C was inside its blocking call and held what it held when
 * that call began (a thread in a lock wait or a join releases nothing): each waits for a lock
 * that only a thread of C can release, or for a thread of C to end, and none of them ever
 * will. No time has to pass for this proof, unlike the watchdog's check of the whole graph. */
static int tc__chain_confirm(const struct tc__chain *c)
{
	atomic_thread_fence(memory_order_seq_cst);
	for (int i = 0; i < c->n; i++)
		if (!tc__waits_for(c->w[i].op, c->w[i].obj, c->t[(i + 1) % c->n]))
			return 0;
	atomic_thread_fence(memory_order_seq_cst);
	for (int i = 1; i < c->n; i++) {
		struct tc__wait w;
		unsigned seq;

		if (atomic_load(&c->t[i]->state) != TC__RUNNING ||
		    tc__wait_read(c->t[i], &w, &seq) != 0 || seq != c->seq[i] ||
		    w.op != c->w[i].op || w.obj != c->w[i].obj)
			return 0;
	}
	return 1;
}

static _Noreturn void tc__report_deadlock(const struct tc__cand *c);

/* Reports the confirmed cycle C (the caller owns the report), listed from its thread in the
 * lowest slot, as the watchdog's search of the graph would list it. */
static _Noreturn void tc__chain_report(const struct tc__chain *c)
{
	static struct tc__cand cyc;
	int r = 0;

	for (int i = 1; i < c->n; i++)
		if (c->t[i] < c->t[r])
			r = i;
	cyc.kind = TC__DL_CYCLE;
	cyc.n = c->n;
	for (int i = 0; i < c->n; i++) {
		cyc.t[i] = c->t[(r + i) % c->n];
		cyc.w[i] = c->w[(r + i) % c->n];
		cyc.seq[i] = c->seq[(r + i) % c->n];
	}
	tc__report_deadlock(&cyc);
}

/* tc__deadlock_probe after its fence: a cycle through ME that can be confirmed now is
 * reported now (the process ends); any other cycle through ME wakes the watchdog. */
static void tc__probe_chain(struct tc__thread *me)
{
	struct tc__chain c;
	enum tc__walk found;

	if (!atomic_load_explicit(&tc__wd_started, memory_order_relaxed))
		return;
	found = tc__chain_walk(me, &c);
	if (found == TC__WALK_END)
		return;
	if (found == TC__WALK_CYCLE && tc__chain_instant(&c) && tc__chain_confirm(&c) &&
	    tc__report_claim(TC__REPORT_DEADLOCK, NULL) == 0)
		tc__chain_report(&c);
	tc__kick_watchdog();
}

void tc__deadlock_probe(struct tc__thread *me)
{
	/* Pairs with the other threads' probes: of two threads that publish their waits and
	 * then look at each other, at least one sees the other's wait. */
	atomic_thread_fence(memory_order_seq_cst);
	tc__probe_chain(me);
}

void tc__deadlock_probe_owner(struct tc__thread *me, pid_t owner)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (owner != 0) {
		int hw = atomic_load_explicit(&tc__high_water, memory_order_acquire);

		/* tid is written once per thread, so this scan reads lines nobody writes. The
		 * holder's wait is read after the fence, as the chain's first step would: of
		 * two threads that wait for each other, one still sees the other blocked. */
		for (int i = 0; i < hw; i++) {
			struct tc__thread *t = &tc__threads[i];
			struct tc__wait w;
			unsigned seq;

			if (t == me || atomic_load_explicit(&t->tid, memory_order_relaxed) != owner ||
			    atomic_load_explicit(&t->state, memory_order_relaxed) != TC__RUNNING)
				continue;
			if (tc__wait_read(t, &w, &seq) == 0 && !tc__wait_forever(&w))
				return;
			break;
		}
	}
	tc__probe_chain(me);
}

/* ---- the full check ---------------------------------------------------------------- */

/* Snapshots every live thread into tc__g with its out-edges. Returns the node count, or -1
 * when a thread is being created (the registry is in flux). */
static int tc__snapshot(void)
{
	int hw = atomic_load(&tc__high_water), n = 0;

	for (int i = 0; i < hw; i++) {
		struct tc__thread *t = &tc__threads[i];
		int st = atomic_load(&t->state);

		if (st == TC__CLAIMED)
			return -1;
		if (st != TC__RUNNING)
			continue;
		tc__g[n].t = t;
		tc__g[n].nedge = 0;
		if (tc__wait_read(t, &tc__g[n].w, &tc__g[n].seq) != 0)
			tc__g[n].w.op = TC__OP_NONE;
		n++;
	}
	for (int u = 0; u < n; u++) {
		struct tc__node *a = &tc__g[u];

		if (!tc__wait_forever(&a->w))
			continue;
		for (int v = 0; v < n && a->nedge < TC__MAX_EDGES; v++)
			if (tc__waits_for(a->w.op, a->w.obj, tc__g[v].t))
				a->edge[a->nedge++] = v;
	}
	return n;
}

/* Looks for a cycle among the N nodes of tc__g (depth-first, without recursion). Returns
 * 1 and fills C with it, or 0. */
static int tc__find_cycle(int n, struct tc__cand *c)
{
	memset(tc__color, 0, sizeof tc__color[0] * (size_t)n);
	for (int s = 0; s < n; s++) {
		int sp = 0;

		if (tc__color[s] != 0 || tc__g[s].nedge == 0)
			continue;
		tc__stk[sp] = s;
		tc__iter[sp] = 0;
		tc__pos[s] = sp++;
		tc__color[s] = 1;
		while (sp > 0) {
			int u = tc__stk[sp - 1];

			if (tc__iter[sp - 1] == tc__g[u].nedge) {
				tc__color[u] = 2;
				sp--;
				continue;
			}
			int v = tc__g[u].edge[tc__iter[sp - 1]++];

			if (tc__color[v] == 1) {
				c->kind = sp - tc__pos[v] == 1 ? TC__DL_SELF : TC__DL_CYCLE;
				c->n = 0;
				for (int k = tc__pos[v]; k < sp; k++) {
					struct tc__node *x = &tc__g[tc__stk[k]];

					c->t[c->n] = x->t;
					c->seq[c->n] = x->seq;
					c->w[c->n++] = x->w;
				}
				return 1;
			}
			if (tc__color[v] == 0) {
				tc__color[v] = 1;
				tc__stk[sp] = v;
				tc__iter[sp] = 0;
				tc__pos[v] = sp++;
			}
		}
	}
	return 0;
}

/* What tc__task_known asks of each task: the N threads of the graph. */
struct tc__tasks_arg {
	int n;
	int unknown;                /* a live task that is none of them was seen */
};

/* Whether task TID, listed by /proc, is the watchdog, a zombie or one of ARG's N threads;
 * stops the listing (returns 1) at the first that is not. */
static int tc__task_known(pid_t tid, void *arg)
{
	struct tc__tasks_arg *a = arg;
	char st;

	if (tid == atomic_load(&tc__wd_tid))
		return 0;
	for (int i = 0; i < a->n; i++)
		if (atomic_load(&tc__g[i].t->tid) == tid)
			return 0;
	st = tc_proc_state(tid);
	a->unknown = st != 'Z' && st != 'X';
	return a->unknown;
}

/* Whether every live task of the process is either the watchdog, a zombie or one of the N
 * threads in tc__g: a thread started behind our back (clone, a full registry) might be the
 * one that would wake the others. The list is "known" only when it was read whole: the
 * thread count before and after the read equals the number of tasks read; otherwise the
 * next round asks again. */
static int tc__all_tasks_known(int n)
{
	struct tc__tasks_arg a = { n, 0 };
	long before = tc_proc_nthreads(), seen;

	if (before < 0)
		return 0;
	seen = tc_proc_tasks(tc__task_known, &a);
	return seen >= 0 && !a.unknown && seen == before && tc_proc_nthreads() == before;
}

/* Sorts the N threads of C into label order, which reads best: slots are reused, labels
 * follow creation. */
static void tc__cand_sort(struct tc__cand *c)
{
	for (int i = 1; i < c->n; i++) {
		struct tc__thread *t = c->t[i];
		unsigned s = c->seq[i];
		struct tc__wait w = c->w[i];
		int j = i;

		for (; j > 0 && c->t[j - 1]->label > t->label; j--) {
			c->t[j] = c->t[j - 1];
			c->seq[j] = c->seq[j - 1];
			c->w[j] = c->w[j - 1];
		}
		c->t[j] = t;
		c->seq[j] = s;
		c->w[j] = w;
	}
}

/* Whether every live thread is blocked forever (the global case); fills C with them. A
 * record that is not blocked but whose task the kernel no longer has (a thread that ended
 * by a raw exit system call) is no live thread: it is left out. The kernel is asked only
 * about records that are not blocked, and the first one found alive ends the check: while
 * the program runs, that is one tgkill per round. */
static int tc__find_global(int n, struct tc__cand *c)
{
	static unsigned char ended[TC__MAX_THREADS];
	int live = 0;

	for (int i = 0; i < n; i++) {
		ended[i] = 0;
		if (tc__wait_forever(&tc__g[i].w)) {
			live++;
			continue;
		}
		if (!tc__thread_gone(tc__g[i].t, 0))
			return 0;
		ended[i] = 1;
	}
	if (live == 0 || !tc__all_tasks_known(n))
		return 0;
	c->kind = TC__DL_GLOBAL;
	c->n = 0;
	for (int i = 0; i < n; i++) {
		if (ended[i])
			continue;
		c->t[c->n] = tc__g[i].t;
		c->seq[c->n] = tc__g[i].seq;
		c->w[c->n++] = tc__g[i].w;
	}
	tc__cand_sort(c);
	return 1;
}

/* One full check: a cycle first (it names the culprits), else the global case. */
static int tc__check(struct tc__cand *c)
{
	int n, found = 0;

	tc__spin_lock(&tc__g_lock);
	c->kind = TC__DL_NONE;
	n = tc__snapshot();
	if (n > 0)
		found = tc__find_cycle(n, c) || tc__find_global(n, c);
	tc__spin_unlock(&tc__g_lock);
	return found;
}

/* Whether B is A seen again: same threads, none of which has begun another wait since, and
 * none of which the kernel has made runnable (a thread just woken still shows its old wait
 * until it runs). */
static int tc__confirmed(const struct tc__cand *a, const struct tc__cand *b)
{
	if (a->kind != b->kind || a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (a->t[i] != b->t[i] || a->seq[i] != b->seq[i] || a->w[i].op != b->w[i].op)
			return 0;
	for (int i = 0; i < b->n; i++)
		if (tc_proc_state(atomic_load(&b->t[i]->tid)) == 'R')
			return 0;
	return 1;
}

/* ---- the report -------------------------------------------------------------------- */

/* One thread of the report, copied out of the registry, with its part of the report. */
struct tc__dl_thread {
	struct tc__thread *t;
	int label, creator, nheld;
	pid_t tid;
	char name[TC__NAME_LEN + 1];
	struct tc__wait w;
	struct { void *obj; void *site; int mode, count; char letter; } held[TC__MAX_HELD];
	char wait_letter;
	struct tc__sym start, created, where, held_at[TC__MAX_HELD];
	struct tc__rep_line line[TC__MAX_HELD + 1];
};

static struct tc__dl_thread tc__r[TC__MAX_REPORTED];
static struct tc__rep_thread tc__rthread[TC__MAX_REPORTED];
#define TC__ADDRS_PER (3 + TC__MAX_HELD)
static void *tc__raddr[TC__MAX_REPORTED * TC__ADDRS_PER];
static struct tc__sym tc__rsym[TC__MAX_REPORTED * TC__ADDRS_PER];
static char tc__rmsg[1024];
static char tc__rdetail[32768];
static struct tc__rep tc__rep;
static void *tc__objs[26 * 2];
static int tc__nobjs;               /* entries of tc__objs in use */

/* The letter naming OBJ in the scenario table (A, B, ...; '?' past Z). */
static char tc__letter(void *obj)
{
	for (int i = 0; i < tc__nobjs; i++)
		if (tc__objs[i] == obj)
			return i < 26 ? (char)('A' + i) : '?';
	if (tc__nobjs < (int)(sizeof tc__objs / sizeof tc__objs[0]))
		tc__objs[tc__nobjs++] = obj;
	return tc__nobjs - 1 < 26 ? (char)('A' + tc__nobjs - 1) : '?';
}

/* The scenario-table text of thread R's wait, such as "lock(B)" or "join(T2)". */
static void tc__wait_cell(const struct tc__dl_thread *r, const struct tc__cand *c, char *buf,
			  size_t len)
{
	struct tc__buf b = { buf, 0, len };

	switch (r->w.op) {
	case TC__OP_MUTEX:
		tc__bprintf(&b, "lock(%c);", r->wait_letter);
		break;
	case TC__OP_RWLOCK_RD:
		tc__bprintf(&b, "rdlock(%c);", r->wait_letter);
		break;
	case TC__OP_RWLOCK_WR:
		tc__bprintf(&b, "wrlock(%c);", r->wait_letter);
		break;
	case TC__OP_JOIN:
		for (int i = 0; i < c->n; i++)
			if (atomic_load(&c->t[i]->self) == (uintptr_t)r->w.obj) {
				tc__bprintf(&b, "join(T%d);", c->t[i]->label);
				return;
			}
		tc__bprintf(&b, "join(%c);", r->wait_letter);
		break;
	case TC__OP_COND:
		tc__bprintf(&b, "cond_wait(%c);", r->wait_letter);
		break;
	case TC__OP_SEM:
		tc__bprintf(&b, "sem_wait(%c);", r->wait_letter);
		break;
	case TC__OP_BARRIER:
		tc__bprintf(&b, "barrier_wait(%c);", r->wait_letter);
		break;
	case TC__OP_NONE:
		tc__bprintf(&b, "?");
		break;
	}
}

/* The label of the thread in C that waiter I waits for (the next one in a cycle). */
static int tc__next_label(const struct tc__cand *c, int i)
{
	return c->t[(i + 1) % c->n]->label;
}

/* Writes the one-line message of the deadlock C (with N reported threads) into B. */
static void tc__dl_message(struct tc__buf *b, const struct tc__cand *c, int n)
{
	if (c->kind == TC__DL_SELF) {
		tc__bprintf(b, "T%d relocks %s %p that it already holds: it waits for itself "
			       "forever", tc__r[0].label, tc__r[0].w.op == TC__OP_MUTEX ? "mutex" : "rwlock",
			    tc__r[0].w.obj);
		return;
	}
	if (c->kind == TC__DL_CYCLE)
		tc__bprintf(b, "cycle of %d threads: ", c->n);
	else
		tc__bprintf(b, "every live thread is blocked forever: ");
	for (int i = 0; i < n; i++) {
		const struct tc__dl_thread *r = &tc__r[i];

		if (i > 0)
			tc__bprintf(b, ", ");
		if (r->w.op == TC__OP_JOIN && c->kind == TC__DL_CYCLE)
			tc__bprintf(b, "T%d joins T%d", r->label, tc__next_label(c, i));
		else if (c->kind == TC__DL_CYCLE)
			tc__bprintf(b, "T%d waits for %s %p held by T%d", r->label,
				    tc__op_name(r->w.op), r->w.obj, tc__next_label(c, i));
		else
			tc__bprintf(b, "T%d waits in %s %p", r->label, tc__op_name(r->w.op),
				    r->w.obj);
	}
	if (n < c->n)
		tc__bprintf(b, " and %d more", c->n - n);
}

/* Formats each of the N threads' holds and wait into B. */
static void tc__dl_threads(struct tc__buf *b, int n)
{
	for (int i = 0; i < n; i++) {
		const struct tc__dl_thread *r = &tc__r[i];

		tc__bprintf(b, "\n  Thread T%d (tid=%d, name=%s)", r->label, (int)r->tid, r->name);
		if (r->label == 0)
			tc__bprintf(b, " is the main thread\n");
		else
			tc__bprintf(b, " runs %s, created by T%d at %s %s\n", r->start.function,
				    r->creator, r->created.function, r->created.fileline);
		for (int k = 0; k < r->nheld; k++)
			tc__bprintf(b, "    holds %s %p (%c), taken at %s %s\n",
				    tc__hold_obj(r->held[k].mode), r->held[k].obj, r->held[k].letter,
				    r->held_at[k].function, r->held_at[k].fileline);
		tc__bprintf(b, "    waits in %s %p (%c) at %s %s\n", tc__op_name(r->w.op), r->w.obj,
			    r->wait_letter, r->where.function, r->where.fileline);
	}
}

/* Formats the legend of the scenario table into B: what each letter names, but for a
 * joined thread, which the table names by its label. */
static void tc__dl_legend(struct tc__buf *b, int n)
{
	for (int i = 0; i < tc__nobjs && i < 26; i++) {
		const char *what = "object";

		for (int j = 0; j < n; j++) {
			if (tc__r[j].w.obj == tc__objs[i])
				what = tc__op_name(tc__r[j].w.op);
			for (int k = 0; k < tc__r[j].nheld; k++)
				if (tc__r[j].held[k].obj == tc__objs[i])
					what = tc__hold_obj(tc__r[j].held[k].mode);
		}
		if (strcmp(what, "join") != 0)
			tc__scenario_legend(b, (char)('A' + i), what, tc__objs[i]);
	}
}

/* Formats lockdep's "possible unsafe scenario" table of C into B, one column per thread:
 * first what each thread took and someone in the set now waits for, then the waits. */
static void tc__dl_scenario(struct tc__buf *b, const struct tc__cand *c, int n)
{
	int labels[TC__MAX_REPORTED];
	char cell[64];

	for (int i = 0; i < n; i++)
		labels[i] = tc__r[i].label;
	tc__scenario_head(b, labels, n);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < tc__r[i].nheld; k++) {
			struct tc__buf cb = { cell, 0, sizeof cell };
			int wanted = 0;

			for (int j = 0; j < n && !wanted; j++)
				wanted = tc__r[j].w.obj == tc__r[i].held[k].obj;
			if (!wanted)
				continue;
			tc__bprintf(&cb, "%s(%c);", tc__hold_call(tc__r[i].held[k].mode),
				    tc__r[i].held[k].letter);
			tc__scenario_cell(b, i, cell);
		}
	for (int i = 0; i < n; i++) {
		tc__wait_cell(&tc__r[i], c, cell, sizeof cell);
		tc__scenario_cell(b, i, cell);
	}
	tc__bprintf(b, "\n");
	tc__dl_legend(b, n);
	tc__scenario_end(b);
}

/* Copies thread T of the deadlock, waiting in W, into R, and the addresses it shows into
 * A (TC__ADDRS_PER of them). */
static void tc__dl_copy(struct tc__dl_thread *r, struct tc__thread *t, const struct tc__wait *w,
			void **a)
{
	int nh = atomic_load(&t->nheld);

	r->t = t;
	r->label = t->label;
	r->creator = t->creator;
	r->tid = atomic_load(&t->tid);
	r->w = *w;
	tc__thread_name(t, 1, r->name, sizeof r->name);
	r->nheld = nh < TC__MAX_HELD ? nh : TC__MAX_HELD;
	for (int k = 0; k < r->nheld; k++) {
		r->held[k].obj = (void *)atomic_load(&t->held[k].obj);
		r->held[k].site = (void *)atomic_load(&t->held[k].site);
		r->held[k].mode = atomic_load(&t->held[k].mode);
		r->held[k].count = atomic_load(&t->held[k].count);
	}
	/* A start routine is its first instruction; call sites are return addresses. */
	a[0] = t->start_fn;
	a[1] = tc__call_addr(t->create_site);
	a[2] = tc__call_addr(r->w.site);
	for (int k = 0; k < TC__MAX_HELD; k++)
		a[3 + k] = k < r->nheld ? tc__call_addr(r->held[k].site) : NULL;
}

/* Copies the first N threads of C out of the registry, letters their locks in the order
 * the table shows them (the locks held, then what is waited on) and symbolises them. */
static void tc__dl_gather(const struct tc__cand *c, int n)
{
	memset(tc__objs, 0, sizeof tc__objs);
	tc__nobjs = 0;
	for (int i = 0; i < n; i++)
		tc__dl_copy(&tc__r[i], c->t[i], &c->w[i], &tc__raddr[i * TC__ADDRS_PER]);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < tc__r[i].nheld; k++)
			tc__r[i].held[k].letter = tc__letter(tc__r[i].held[k].obj);
	for (int i = 0; i < n; i++)
		tc__r[i].wait_letter = tc__letter(tc__r[i].w.obj);
	tc__symbolize(tc__raddr, tc__rsym, (size_t)n * TC__ADDRS_PER);
	for (int i = 0; i < n; i++) {
		struct tc__sym *s = &tc__rsym[i * TC__ADDRS_PER];

		tc__r[i].start = s[0];
		tc__r[i].created = s[1];
		tc__r[i].where = s[2];
		for (int k = 0; k < TC__MAX_HELD; k++)
			tc__r[i].held_at[k] = s[3 + k];
	}
}

/* Describes reported thread I as a thread block: its holds, then its wait. */
static void tc__dl_block(int i)
{
	struct tc__dl_thread *r = &tc__r[i];
	int k;

	for (k = 0; k < r->nheld; k++)
		r->line[k] = (struct tc__rep_line){ TC__LINE_HOLDS, NULL, r->held[k].obj,
						    &r->held_at[k] };
	r->line[k] = (struct tc__rep_line){ TC__LINE_WAIT, tc__op_name(r->w.op), r->w.obj,
					    &r->where };
	tc__rthread[i] = (struct tc__rep_thread){ r->label, r->tid, r->name,
						  r->label != 0 ? &r->start : NULL, &r->created,
						  r->nheld + 1, r->line };
}

/* Describes the confirmed deadlock C as a report and hands it to the end, which does not
 * return. The caller has made itself the process's reporter (tc__report_claim). */
static _Noreturn void tc__report_deadlock(const struct tc__cand *c)
{
	int n = c->n < TC__MAX_REPORTED ? c->n : TC__MAX_REPORTED;
	struct tc__buf mb = { tc__rmsg, 0, sizeof tc__rmsg };
	struct tc__buf db = { tc__rdetail, 0, sizeof tc__rdetail };

	tc__dl_gather(c, n);
	for (int i = 0; i < n; i++)
		tc__dl_block(i);
	tc__dl_message(&mb, c, n);
	tc__dl_threads(&db, n);
	tc__dl_scenario(&db, c, n);
	tc__rep = (struct tc__rep){ .kind = "deadlock", .nthread = n, .thread = tc__rthread,
				    .message = tc__rmsg, .title = "deadlock",
				    .detail = tc__rdetail, .summary_kind = "deadlock",
				    .summary_at = &tc__r[0].where };
	tc__end(&tc__rep);
	abort();
}

void tc__deadlock_init(tc__deadlock_end_fn *end)
{
	tc__end = end;
}

void tc__deadlock_self(struct tc__thread *me)
{
	static struct tc__cand self;

	if (tc__report_claim(TC__REPORT_DEADLOCK, NULL) != 0)
		return;
	self.kind = TC__DL_SELF;
	self.n = 1;
	self.t[0] = me;
	if (tc__wait_read(me, &self.w[0], &self.seq[0]) != 0)
		self.w[0].op = TC__OP_MUTEX;
	tc__report_deadlock(&self);
}

void tc__deadlock_now(void)
{
	static struct tc__cand now;

	if (tc__report_owner() == TC__REPORT_NONE && tc__check(&now) &&
	    tc__report_claim(TC__REPORT_DEADLOCK, NULL) == 0)
		tc__report_deadlock(&now);
}

/* ---- the watchdog ------------------------------------------------------------------ */

/* The watchdog: every tick, or at once when a probe saw a cycle, checks the graph; what it
 * finds must still be there, unchanged, TC__CONFIRM_MS later before it is reported. */
static void *tc__watchdog(void *arg)
{
	/* Under Valgrind threads run one at a time and slowly: wait longer before believing. */
	long confirm_ms = RUNNING_ON_VALGRIND ? 20 * TC__CONFIRM_MS : TC__CONFIRM_MS;
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	(void)pthread_sigmask(SIG_BLOCK, &all, NULL);
	atomic_store(&tc__wd_tid, gettid());
	(void)pthread_setname_np(pthread_self(), "tc-watchdog");
	for (;;) {
		struct timespec tick = { 0, TC__TICK_MS * 1000000L };

		(void)syscall(SYS_futex, &tc__kick, FUTEX_WAIT_PRIVATE, 0, &tick, NULL, 0);
		atomic_store(&tc__kick, 0);
		if (tc__report_owner() != TC__REPORT_NONE)
			continue;
		if (!tc__check(&tc__c1))
			continue;
		tc__sleep_ms(confirm_ms);
		if (!tc__check(&tc__c2) || !tc__confirmed(&tc__c1, &tc__c2))
			continue;
		if (tc__report_claim(TC__REPORT_DEADLOCK, NULL) == 0)
			tc__report_deadlock(&tc__c2);
	}
	return NULL;
}

void tc__watchdog_start(void)
{
	pthread_attr_t attr;
	pthread_t t;

	if (atomic_exchange(&tc__wd_started, 1) != 0)
		return;
	if (pthread_attr_init(&attr) != 0)
		return;
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* The real pthread_create: the watchdog gets no slot and is never reported. */
	if (tc__real_pthread_create()(&t, &attr, tc__watchdog, NULL) != 0) {
		static const char msg[] = "threadcheck: cannot start the deadlock watchdog\n";

		(void)tc__write_all(2, msg, sizeof msg - 1);
	}
	pthread_attr_destroy(&attr);
}

int tc__watchdog_tid(pid_t tid)
{
	return tid != 0 && tid == atomic_load(&tc__wd_tid);
}

void tc__watchdog_atfork_child(void)
{
	atomic_store(&tc__wd_tid, 0);
	atomic_store(&tc__kick, 0);
	atomic_store(&tc__wd_started, 0);
}
