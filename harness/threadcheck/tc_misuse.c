/* tc_misuse.c: reports of pthread calls made against their contract (FORMAT.md `misuse:<what>`
 * records): a readable block on stderr when the call happens, the record kept for the log. */
#include "tc_misuse.h"
#include "tc_symbolize.h"
#include "tc_util.h"

#include <link.h>
#include <stdio.h>
#include <string.h>

#define TC__MAX_MISUSE 64           /* distinct (kind, call site) pairs kept */

/* The addresses a record symbolises: the caller's start and creation, its call, the other
 * thread's start and creation, where the other took the lock, the earlier init, then the
 * locks a thread still held at its end. */
enum { A_START, A_CREATED, A_SITE, A_OSTART, A_OCREATED, A_OHOLD, A_OCALL, A_HELD,
       A_N = A_HELD + TC__MAX_HELD };

/* One distinct misuse, kept as the report that describes it. state: 0 free, 1 being
 * written, 2 ready. */
struct tc__mrec {
	_Atomic int state;
	enum tc__misuse what;
	void *key;                  /* the call site, or the first lock's site for a return */
	_Atomic int count;
	int counted;                /* ready when tc__misuse_reps ran: goes into the log */
	char kind[48];
	char name[TC__NAME_LEN + 1];
	struct tc__sym sym[A_N];
	struct tc__rep_line line[TC__MAX_HELD + 3];
	struct tc__rep_thread thread[2];
	char message[512];
	char logmsg[600];           /* the message with its repeat count, for the log */
	struct tc__rep rep;
};

/* What a report is made from besides its tc__misuse_info: the locks a thread still held at
 * its end (EXIT_HOLDING_LOCK only) and the words naming the other thread. */
struct tc__mctx {
	const struct tc__misuse_info *mi;
	int nheld;
	void *held_obj[TC__MAX_HELD], *held_site[TC__MAX_HELD];
	char other[32];
};

static struct tc__mrec tc__mr[TC__MAX_MISUSE];
static int tc__mr_n;                /* guarded by tc__mr_lock */
static _Atomic int tc__mr_lost;
static atomic_flag tc__mr_lock = ATOMIC_FLAG_INIT;

const char *tc__misuse_name(enum tc__misuse what)
{
	switch (what) {
#define X(e, raw, words)                                                                    \
	case TC__MISUSE_##e:                                                                \
		return raw;
		TC__MISUSES(X)
#undef X
	}
	return "?";
}

static const char *tc__misuse_words(enum tc__misuse what)
{
	switch (what) {
#define X(e, raw, words)                                                                    \
	case TC__MISUSE_##e:                                                                \
		return words;
		TC__MISUSES(X)
#undef X
	}
	return "?";
}

void tc__misuse_other(struct tc__misuse_info *mi, struct tc__thread *t, void *site)
{
	mi->other_label = t != NULL ? t->label : -1;
	mi->other_tid = t != NULL ? atomic_load(&t->tid) : 0;
	mi->other_start = t != NULL ? t->start_fn : NULL;
	mi->other_create = t != NULL ? t->create_site : NULL;
	mi->other_hold_site = site;
}

/* Claims the record of (WHAT, KEY). Returns it, or NULL when it exists already (its count
 * goes up) or the table is full. */
static struct tc__mrec *tc__mclaim(enum tc__misuse what, void *key)
{
	struct tc__mrec *r = NULL;

	tc__spin_lock(&tc__mr_lock);
	for (int i = 0; i < tc__mr_n; i++)
		if (tc__mr[i].what == what && tc__mr[i].key == key) {
			atomic_fetch_add(&tc__mr[i].count, 1);
			tc__spin_unlock(&tc__mr_lock);
			return NULL;
		}
	if (tc__mr_n < TC__MAX_MISUSE) {
		r = &tc__mr[tc__mr_n++];
		r->what = what;
		r->key = key;
		atomic_store(&r->count, 1);
		atomic_store(&r->state, 1);
	} else {
		atomic_fetch_add(&tc__mr_lost, 1);
	}
	tc__spin_unlock(&tc__mr_lock);
	return r;
}

