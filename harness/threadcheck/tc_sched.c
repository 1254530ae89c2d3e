/* tc_sched.c: the schedule explorer (tc_sched.h): one scheduled thread holds the turn at a
 * time, hands it on at synchronisation points as a seeded strategy or a replayed decision
 * list says, and models the blocking calls so that none of them really blocks. */
#include "tc_sched.h"
#include "tc_deadlock.h"
#include "tc_real.h"
#include "tc_symbolize.h"
#include "tc_util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TC__SCHED_MAX 256           /* scheduled threads at once; more run unscheduled */
#define TC__TRACE_MAX 8192          /* trace rows kept for THREADCHECK_SCHED_TRACE */
#define TC__REPLAY_MAX 8192         /* entries of a replayed decision list */
#define TC__CHANGE_MAX 16           /* PCT change points, delay-bounding delays */
#define TC__BARRIER_MAX 64
#define TC__ONCE_MAX 64
#define TC__STALL_MS 250            /* no sync point for this long: the holder is stalled */
#define TC__GRACE_MS 20             /* nobody can run for this long: a deadlock */

int tc__sched_on;

/* A scheduled thread's state. NEW: created, not yet started (it may be given the turn);
 * OUT: it stalled in a call the explorer does not see and runs unscheduled until its next
 * point; DONE: its start routine ended. */
enum tc__ss { TC__SS_FREE, TC__SS_NEW, TC__SS_RUN, TC__SS_BLOCKED, TC__SS_OUT, TC__SS_DONE };

struct tc__st {
	int state;                  /* enum tc__ss */
	int label;                  /* threadcheck's TN */
	struct tc__thread *slot;
	uintptr_t handle;           /* pthread_t; 0 until pthread_create returned */
	const void *obj;            /* what it is blocked on */
	int timed, timed_out;
	unsigned long since;        /* when it blocked (a signal wakes the longest waiter) */
	long prio;                  /* PCT priority: the highest runnable one runs */
	_Atomic int go;             /* futex word: 1 while it holds the turn */
};

/* The strategies, as X(ENUM, name in THREADCHECK_SCHED, picker). */
#define TC__STRATEGIES(X)                                                                   \
	X(PCT, "pct", tc__pick_pct)                                                         \
	X(RANDOM, "random", tc__pick_random)                                                \
	X(DELAY, "delay", tc__pick_delay)                                                   \
	X(REPLAY, "replay", tc__pick_replay)

enum tc__strategy {
#define X(e, name, fn) TC__STRAT_##e,
	TC__STRATEGIES(X)
#undef X
};

/* One row of the trace: the step, the thread, what it was about to do, and whether the
 * turn then went to another thread while it could have gone on (a preemption). */
struct tc__row {
	long step;
	int label, other;           /* OTHER: the created or joined thread's label, or -1 */
	unsigned char op, preempt;
	const void *obj;
	void *site;
};

/* Everything below is read and written under LOCK, but GO and the flags read without it. */
static struct {
	atomic_flag lock;
	_Atomic int stopped;
	_Atomic int ended;
	enum tc__strategy strategy;
	const char *spec;           /* THREADCHECK_SCHED as given */
	uint64_t rng, seed;
	int depth;
	long steps_hint;
	long change[TC__CHANGE_MAX];
	int nchange, ichange;
	long low_prio, yield_prio;
	_Atomic long step;
	int cur;                    /* the index holding the turn; -1: nobody */
	int n;                      /* entries [0, n) have been used */
	unsigned long block_seq;
	long nchoice, npreempt, nstall, ndiverge;
	int logfd, trace;
	long stall_ms;
	struct tc__st st[TC__SCHED_MAX];
	long rep_step[TC__REPLAY_MAX];
	int rep_label[TC__REPLAY_MAX];
	int nrep, irep;
	struct { pthread_barrier_t *b; unsigned count, arrived, gen; } bar[TC__BARRIER_MAX];
	struct { pthread_once_t *ctl; int state; } once[TC__ONCE_MAX];
} tc__s = { .logfd = -1, .cur = -1 };

static struct tc__row tc__rows[TC__TRACE_MAX];
static long tc__nrow;

static __thread struct tc__st *tc__sme __attribute__((tls_model("initial-exec")));
/* A signal handler may call sem_post or another interposed call while its thread is inside
 * the explorer (parked, or holding the lock): DEPTH makes such a nested point a no-op, and a
 * wake made while the thread holds (or takes) the lock is put off until it lets go. */
static __thread int tc__depth __attribute__((tls_model("initial-exec")));
static __thread int tc__holding __attribute__((tls_model("initial-exec")));
static __thread const void *tc__later[8] __attribute__((tls_model("initial-exec")));
static __thread int tc__nlater __attribute__((tls_model("initial-exec")));

/* ---- small helpers ------------------------------------------------------------------- */