/* Fills X from X->mi: the locks held at a thread's end, and how the other thread is named. */
static void tc__mctx_fill(struct tc__mctx *x)
{
	const struct tc__misuse_info *mi = x->mi;
	struct tc__buf ob = { x->other, 0, sizeof x->other };

	x->nheld = 0;
	if (mi->what == TC__MISUSE_EXIT_HOLDING_LOCK) {
		x->nheld = atomic_load_explicit(&mi->me->nheld, memory_order_relaxed);
		if (x->nheld > TC__MAX_HELD)
			x->nheld = TC__MAX_HELD;
		for (int k = 0; k < x->nheld; k++) {
			x->held_obj[k] = (void *)atomic_load_explicit(&mi->me->held[k].obj,
								       memory_order_relaxed);
			x->held_site[k] = (void *)atomic_load_explicit(&mi->me->held[k].site,
									memory_order_relaxed);
		}
	}
	if (mi->other_label >= 0)
		tc__bprintf(&ob, "T%d", mi->other_label);
	else
		tc__bprintf(&ob, "another thread");
}

/* Symbolises every address record R shows. */
static void tc__msymbolize(struct tc__mrec *r, const struct tc__mctx *x)
{
	const struct tc__misuse_info *mi = x->mi;
	struct tc__thread *me = mi->me;
	void *addrs[A_N] = { 0 };

	addrs[A_START] = me->label != 0 ? me->start_fn : NULL;
	addrs[A_CREATED] = me->label != 0 ? tc__call_addr(me->create_site) : NULL;
	addrs[A_SITE] = tc__call_addr(mi->site);
	addrs[A_OSTART] = mi->other_label > 0 ? mi->other_start : NULL;
	addrs[A_OCREATED] = mi->other_label > 0 ? tc__call_addr(mi->other_create) : NULL;
	addrs[A_OHOLD] = tc__call_addr(mi->other_hold_site);
	addrs[A_OCALL] = tc__call_addr(mi->other_call_site);
	for (int k = 0; k < x->nheld; k++)
		addrs[A_HELD + k] = tc__call_addr(x->held_site[k]);
	tc__symbolize(addrs, r->sym, (size_t)(A_HELD + x->nheld));
}

/* Appends a line to R's last thread block. */
static void tc__mline(struct tc__mrec *r, int *nline, enum tc__rep_line_kind kind,
		      const char *op, const void *obj, int sym)
{
	struct tc__rep_thread *t = &r->thread[r->rep.nthread - 1];

	r->line[*nline] = (struct tc__rep_line){ kind, op, obj, &r->sym[sym] };
	(*nline)++;
	t->nline++;
}

/* Describes the record's thread blocks: the calling thread with its call (and the locks it
 * held at its end), then the other thread involved; where the other took the lock and the
 * earlier init go into the last block (the caller's own when there is no other). */
static void tc__mrecord(struct tc__mrec *r, const struct tc__mctx *x)
{
	const struct tc__misuse_info *mi = x->mi;
	struct tc__thread *me = mi->me;
	int n = 0;

	tc__thread_name(me, 1, r->name, sizeof r->name);
	r->rep.nthread = 1;
	r->thread[0] = (struct tc__rep_thread){ me->label, atomic_load(&me->tid), r->name,
						me->label != 0 ? &r->sym[A_START] : NULL,
						&r->sym[A_CREATED], 0, r->line };
	if (mi->site != NULL)
		tc__mline(r, &n, TC__LINE_CALL, mi->call, mi->obj, A_SITE);
	for (int k = 0; k < x->nheld; k++)
		tc__mline(r, &n, TC__LINE_HOLDS, NULL, x->held_obj[k], A_HELD + k);
	/* The other thread's block; a thread destroying its own lock has none. */
	if (mi->other_label >= 0 && mi->other_label != me->label) {
		int origin = mi->other_label != 0 && mi->other_start != NULL;

		r->thread[r->rep.nthread++] = (struct tc__rep_thread){
			mi->other_label, mi->other_tid, "-", origin ? &r->sym[A_OSTART] : NULL,
			&r->sym[A_OCREATED], 0, r->line + n };
	}
	if (mi->other_label >= 0 && mi->other_hold_site != NULL)
		tc__mline(r, &n, TC__LINE_HOLDS, NULL, mi->obj, A_OHOLD);
	if (mi->other_call_site != NULL)
		tc__mline(r, &n, TC__LINE_CALL, mi->call, mi->obj, A_OCALL);
}

/* The message of an INIT_TWICE report into M: whether the mutex is held, or was
 * initialised earlier and never destroyed. */
static void tc__init_twice_message(struct tc__buf *m, const struct tc__mrec *r,
				   const struct tc__mctx *x)
{
	const struct tc__misuse_info *mi = x->mi;
	int self = mi->other_label == mi->me->label;

	tc__bprintf(m, "T%d initialises mutex %p again", mi->me->label, mi->obj);
	if (mi->other_call_site != NULL)
		tc__bprintf(m, "; %s initialised it at %s %s and it was not destroyed since",
			    self ? "it" : x->other, r->sym[A_OCALL].function,
			    r->sym[A_OCALL].fileline);
	else
		tc__bprintf(m, " while %s holds it", self ? "it" : x->other);
}

/* The message of an EXIT_HOLDING_LOCK report into M. */
static void tc__exit_message(struct tc__buf *m, const struct tc__mctx *x)
{
	const struct tc__misuse_info *mi = x->mi;

	tc__bprintf(m, "T%d %s while it holds %d lock%s", mi->me->label,
		    mi->site != NULL ? "calls pthread_exit" : "returns from its start routine",
		    x->nheld, x->nheld == 1 ? "" : "s");
	for (int k = 0; k < x->nheld; k++)
		tc__bprintf(m, "%s%p", k == 0 ? " (" : ", ", x->held_obj[k]);
	tc__bprintf(m, "%s; nobody can unlock %s now", x->nheld > 0 ? ")" : "",
		    x->nheld == 1 ? "it" : "them");
}

/* The one-line message of R. */
static void tc__mmessage(struct tc__mrec *r, const struct tc__mctx *x)
{
	const struct tc__misuse_info *mi = x->mi;
	struct tc__buf m = { r->message, 0, sizeof r->message };
	int me = mi->me->label;

	switch (mi->what) {
	case TC__MISUSE_UNLOCK_NOT_OWNER:
		tc__bprintf(&m, "T%d unlocks mutex %p, which %s holds", me, mi->obj, x->other);
		break;
	case TC__MISUSE_UNLOCK_UNLOCKED:
		tc__bprintf(&m, "T%d unlocks mutex %p, which is not locked", me, mi->obj);
		break;
	case TC__MISUSE_DESTROY_LOCKED:
		tc__bprintf(&m, "T%d destroys mutex %p while %s holds it", me, mi->obj,
			    mi->other_label == me ? "it" : x->other);
		break;
	case TC__MISUSE_COND_WAIT_UNLOCKED:
		tc__bprintf(&m, "T%d waits on cond %p with mutex %p, which it does not hold", me,
			    mi->obj2, mi->obj);
		break;
	case TC__MISUSE_JOIN_DETACHED:
		tc__bprintf(&m, "T%d joins %s, which is detached; the join returned EINVAL", me,
			    x->other);
		break;
	case TC__MISUSE_JOIN_TWICE:
		tc__bprintf(&m, "T%d joins %s, which was joined already; the join returned EINVAL",
			    me, x->other);
		break;
	case TC__MISUSE_EXIT_HOLDING_LOCK:
		tc__exit_message(&m, x);
		break;
	case TC__MISUSE_INIT_TWICE:
		tc__init_twice_message(&m, r, x);
		break;
	case TC__MISUSE_DETACH_JOINED:
		tc__bprintf(&m, "T%d detaches %s, which was joined already; the detach returned "
				"ESRCH", me, x->other);
		break;
	case TC__MISUSE_DETACH_DETACHED:
		tc__bprintf(&m, "T%d detaches %s, which is detached already; the detach returned "
				"EINVAL", me, x->other);
		break;
	case TC__MISUSE_DETACH_INVALID:
		tc__bprintf(&m, "T%d detaches 0x%lx, which points to no memory of this process: no "
				"thread has that handle; the detach returned ESRCH", me,
			    (unsigned long)(uintptr_t)mi->obj);
		break;
	case TC__MISUSE_COND_INVALID:
		tc__bprintf(&m, "T%d %s cond %p, whose state no condition variable can be in (%s): "
				"its bytes were overwritten, or never initialised; the call returned "
				"EINVAL and woke nobody",
			    me, strcmp(mi->call, "pthread_cond_signal") == 0 ? "signals"
									     : "broadcasts to",
			    mi->obj, mi->why != NULL ? mi->why : "?");
		break;
	}
}