/* splitmix64: the one source of the strategies' randomness, so a seed fixes a schedule. */
static uint64_t tc__rand(void)
{
	uint64_t z = (tc__s.rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static long tc__rand_below(long n)
{
	return n <= 1 ? 0 : (long)(tc__rand() % (uint64_t)n);
}

static void tc__futex_wait(_Atomic int *w, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
}

static void tc__futex_wake(_Atomic int *w)
{
	(void)syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Writes one line (formatted by the caller into B) to the schedule log, if there is one. */
static void tc__log_line(struct tc__buf *b)
{
	if (tc__s.logfd >= 0)
		(void)tc__write_all(tc__s.logfd, b->p, b->len);
	b->len = 0;
}

static int tc__idx(const struct tc__st *e)
{
	return (int)(e - tc__s.st);
}

static int tc__runnable(int i)
{
	return tc__s.st[i].state == TC__SS_NEW || tc__s.st[i].state == TC__SS_RUN;
}

static int tc__by_label(int label)
{
	for (int i = 0; i < tc__s.n; i++)
		if (tc__s.st[i].state != TC__SS_FREE && tc__s.st[i].label == label)
			return i;
	return -1;
}

/* ---- the strategies ----------------------------------------------------------------- */

/* The default choice, which a decision list leaves in place: ME while it can run, else the
 * first runnable thread after ME in round-robin order; -1 when none can run. */
static int tc__default(int me)
{
	if (me >= 0 && tc__runnable(me))
		return me;
	for (int k = 1; k <= tc__s.n; k++) {
		int i = ((me < 0 ? tc__s.n - 1 : me) + k) % tc__s.n;

		if (tc__runnable(i))
			return i;
	}
	return -1;
}

/* The runnable thread after D in round-robin order, or D when it is the only one. */
static int tc__next_after(int d)
{
	for (int k = 1; k < tc__s.n; k++) {
		int i = (d + k) % tc__s.n;

		if (tc__runnable(i))
			return i;
	}
	return d;
}

/* Whether this step is the next change point (PCT) or delay (delay bounding); moves on. */
static int tc__at_change(void)
{
	long step = atomic_load_explicit(&tc__s.step, memory_order_relaxed);
	int hit = 0;

	while (tc__s.ichange < tc__s.nchange && tc__s.change[tc__s.ichange] <= step) {
		hit |= tc__s.change[tc__s.ichange] == step;
		tc__s.ichange++;
	}
	return hit;
}

/* PCT: the runnable thread of highest priority; at a change point ME first drops below
 * every thread's starting priority. */
static int tc__pick_pct(int me, int d)
{
	int best = d;

	if (me >= 0 && tc__at_change())
		tc__s.st[me].prio = tc__s.low_prio--;
	for (int i = 0; i < tc__s.n; i++)
		if (tc__runnable(i) && tc__s.st[i].prio > tc__s.st[best].prio)
			best = i;
	return best;
}

/* Random walk: any runnable thread, uniformly. */
static int tc__pick_random(int me, int d)
{
	int cand[TC__SCHED_MAX], n = 0;

	(void)me;
	(void)d;
	for (int i = 0; i < tc__s.n; i++)
		if (tc__runnable(i))
			cand[n++] = i;
	return cand[tc__rand_below(n)];
}

/* Delay bounding: the default scheduler, but at each of the DEPTH delay points the thread
 * it would pick is skipped for the next one in round-robin order. */
static int tc__pick_delay(int me, int d)
{
	(void)me;
	return tc__at_change() ? tc__next_after(d) : d;
}

/* Replay: the decision list's thread at its step, the default everywhere else. An entry
 * whose thread cannot run here is a divergence (counted and logged), and is skipped. */
static int tc__pick_replay(int me, int d)
{
	long step = atomic_load_explicit(&tc__s.step, memory_order_relaxed);
	int i;

	(void)me;
	while (tc__s.irep < tc__s.nrep && tc__s.rep_step[tc__s.irep] < step)
		tc__s.irep++;
	if (tc__s.irep >= tc__s.nrep || tc__s.rep_step[tc__s.irep] != step)
		return d;
	i = tc__by_label(tc__s.rep_label[tc__s.irep++]);
	if (i >= 0 && tc__runnable(i))
		return i;
	tc__s.ndiverge++;
	if (tc__s.logfd >= 0) {
		char line[96];
		struct tc__buf b = { line, 0, sizeof line };

		tc__bprintf(&b, "diverge %ld T%d\n", step, tc__s.rep_label[tc__s.irep - 1]);
		tc__log_line(&b);
	}
	return d;
}

static int (*const tc__pickers[])(int, int) = {
#define X(e, name, fn) [TC__STRAT_##e] = fn,
	TC__STRATEGIES(X)
#undef X
};

/* When nobody can run, a timed wait may end: the one blocked longest times out. Returns
 * its index, or -1 when no thread is in a timed wait. */
static int tc__timeout_one(void)
{
	int best = -1;

	for (int i = 0; i < tc__s.n; i++) {
		struct tc__st *e = &tc__s.st[i];

		if (e->state == TC__SS_BLOCKED && e->timed &&
		    (best < 0 || e->since < tc__s.st[best].since))
			best = i;
	}
	if (best >= 0) {
		tc__s.st[best].state = TC__SS_RUN;
		tc__s.st[best].timed_out = 1;
	}
	return best;
}

/* Chooses who runs after ME's step (ME: -1 when nobody held the turn) and logs a choice the
 * default would not have made. When ME YIELDS (a sched_yield or a sleep), the default is the
 * next runnable thread after it: a thread that sleeps asks the others to run, and one that
 * polls with a sleep (a trylock back-off, say) would otherwise keep the turn for ever on the
 * default schedule. Handing the turn over there is no preemption. Returns -1 when nobody can
 * run. */
static int tc__choose(int me, int yields)
{
	int d = tc__default(me), c;

	if (d < 0 && (d = tc__timeout_one()) < 0)
		return -1;
	if (yields && d == me)
		d = tc__next_after(d);
	c = tc__pickers[tc__s.strategy](me, d);
	if (c != d) {
		int preempt = me >= 0 && c != me && tc__runnable(me) && !yields;
		char line[96];
		struct tc__buf b = { line, 0, sizeof line };

		tc__s.nchoice++;
		tc__s.npreempt += preempt;
		tc__bprintf(&b, "choice %ld T%d%s\n", atomic_load(&tc__s.step), tc__s.st[c].label,
			    preempt ? " preempt" : "");
		tc__log_line(&b);
	}
	return c;
}

/* ---- handing the turn over ------------------------------------------------------------ */

static void tc__lock(void)
{
	tc__holding = 1;
	atomic_signal_fence(memory_order_seq_cst);
	tc__spin_lock(&tc__s.lock);
}

void tc__sched_wake(const void *obj, int all);

static void tc__unlock(void)
{
	tc__spin_unlock(&tc__s.lock);
	atomic_signal_fence(memory_order_seq_cst);
	tc__holding = 0;
	while (tc__nlater > 0)
		tc__sched_wake(tc__later[--tc__nlater], 1);
}

/* Gives the turn to NEXT (the lock is held). */
static void tc__hand(int next)
{
	tc__s.cur = next;
	atomic_store(&tc__s.st[next].go, 1);
	tc__futex_wake(&tc__s.st[next].go);
}

/* Whether a thread runs outside the explorer's sight (stalled in an unseen call). */
static int tc__any_out(void)
{
	for (int i = 0; i < tc__s.n; i++)
		if (tc__s.st[i].state == TC__SS_OUT)
			return 1;
	return 0;
}

/* Nobody can run and nobody is outside: a deadlock, unless a signal handler (or a thread
 * the explorer does not drive) wakes someone within the grace time, which the explorer
 * cannot foresee. threadcheck's detector then describes it (the cycle, or every thread
 * blocked forever) and ends the process. A thread that just ended may still be leaving
 * glibc, which the detector waits out; when it finds nothing after that, the explorer stays
 * idle and the run's timeout ends it. */
static void tc__deadlock_found(void)
{
	long step0 = atomic_load(&tc__s.step);

	for (int k = 0; k < 100; k++) {
		int woke;

		tc__sleep_ms(k == 0 ? TC__GRACE_MS : 2);
		tc__lock();
		woke = tc__s.cur >= 0 || atomic_load(&tc__s.step) != step0;
		tc__unlock();
		if (woke)
			return;
		tc__deadlock_now();
	}
}

/* Lets ME wait for the turn. A holder that reaches no point for the stall time is taken to
 * be blocked in a call the explorer does not see (read, poll, a spin loop): it is set OUT
 * (it rejoins at its next point) and the turn moves on, so that the program still ends. */
static void tc__wait_turn(struct tc__st *me)
{
	long step0 = atomic_load(&tc__s.step);

	while (!atomic_load(&me->go) && !atomic_load(&tc__s.stopped)) {
		tc__futex_wait(&me->go, tc__s.stall_ms);
		if (atomic_load(&me->go) || atomic_load(&tc__s.stopped))
			break;
		tc__lock();
		if (!atomic_load(&me->go) && atomic_load(&tc__s.step) == step0 && tc__s.cur >= 0 &&
		    tc__s.st[tc__s.cur].state == TC__SS_RUN) {
			int stalled = tc__s.cur, next;
			char line[96];
			struct tc__buf b = { line, 0, sizeof line };

			tc__s.st[stalled].state = TC__SS_OUT;
			tc__s.nstall++;
			/* A step of its own, so that the other waiters do not take the thread
			 * that gets the turn now for stalled as well. */
			atomic_fetch_add(&tc__s.step, 1);
			tc__bprintf(&b, "stall %ld T%d\n", step0, tc__s.st[stalled].label);
			tc__log_line(&b);
			next = tc__choose(stalled, 0);
			if (next >= 0)
				tc__hand(next);
			else
				tc__s.cur = -1;
		}
		step0 = atomic_load(&tc__s.step);
		tc__unlock();
	}
}

/* Adds a trace row for ME's step (the lock is held). */
static void tc__trace_row(int me, enum tc__sop op, const void *obj, void *site, int other,
			  int preempt)
{
	struct tc__row *r;

	if (!tc__s.trace || tc__nrow >= TC__TRACE_MAX)
		return;
	r = &tc__rows[tc__nrow++];
	*r = (struct tc__row){ .step = atomic_load(&tc__s.step), .label = tc__s.st[me].label,
			       .other = other, .op = (unsigned char)op,
			       .preempt = (unsigned char)preempt, .obj = obj, .site = site };
}

/* One step of ME, the turn holder, with the lock held: counts it, traces it, chooses who
 * runs next and hands the turn over. Releases the lock; when WAIT is set, returns once ME
 * holds the turn again (or the explorer stopped). */
static void tc__step(int me, enum tc__sop op, const void *obj, void *site, int other, int wait)
{
	struct tc__st *m = &tc__s.st[me];
	int next, dead = 0, yields;

	atomic_fetch_add(&tc__s.step, 1);
	if ((op == TC__SOP_YIELD || op == TC__SOP_SLEEP) && tc__s.strategy == TC__STRAT_PCT)
		m->prio = tc__s.yield_prio--;
	yields = op == TC__SOP_YIELD || op == TC__SOP_SLEEP;
	next = tc__choose(me, yields);
	tc__trace_row(me, op, obj, site, other, next >= 0 && next != me && tc__runnable(me) && !yields);
	if (next == me) {
		tc__unlock();
		return;
	}
	atomic_store(&m->go, 0);
	if (next >= 0) {
		tc__hand(next);
	} else {
		tc__s.cur = -1;
		dead = !tc__any_out();
	}
	tc__unlock();
	if (dead)
		tc__deadlock_found();
	if (wait)
		tc__wait_turn(m);
}

/* ME, set OUT by a stall, reached a point: it can run again, and waits for the turn unless
 * nobody holds it. Called with the lock held; returns with it held. */
static void tc__rejoin(struct tc__st *me)
{
	me->state = TC__SS_RUN;
	if (tc__s.cur < 0) {
		tc__s.cur = tc__idx(me);
		atomic_store(&me->go, 1);
		return;
	}
	atomic_store(&me->go, 0);
	tc__unlock();
	tc__wait_turn(me);
	tc__lock();
}

int tc__sched_driving(void)
{
	return tc__sme != NULL && !atomic_load(&tc__s.stopped);
}

void tc__sched_point(enum tc__sop op, const void *obj, void *site)
{
	struct tc__st *me = tc__sme;

	int other = -1;

	if (me == NULL || atomic_load(&tc__s.stopped) || tc__depth > 0)
		return;
	tc__depth++;
	tc__lock();
	if (me->state == TC__SS_OUT)
		tc__rejoin(me);
	/* A join names the joined thread in the trace, not its handle. */
	for (int i = 0; op == TC__SOP_JOIN && i < tc__s.n && other < 0; i++)
		if (tc__s.st[i].state != TC__SS_FREE && tc__s.st[i].handle == (uintptr_t)obj)
			other = tc__s.st[i].label;
	tc__step(tc__idx(me), op, obj, site, other, 1);
	tc__depth--;
}

/* The calling thread blocks on OBJ (for a timeout too when TIMED) at SITE until a wake.
 * Returns 0 when woken, ETIMEDOUT when the schedule let the wait time out, -1 when the
 * explorer does not drive it, or stopped while it was still blocked (a thread woken before
 * the stop was woken: it returns 0). */
static int tc__block(const void *obj, int timed, void *site)
{
	struct tc__st *me = tc__sme;
	int blocked;

	if (me == NULL || atomic_load(&tc__s.stopped) || tc__depth > 0)
		return -1;
	tc__depth++;
	tc__lock();
	if (me->state == TC__SS_OUT)
		tc__rejoin(me);
	me->state = TC__SS_BLOCKED;
	me->obj = obj;
	me->timed = timed;
	me->timed_out = 0;
	me->since = ++tc__s.block_seq;
	/* Blocked in a join: on the joined thread's entry, named by its label. */
	tc__step(tc__idx(me), TC__SOP_BLOCK, obj, site,
		 (const char *)obj >= (const char *)tc__s.st &&
				 (const char *)obj < (const char *)(tc__s.st + TC__SCHED_MAX)
			 ? ((const struct tc__st *)obj)->label
			 : -1,
		 1);
	tc__lock();
	blocked = me->state == TC__SS_BLOCKED;
	tc__unlock();
	tc__depth--;
	if (blocked)
		return -1;
	return me->timed_out ? ETIMEDOUT : 0;
}

void tc__sched_wake(const void *obj, int all)
{
	int pick = -1;

	if (!tc__sched_on || atomic_load(&tc__s.stopped))
		return;
	if (tc__holding) {
		/* From a signal handler that interrupted this thread at the lock: later. */
		if (tc__nlater < (int)(sizeof tc__later / sizeof tc__later[0]))
			tc__later[tc__nlater++] = obj;
		return;
	}
	tc__lock();
	for (int i = 0; i < tc__s.n; i++) {
		struct tc__st *e = &tc__s.st[i];

		if (e->state != TC__SS_BLOCKED || e->obj != obj)
			continue;
		if (all)
			e->state = TC__SS_RUN;
		else if (pick < 0 || e->since < tc__s.st[pick].since)
			pick = i;
	}
	if (pick >= 0)
		tc__s.st[pick].state = TC__SS_RUN;
	/* A wake from outside (an unscheduled thread) while nobody holds the turn: someone can
	 * run now. */
	if (tc__s.cur < 0 && tc__default(-1) >= 0)
		tc__hand(tc__choose(-1, 0));
	tc__unlock();
}

/* ---- thread lifecycle ------------------------------------------------------------------ */

/* A free entry for a new thread labelled LABEL (the lock is held), or NULL. */
static struct tc__st *tc__entry_new(struct tc__thread *slot, int label)
{
	for (int i = 0; i < TC__SCHED_MAX; i++) {
		struct tc__st *e = &tc__s.st[i];

		if (e->state != TC__SS_FREE)
			continue;
		memset(e, 0, sizeof *e);
		e->state = TC__SS_NEW;
		e->slot = slot;
		e->label = label;
		e->prio = tc__s.depth + 1 + tc__rand_below(1L << 30);
		if (i >= tc__s.n)
			tc__s.n = i + 1;
		return e;
	}
	return NULL;
}

void tc__sched_create_begin(struct tc__thread *t)
{
	if (tc__sme == NULL || atomic_load(&tc__s.stopped))
		return;
	tc__lock();
	(void)tc__entry_new(t, t->label);
	tc__unlock();
}

void tc__sched_create_end(struct tc__thread *t, int rc, pthread_t handle, void *site)
{
	struct tc__st *me = tc__sme;
	int i;

	if (me == NULL || atomic_load(&tc__s.stopped))
		return;
	tc__lock();
	for (i = 0; i < tc__s.n; i++)
		if (tc__s.st[i].slot == t && tc__s.st[i].state == TC__SS_NEW &&
		    tc__s.st[i].handle == 0)
			break;
	if (i == tc__s.n) {
		tc__unlock();
		return;
	}
	if (rc != 0) {
		tc__s.st[i].state = TC__SS_FREE;
		tc__unlock();
		return;
	}
	tc__s.st[i].handle = (uintptr_t)handle;
	/* A point right after the creation: the new thread may run before the creator goes on
	 * (an order violation is often "the creator sets it up just after pthread_create"). */
	tc__step(tc__idx(me), TC__SOP_CREATED, NULL, site, t->label, 1);
}

void tc__sched_start(struct tc__thread *t)
{
	struct tc__st *e = NULL;

	if (!tc__sched_on || atomic_load(&tc__s.stopped))
		return;
	tc__lock();
	for (int i = 0; i < tc__s.n; i++)
		if (tc__s.st[i].slot == t && tc__s.st[i].state == TC__SS_NEW)
			e = &tc__s.st[i];
	tc__unlock();
	if (e == NULL)
		return;
	tc__sme = e;
	tc__wait_turn(e);
	tc__lock();
	if (e->state == TC__SS_NEW)
		e->state = TC__SS_RUN;
	tc__trace_row(tc__idx(e), TC__SOP_START, NULL, t->start_fn, -1, 0);
	tc__unlock();
}

void tc__sched_exit(void)
{
	struct tc__st *me = tc__sme;

	if (me == NULL)
		return;
	tc__sme = NULL;
	if (atomic_load(&tc__s.stopped))
		return;
	tc__lock();
	if (me->state == TC__SS_OUT)
		tc__rejoin(me);
	me->state = TC__SS_DONE;
	for (int i = 0; i < tc__s.n; i++)
		if (tc__s.st[i].state == TC__SS_BLOCKED && tc__s.st[i].obj == me)
			tc__s.st[i].state = TC__SS_RUN;
	tc__step(tc__idx(me), TC__SOP_EXIT, NULL, NULL, -1, 0);
}

int tc__sched_join(pthread_t handle, int timed, void *site)
{
	struct tc__st *e = NULL;
	int rc;

	if (!tc__sched_driving())
		return -1;
	tc__lock();
	for (int i = 0; i < tc__s.n; i++)
		if (tc__s.st[i].state != TC__SS_FREE && tc__s.st[i].handle == (uintptr_t)handle)
			e = &tc__s.st[i];
	tc__unlock();
	if (e == NULL)
		return -1;
	for (;;) {
		tc__lock();
		if (e->state == TC__SS_DONE) {
			/* Joined: the entry may serve a later thread. */
			e->state = TC__SS_FREE;
			tc__unlock();
			return 0;
		}
		tc__unlock();
		rc = tc__block(e, timed, site);
		if (rc != 0)
			return rc;
	}
}

int tc__sched_timed_join(pthread_t handle, void *site)
{
	tc__sched_point(TC__SOP_JOIN, (void *)handle, site);
	return tc__sched_join(handle, 1, site) == ETIMEDOUT;
}

void tc__sched_leave(const void *obj, void *site)
{
	struct tc__st *me = tc__sme;

	if (me == NULL || atomic_load(&tc__s.stopped))
		return;
	tc__lock();
	if (me->state == TC__SS_OUT)
		tc__rejoin(me);
	me->state = TC__SS_OUT;
	tc__step(tc__idx(me), TC__SOP_LEAVE, obj, site, -1, 0);
}

void tc__sched_back(void)
{
	struct tc__st *me = tc__sme;

	if (me == NULL || atomic_load(&tc__s.stopped))
		return;
	tc__lock();
	if (me->state == TC__SS_OUT)
		tc__rejoin(me);
	tc__unlock();
}

/* ---- the modelled blocking calls -------------------------------------------------------- */

/* Does nothing: marks a pthread_once_t done in glibc after the explorer ran its routine. */
static void tc__once_noop(void)
{
}

/* The state of a once control the explorer runs: 0 new, 1 its routine runs, 2 done. */
static int *tc__once_state(pthread_once_t *once)
{
	for (int i = 0; i < TC__ONCE_MAX; i++)
		if (tc__s.once[i].ctl == once || tc__s.once[i].ctl == NULL) {
			tc__s.once[i].ctl = once;
			return &tc__s.once[i].state;
		}
	return NULL;
}

int tc__sched_once(pthread_once_t *once, void (*init)(void), void *site)
{
	int *st;

	if (!tc__sched_driving())
		return -1;
	tc__sched_point(TC__SOP_ONCE, once, site);
	tc__lock();
	st = tc__once_state(once);
	/* glibc marks a finished once control with bit 2 (__PTHREAD_ONCE_DONE). */
	if (st == NULL || (atomic_load((_Atomic int *)once) & 2) != 0) {
		tc__unlock();
		return st == NULL ? -1 : 0;
	}
	if (*st == 0) {
		*st = 1;
		tc__unlock();
		init();
		tc__lock();
		*st = 2;
		tc__unlock();
		(void)tc__real_pthread_once()(once, tc__once_noop);
		tc__sched_wake(once, 1);
		return 0;
	}
	tc__unlock();
	while (*st != 2)
		if (tc__block(once, 0, site) < 0)
			return tc__real_pthread_once()(once, tc__once_noop);
	return 0;
}

int tc__sched_mutex_wait(pthread_mutex_t *m, int timed, void *site)
{
	int rc;

	if (!tc__sched_driving())
		return -1;
	for (;;) {
		rc = tc__real_pthread_mutex_trylock()(m);
		if (rc != EBUSY)
			return rc;
		rc = tc__block(m, timed, site);
		if (rc < 0)
			return timed ? -1 : tc__real_pthread_mutex_lock()(m);
		if (rc == ETIMEDOUT)
			return ETIMEDOUT;
	}
}

int tc__sched_rwlock_wait(pthread_rwlock_t *l, int wr, int timed, void *site)
{
	int (*try)(pthread_rwlock_t *) =
		wr ? tc__real_pthread_rwlock_trywrlock() : tc__real_pthread_rwlock_tryrdlock();
	int rc;

	if (!tc__sched_driving())
		return -1;
	for (;;) {
		rc = try(l);
		if (rc != EBUSY)
			return rc;
		rc = tc__block(l, timed, site);
		if (rc < 0)
			return timed ? -1
				     : (wr ? tc__real_pthread_rwlock_wrlock()
					   : tc__real_pthread_rwlock_rdlock())(l);
		if (rc == ETIMEDOUT)
			return ETIMEDOUT;
	}
}

int tc__sched_cond_wait(pthread_cond_t *c, pthread_mutex_t *m, int timed, void *site)
{
	int rc, woke;

	if (!tc__sched_driving())
		return -1;
	if ((rc = tc__real_pthread_mutex_unlock()(m)) != 0)
		return rc;
	tc__sched_wake(m, 1);
	/* Stopped (at exit) while waiting: see below. */
	woke = tc__block(c, timed, site);
	rc = tc__sched_mutex_wait(m, 0, site);
	if (rc < 0)
		rc = tc__real_pthread_mutex_lock()(m);
	if (rc != 0 && rc != EOWNERDEAD)
		return rc;
	/* Still waiting when the explorer stopped (at exit): the real wait, so that a thread
	 * that nobody will signal stays blocked and the exit report sees it. */
	if (woke < 0 && !timed)
		return tc__real_pthread_cond_wait()(c, m);
	return woke == ETIMEDOUT ? ETIMEDOUT : 0;
}

int tc__sched_sem_wait(sem_t *s, int timed, void *site)
{
	int rc;

	if (!tc__sched_driving())
		return -2;
	for (;;) {
		if (tc__real_sem_trywait()(s) == 0)
			return 0;
		if (errno != EAGAIN)
			return -1;
		rc = tc__block(s, timed, site);
		if (rc < 0)
			return -2;
		if (rc == ETIMEDOUT) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
}

void tc__sched_barrier_init(pthread_barrier_t *b, unsigned count)
{
	tc__lock();
	for (int i = 0; i < TC__BARRIER_MAX; i++) {
		if (tc__s.bar[i].b == b || tc__s.bar[i].b == NULL) {
			tc__s.bar[i].b = b;
			tc__s.bar[i].count = count;
			tc__s.bar[i].arrived = 0;
			break;
		}
	}
	tc__unlock();
}

int tc__sched_barrier_wait(pthread_barrier_t *b, void *site)
{
	int i;
	unsigned gen;

	if (!tc__sched_driving())
		return -2;
	tc__lock();
	for (i = 0; i < TC__BARRIER_MAX && tc__s.bar[i].b != b; i++)
		;
	if (i == TC__BARRIER_MAX) {
		tc__unlock();
		return -2;
	}
	if (++tc__s.bar[i].arrived == tc__s.bar[i].count) {
		tc__s.bar[i].arrived = 0;
		tc__s.bar[i].gen++;
		tc__unlock();
		tc__sched_wake(b, 1);
		return PTHREAD_BARRIER_SERIAL_THREAD;
	}
	gen = tc__s.bar[i].gen;
	tc__unlock();
	while (tc__s.bar[i].gen == gen)
		if (tc__block(b, 0, site) < 0)
			break;
	return 0;
}

/* ---- the schedule log ----------------------------------------------------------------- */

static const char *const tc__op_names[] = {
#define X(e, name) [TC__SOP_##e] = name,
	TC__SCHED_OPS(X)
#undef X
};

/* Writes the trace: one line per row, its site symbolised (in batches of 64). */
static void tc__trace_write(void)
{
	static struct tc__sym sym[64];
	void *addrs[64];
	char line[768];

	for (long base = 0; base < tc__nrow; base += 64) {
		long n = tc__nrow - base < 64 ? tc__nrow - base : 64;

		for (long k = 0; k < n; k++) {
			struct tc__row *r = &tc__rows[base + k];

			addrs[k] = r->op == TC__SOP_START ? r->site : tc__call_addr(r->site);
		}
		tc__symbolize(addrs, sym, (size_t)n);
		for (long k = 0; k < n; k++) {
			struct tc__row *r = &tc__rows[base + k];
			struct tc__buf b = { line, 0, sizeof line };

			tc__bprintf(&b, "trace %ld T%d %s ", r->step, r->label, tc__op_names[r->op]);
			if (r->other >= 0)
				tc__bprintf(&b, "T%d", r->other);
			else
				tc__bprintf(&b, "%p", r->obj);
			tc__bprintf(&b, " %s%s %s\n", r->preempt ? "preempt " : "",
				    sym[k].function, sym[k].fileline);
			tc__log_line(&b);
		}
	}
}

void tc__sched_end(const char *how)
{
	char line[256];
	struct tc__buf b = { line, 0, sizeof line };

	if (!tc__sched_on || atomic_exchange(&tc__s.ended, 1) != 0)
		return;
	if (tc__s.trace)
		tc__trace_write();
	tc__bprintf(&b, "end %s steps=%ld choices=%ld preemptions=%ld stalls=%ld diverged=%ld\n",
		    how, atomic_load(&tc__s.step), tc__s.nchoice, tc__s.npreempt, tc__s.nstall,
		    tc__s.ndiverge);
	tc__log_line(&b);
}

/* A fatal signal under the explorer: the log gets its end (the decisions are written as
 * they are made), then the signal's default action. */
static void tc__on_fatal(int sig)
{
	char how[32];
	struct tc__buf b = { how, 0, sizeof how };

	tc__bprintf(&b, "signal-%d", sig);
	tc__sched_end(how);
	(void)raise(sig);
}

/* The threads other than the caller that are blocked for good (see tc__sched_at_exit), or 0
 * when one of them can still run. Under LOCK. */
static int tc__blocked_for_good(void)
{
	int n = 0;

	for (int i = 0; i < tc__s.n; i++) {
		const struct tc__st *e = &tc__s.st[i];

		if (e == tc__sme || e->state == TC__SS_FREE || e->state == TC__SS_DONE)
			continue;
		if (e->state != TC__SS_BLOCKED || e->timed)
			return 0;
		n++;
	}
	return n;
}

int tc__sched_at_exit(void)
{
	int stuck;

	if (!tc__sched_on)
		return 0;
	tc__sched_point(TC__SOP_ATEXIT, NULL, __builtin_return_address(0));
	tc__lock();
	stuck = atomic_load(&tc__s.stopped) ? 0 : tc__blocked_for_good();
	atomic_store(&tc__s.stopped, 1);
	for (int i = 0; i < tc__s.n; i++) {
		atomic_store(&tc__s.st[i].go, 1);
		tc__futex_wake(&tc__s.st[i].go);
	}
	tc__unlock();
	tc__sched_end("exit");
	return stuck;
}

void tc__sched_atfork_child(void)
{
	if (!tc__sched_on)
		return;
	atomic_store(&tc__s.stopped, 1);
	atomic_store(&tc__s.ended, 1);
	atomic_flag_clear(&tc__s.lock);
	tc__s.logfd = -1;
}

/* ---- configuration ---------------------------------------------------------------------- */

/* Reads "KEY=NUMBER" options after the strategy in SPEC into the settings. Returns 0, or -1
 * on an unknown key or a bad number. */
static int tc__parse_opts(const char *p)
{
	while (*p == ':') {
		char *end;
		const char *eq = strchr(++p, '=');
		long long v;

		if (eq == NULL)
			return -1;
		errno = 0;
		v = strtoll(eq + 1, &end, 10);
		if (errno != 0 || end == eq + 1 || v < 0 || (*end != ':' && *end != '\0'))
			return -1;
		if (strncmp(p, "seed=", 5) == 0)
			tc__s.seed = (uint64_t)v;
		else if (strncmp(p, "depth=", 6) == 0 && v >= 1 && v <= TC__CHANGE_MAX)
			tc__s.depth = (int)v;
		else if (strncmp(p, "steps=", 6) == 0 && v >= 1)
			tc__s.steps_hint = (long)v;
		else
			return -1;
		p = end;
	}
	return *p == '\0' ? 0 : -1;
}

/* Reads THREADCHECK_SCHED ("pct:seed=S:depth=D:steps=K", "random:seed=S",
 * "delay:seed=S:depth=D:steps=K"). Returns 0, or -1 when it is malformed. */
static int tc__parse_spec(const char *spec)
{
	static const char *const names[] = {
#define X(e, name, fn) [TC__STRAT_##e] = name,
		TC__STRATEGIES(X)
#undef X
	};
	size_t n = strcspn(spec, ":");

	tc__s.depth = 3;
	tc__s.steps_hint = 200;
	for (int k = 0; k < (int)(sizeof names / sizeof names[0]); k++)
		if (strlen(names[k]) == n && strncmp(spec, names[k], n) == 0 &&
		    k != TC__STRAT_REPLAY) {
			tc__s.strategy = (enum tc__strategy)k;
			return tc__parse_opts(spec + n);
		}
	return -1;
}

/* Reads THREADCHECK_REPLAY: "STEP:TLABEL" entries separated by commas ("-": none). Returns
 * 0, or -1 when it is malformed. */
static int tc__parse_replay(const char *p)
{
	if (strcmp(p, "-") == 0)
		return 0;
	while (*p != '\0') {
		char *end;
		long step = strtol(p, &end, 10), label;

		if (end == p || end[0] != ':' || end[1] != 'T' || tc__s.nrep >= TC__REPLAY_MAX)
			return -1;
		p = end + 2;
		label = strtol(p, &end, 10);
		if (end == p || (*end != ',' && *end != '\0'))
			return -1;
		tc__s.rep_step[tc__s.nrep] = step;
		tc__s.rep_label[tc__s.nrep++] = (int)label;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/* Draws the change points (PCT: DEPTH-1 of them) or delays (DEPTH) in [1, STEPS], sorted. */
static void tc__draw_changes(void)
{
	int n = tc__s.strategy == TC__STRAT_PCT ? tc__s.depth - 1 : tc__s.depth;

	if (tc__s.strategy == TC__STRAT_RANDOM || tc__s.strategy == TC__STRAT_REPLAY)
		n = 0;
	for (int k = 0; k < n; k++) {
		long v = 1 + tc__rand_below(tc__s.steps_hint), j = k;

		for (; j > 0 && tc__s.change[j - 1] > v; j--)
			tc__s.change[j] = tc__s.change[j - 1];
		tc__s.change[j] = v;
	}
	tc__s.nchange = n;
	tc__s.low_prio = tc__s.depth - 1;
	tc__s.yield_prio = -1;
}

/* Opens THREADCHECK_SCHED_LOG's PREFIX.<pid> and writes the header; -1 when unset. */
static void tc__open_sched_log(const char *replay)
{
	const char *prefix = getenv("THREADCHECK_SCHED_LOG");
	char path[4096], line[8192];
	struct tc__buf pb = { path, 0, sizeof path }, b = { line, 0, sizeof line };

	if (prefix == NULL || *prefix == '\0')
		return;
	tc__bprintf(&pb, "%s.%d", prefix, (int)getpid());
	tc__s.logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (tc__s.logfd < 0)
		return;
	tc__bprintf(&b, "schedule 1 pid=%d %s%s%s\n", (int)getpid(),
		    tc__s.spec != NULL ? tc__s.spec : "replay", replay != NULL ? " replay=" : "",
		    replay != NULL ? (strlen(replay) < 4000 ? replay : "(long)") : "");
	tc__log_line(&b);
}

/* Reports a malformed setting. */
static void tc__bad_setting(const char *name)
{
	char msg[160];
	struct tc__buf b = { msg, 0, sizeof msg };

	tc__bprintf(&b, "threadcheck: malformed %s; schedule exploration is off\n", name);
	tc__buf_flush(&b, 2);
}

void tc__sched_init(void)
{
	const char *spec = getenv("THREADCHECK_SCHED"), *replay = getenv("THREADCHECK_REPLAY");
	const char *stall = getenv("THREADCHECK_SCHED_STALL_MS"), *trace;
	struct sigaction sa;
	struct tc__st *e;

	if ((spec == NULL || *spec == '\0') && replay == NULL)
		return;
	tc__s.spec = spec;
	if (spec != NULL && *spec != '\0' && tc__parse_spec(spec) != 0) {
		tc__bad_setting("THREADCHECK_SCHED");
		return;
	}
	if (replay != NULL) {
		if (tc__parse_replay(replay) != 0) {
			tc__bad_setting("THREADCHECK_REPLAY");
			return;
		}
		tc__s.strategy = TC__STRAT_REPLAY;
	}
	tc__s.rng = tc__s.seed;
	tc__draw_changes();
	tc__s.stall_ms = stall != NULL && atol(stall) > 0 ? atol(stall) : TC__STALL_MS;
	trace = getenv("THREADCHECK_SCHED_TRACE");
	tc__s.trace = trace != NULL && strcmp(trace, "1") == 0;
	tc__open_sched_log(replay);
	e = tc__entry_new(tc__me, tc__me != NULL ? tc__me->label : 0);
	e->state = TC__SS_RUN;
	atomic_store(&e->go, 1);
	tc__s.cur = 0;
	tc__sme = e;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tc__on_fatal;
	sa.sa_flags = (int)SA_RESETHAND | SA_NODEFER;
	for (int sig = SIGILL; sig <= SIGSEGV; sig++)
		if (sig == SIGILL || sig == SIGABRT || sig == SIGBUS || sig == SIGFPE || sig == SIGSEGV)
			(void)sigaction(sig, &sa, NULL);
	tc__sched_on = 1;
}