/* The lines of R's readable block between its message and its summary, into B. */
static void tc__mdetail(struct tc__buf *b, const struct tc__mrec *r, const struct tc__mctx *x)
{
	const struct tc__misuse_info *mi = x->mi;

	if (mi->site != NULL) {
		tc__bprintf(b, "  Thread T%d (tid=%d, name=%s) calls %s at:\n", mi->me->label,
			    (int)atomic_load(&mi->me->tid), r->name, mi->call);
		tc__rep_frame(b, &r->sym[A_SITE]);
	}
	for (int k = 0; k < x->nheld; k++) {
		tc__bprintf(b, "  Lock %p was taken at:\n", x->held_obj[k]);
		tc__rep_frame(b, &r->sym[A_HELD + k]);
	}
	if (mi->other_hold_site != NULL) {
		tc__bprintf(b, "  T%d took mutex %p at:\n", mi->other_label, mi->obj);
		tc__rep_frame(b, &r->sym[A_OHOLD]);
	}
	if (mi->other_call_site != NULL) {
		tc__bprintf(b, "  %s initialised mutex %p at:\n", x->other, mi->obj);
		tc__rep_frame(b, &r->sym[A_OCALL]);
	}
	if (mi->other_label > 0 && mi->other_start != NULL) {
		tc__bprintf(b, "  Thread T%d runs %s, created at:\n", mi->other_label,
			    r->sym[A_OSTART].function);
		tc__rep_frame(b, &r->sym[A_OCREATED]);
	}
}

void tc__misuse_report(const struct tc__misuse_info *mi)
{
	struct tc__mctx x = { .mi = mi };
	char detail[4096], text[6144];
	struct tc__buf db = { detail, 0, sizeof detail }, hb = { text, 0, sizeof text };
	struct tc__mrec *r;

	tc__mctx_fill(&x);
	r = tc__mclaim(mi->what, mi->site != NULL ? mi->site : x.nheld > 0 ? x.held_site[0] : NULL);
	if (r == NULL)
		return;
	tc__msymbolize(r, &x);
	tc__mrecord(r, &x);
	tc__mmessage(r, &x);
	tc__mdetail(&db, r, &x);
	snprintf(r->kind, sizeof r->kind, "misuse:%s", tc__misuse_name(mi->what));
	r->rep.kind = r->kind;
	r->rep.thread = r->thread;
	r->rep.message = r->message;
	r->rep.title = tc__misuse_words(mi->what);
	r->rep.detail = detail;
	r->rep.summary_kind = r->kind;
	r->rep.summary_at = mi->site != NULL ? &r->sym[A_SITE] : &r->sym[A_HELD];
	tc__rep_human(&hb, &r->rep);
	tc__buf_flush(&hb, 2);
	r->rep.detail = "";
	atomic_store(&r->state, 2);
}

size_t tc__misuse_reps(const struct tc__rep **out, size_t max)
{
	size_t n = 0;

	/* Why mark them: a record completed after this call must not make the log disagree
	 * with its summary line. */
	tc__spin_lock(&tc__mr_lock);
	for (int i = 0; i < tc__mr_n; i++) {
		struct tc__mrec *r = &tc__mr[i];
		struct tc__buf m = { r->logmsg, 0, sizeof r->logmsg };
		int count = atomic_load(&r->count);

		r->counted = atomic_load(&r->state) == 2 && n < max;
		if (!r->counted)
			continue;
		tc__bprintf(&m, "%s", r->message);
		if (count > 1)
			tc__bprintf(&m, " (%d times at this call)", count);
		r->rep.message = r->logmsg;
		out[n++] = &r->rep;
	}
	tc__spin_unlock(&tc__mr_lock);
	return n;
}

void tc__misuse_note_lost(void)
{
	char text[128];
	struct tc__buf b = { text, 0, sizeof text };

	if (atomic_load(&tc__mr_lost) > 0) {
		tc__bprintf(&b, "threadcheck: %d more misuses at other call sites not recorded\n",
			    atomic_load(&tc__mr_lost));
		tc__buf_flush(&b, 2);
	}
}

/* ---- mutexes known to be initialised ---------------------------------------------- */

/* Memory that holds a mutex until the process ends: the writable segments of the objects
 * loaded at start (globals and statics). A mutex elsewhere (heap, stack, thread-local) may
 * be freed without pthread_mutex_destroy and a new one initialised at its address, which is
 * no misuse; so only these addresses are remembered as initialised. */
#define TC__MAX_RANGES 64
static uintptr_t tc__range_lo[TC__MAX_RANGES], tc__range_hi[TC__MAX_RANGES];
static int tc__nranges;             /* written once, by the constructor */

static int tc__note_ranges(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	for (int i = 0; i < info->dlpi_phnum && tc__nranges < TC__MAX_RANGES; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		tc__range_lo[tc__nranges] = info->dlpi_addr + ph->p_vaddr;
		tc__range_hi[tc__nranges] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		tc__nranges++;
	}
	return 0;
}

void tc__misuse_init(void)
{
	tc__nranges = 0;
	(void)dl_iterate_phdr(tc__note_ranges, NULL);
}

/* Whether OBJ lies in static storage (see tc__range_lo). */
static int tc__static_storage(const void *obj)
{
	uintptr_t a = (uintptr_t)obj;

	for (int i = 0; i < tc__nranges; i++)
		if (a >= tc__range_lo[i] && a < tc__range_hi[i])
			return 1;
	return 0;
}

/* Open addressing under a spinlock: only pthread_mutex_init and _destroy of static mutexes
 * come here. A key of 1 is a removed entry. */
#define TC__LIVE 1024
#define TC__LIVE_GONE ((uintptr_t)1)

static struct {
	uintptr_t key;
	struct tc__init_rec rec;
} tc__live[TC__LIVE];
static atomic_flag tc__live_lock = ATOMIC_FLAG_INIT;

/* The index of OBJ's entry, or when it has none and FREE is set, of the first free one on
 * its probe path; -1 otherwise. Called with the lock held. */
static int tc__live_slot(uintptr_t obj, int free)
{
	size_t h = (size_t)((obj >> 3) * 0x9E3779B97F4A7C15ull >> 54) % TC__LIVE;
	int spare = -1;

	for (size_t k = 0; k < TC__LIVE; k++) {
		size_t i = (h + k) % TC__LIVE;

		if (tc__live[i].key == obj)
			return (int)i;
		if (tc__live[i].key == TC__LIVE_GONE && spare < 0)
			spare = (int)i;
		if (tc__live[i].key == 0)
			return free ? (spare >= 0 ? spare : (int)i) : -1;
	}
	return free ? spare : -1;
}

int tc__live_mutex_find(const void *obj, struct tc__init_rec *out)
{
	int i;

	if (!tc__static_storage(obj))
		return 0;
	tc__spin_lock(&tc__live_lock);
	i = tc__live_slot((uintptr_t)obj, 0);
	if (i >= 0)
		*out = tc__live[i].rec;
	tc__spin_unlock(&tc__live_lock);
	return i >= 0;
}

void tc__live_mutex_add(const void *obj, const struct tc__init_rec *rec)
{
	int i;

	if (!tc__static_storage(obj))
		return;
	tc__spin_lock(&tc__live_lock);
	i = tc__live_slot((uintptr_t)obj, 1);
	/* A full table forgets: the next init of a mutex it could not keep is not judged. */
	if (i >= 0) {
		tc__live[i].key = (uintptr_t)obj;
		tc__live[i].rec = *rec;
	}
	tc__spin_unlock(&tc__live_lock);
}

void tc__live_mutex_remove(const void *obj)
{
	int i;

	if (!tc__static_storage(obj))
		return;
	tc__spin_lock(&tc__live_lock);
	i = tc__live_slot((uintptr_t)obj, 0);
	if (i >= 0)
		tc__live[i].key = TC__LIVE_GONE;
	tc__spin_unlock(&tc__live_lock);
}

void tc__misuse_atfork_child(void)
{
	/* The parent reports its own misuses; a record being written belongs to a thread
	 * that does not exist here. The mutexes it initialised stay so in the child's copy of
	 * its memory, and their table stays; only its lock may belong to a thread now gone. */
	atomic_flag_clear(&tc__live_lock);
	atomic_flag_clear(&tc__mr_lock);
	tc__mr_n = 0;
	atomic_store(&tc__mr_lost, 0);
}
