/* tc_misuse.c: reports of pthread calls made against their contract (FORMAT.md `misuse:<what>`
 * records): a readable block on stderr when the call happens, the record kept for the log. */
#include "tc_internal.h"

#include <link.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#define TC__MAX_MISUSE 64           /* distinct (kind, call site) pairs kept */

/* One distinct misuse. state: 0 free, 1 being written, 2 ready. */
struct tc__mrec {
	_Atomic int state;
	enum tc__misuse what;
	void *key;                  /* the call site, or the first lock's site for a return */
	_Atomic int count;
	int counted;                /* ready when tc__misuse_count ran: goes into the log */
	char body[3072];            /* the record's lines between BEGIN and message */
	char message[512];
};

static struct tc__mrec tc__mr[TC__MAX_MISUSE];
static int tc__mr_n;                /* guarded by tc__mr_lock */
static _Atomic int tc__mr_lost;
static atomic_flag tc__mr_lock = ATOMIC_FLAG_INIT;
static char tc__mtext[8192];        /* guarded by tc__mr_lock while records are written */

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

static void tc__mlock(void)
{
	for (int n = 0; atomic_flag_test_and_set_explicit(&tc__mr_lock, memory_order_acquire); n++)
		if (n > 100)
			sched_yield();
}

static void tc__munlock(void)
{
	atomic_flag_clear_explicit(&tc__mr_lock, memory_order_release);
}

/* Claims the record of (WHAT, KEY). Returns it, or NULL when it exists already (its count
 * goes up) or the table is full. */
static struct tc__mrec *tc__mclaim(enum tc__misuse what, void *key)
{
	struct tc__mrec *r = NULL;

	tc__mlock();
	for (int i = 0; i < tc__mr_n; i++)
		if (tc__mr[i].what == what && tc__mr[i].key == key) {
			atomic_fetch_add(&tc__mr[i].count, 1);
			tc__munlock();
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
	tc__munlock();
	return r;
}

/* The address a call site's symbol is looked up at: a return address steps back into the
 * call instruction. */
static void *tc__call_addr(void *ret)
{
	return ret != NULL ? (char *)ret - 1 : NULL;
}

/* The message of an INIT_TWICE report MI into M: whether the mutex is held, or was
 * initialised earlier (at OCALL, by OTHER) and never destroyed. */
static void tc__init_twice_message(struct tc__buf *m, const struct tc__misuse_info *mi,
				   const char *other, const struct tc__sym *ocall)
{
	int self = mi->other_label == mi->me->label;

	tc__bprintf(m, "T%d initialises mutex %p again", mi->me->label, mi->obj);
	if (mi->other_call_site != NULL)
		tc__bprintf(m, "; %s initialised it at %s %s and it was not destroyed since",
			    self ? "it" : other, ocall->function, ocall->fileline);
	else
		tc__bprintf(m, " while %s holds it", self ? "it" : other);
}

void tc__misuse_report(const struct tc__misuse_info *mi)
{
	enum { A_START, A_CREATED, A_SITE, A_OSTART, A_OCREATED, A_OHOLD, A_OCALL, A_HELD };
	void *addrs[A_HELD + TC__MAX_HELD];
	struct tc__sym sym[A_HELD + TC__MAX_HELD];
	struct tc__thread *me = mi->me;
	void *held_obj[TC__MAX_HELD], *held_site[TC__MAX_HELD];
	int nheld = 0;
	char name[TC__NAME_LEN + 1], text[6144];
	struct tc__mrec *r;

	if (mi->what == TC__MISUSE_EXIT_HOLDING_LOCK) {
		nheld = atomic_load_explicit(&me->nheld, memory_order_relaxed);
		if (nheld > TC__MAX_HELD)
			nheld = TC__MAX_HELD;
		for (int k = 0; k < nheld; k++) {
			held_obj[k] = (void *)atomic_load_explicit(&me->held[k].obj, memory_order_relaxed);
			held_site[k] = (void *)atomic_load_explicit(&me->held[k].site, memory_order_relaxed);
		}
	}
	r = tc__mclaim(mi->what, mi->site != NULL ? mi->site : nheld > 0 ? held_site[0] : NULL);
	if (r == NULL)
		return;
	memset(addrs, 0, sizeof addrs);
	addrs[A_START] = me->label != 0 ? me->start_fn : NULL;
	addrs[A_CREATED] = me->label != 0 ? tc__call_addr(me->create_site) : NULL;
	addrs[A_SITE] = tc__call_addr(mi->site);
	addrs[A_OSTART] = mi->other_label > 0 ? mi->other_start : NULL;
	addrs[A_OCREATED] = mi->other_label > 0 ? tc__call_addr(mi->other_create) : NULL;
	addrs[A_OHOLD] = tc__call_addr(mi->other_hold_site);
	addrs[A_OCALL] = tc__call_addr(mi->other_call_site);
	for (int k = 0; k < nheld; k++)
		addrs[A_HELD + k] = tc__call_addr(held_site[k]);
	tc__symbolize(addrs, sym, (size_t)(A_HELD + nheld));
	tc__thread_name(me, 1, name, sizeof name);

	/* The record's lines: the calling thread, its call, then the other thread involved. */
	struct tc__buf b = { r->body, 0, sizeof r->body };

	tc__bprintf(&b, "thread T%d tid=%d name=%s\n", me->label,
		    (int)atomic_load(&me->tid), name);
	if (me->label != 0) {
		tc__bprintf(&b, "start %s %s\n", sym[A_START].function, sym[A_START].fileline);
		tc__bprintf(&b, "created %s %s\n", sym[A_CREATED].function, sym[A_CREATED].fileline);
	}
	/* "0x0", not glibc's "(nil)": the object is one word in the record. */
	if (mi->site != NULL)
		tc__bprintf(&b, "call %s 0x%lx %s %s\n", mi->call, (unsigned long)(uintptr_t)mi->obj,
			    sym[A_SITE].function, sym[A_SITE].fileline);
	for (int k = 0; k < nheld; k++)
		tc__bprintf(&b, "holds %p %s %s\n", held_obj[k], sym[A_HELD + k].function,
			    sym[A_HELD + k].fileline);
	/* The other thread's block; a thread destroying its own lock has none. */
	if (mi->other_label >= 0 && mi->other_label != me->label) {
		tc__bprintf(&b, "thread T%d tid=%d name=-\n", mi->other_label, (int)mi->other_tid);
		if (mi->other_label != 0 && mi->other_start != NULL) {
			tc__bprintf(&b, "start %s %s\n", sym[A_OSTART].function,
				    sym[A_OSTART].fileline);
			tc__bprintf(&b, "created %s %s\n", sym[A_OCREATED].function,
				    sym[A_OCREATED].fileline);
		}
	}
	if (mi->other_label >= 0 && mi->other_hold_site != NULL)
		tc__bprintf(&b, "holds %p %s %s\n", mi->obj, sym[A_OHOLD].function,
			    sym[A_OHOLD].fileline);
	/* The earlier initialisation, in the block of the thread that made it (the caller's
	 * own block when it was the caller). */
	if (mi->other_call_site != NULL)
		tc__bprintf(&b, "call %s 0x%lx %s %s\n", mi->call, (unsigned long)(uintptr_t)mi->obj,
			    sym[A_OCALL].function, sym[A_OCALL].fileline);

	struct tc__buf m = { r->message, 0, sizeof r->message };
	char other[32] = "another thread";
	struct tc__buf ob = { other, 0, sizeof other };

	if (mi->other_label >= 0) {
		ob.len = 0;
		tc__bprintf(&ob, "T%d", mi->other_label);
	}
	switch (mi->what) {
	case TC__MISUSE_UNLOCK_NOT_OWNER:
		tc__bprintf(&m, "T%d unlocks mutex %p, which %s holds", me->label, mi->obj, other);
		break;
	case TC__MISUSE_UNLOCK_UNLOCKED:
		tc__bprintf(&m, "T%d unlocks mutex %p, which is not locked", me->label, mi->obj);
		break;
	case TC__MISUSE_DESTROY_LOCKED:
		tc__bprintf(&m, "T%d destroys mutex %p while %s holds it", me->label, mi->obj,
			    mi->other_label == me->label ? "it" : other);
		break;
	case TC__MISUSE_COND_WAIT_UNLOCKED:
		tc__bprintf(&m, "T%d waits on cond %p with mutex %p, which it does not hold",
			    me->label, mi->obj2, mi->obj);
		break;
	case TC__MISUSE_JOIN_DETACHED:
		tc__bprintf(&m, "T%d joins %s, which is detached; the join returned EINVAL",
			    me->label, other);
		break;
	case TC__MISUSE_JOIN_TWICE:
		tc__bprintf(&m, "T%d joins %s, which was joined already; the join returned EINVAL",
			    me->label, other);
		break;
	case TC__MISUSE_EXIT_HOLDING_LOCK:
		tc__bprintf(&m, "T%d %s while it holds %d lock%s", me->label,
			    mi->site != NULL ? "calls pthread_exit" : "returns from its start routine",
			    nheld, nheld == 1 ? "" : "s");
		for (int k = 0; k < nheld; k++)
			tc__bprintf(&m, "%s%p", k == 0 ? " (" : ", ", held_obj[k]);
		tc__bprintf(&m, "%s; nobody can unlock %s now", nheld > 0 ? ")" : "",
			    nheld == 1 ? "it" : "them");
		break;
	case TC__MISUSE_INIT_TWICE:
		tc__init_twice_message(&m, mi, other, &sym[A_OCALL]);
		break;
	case TC__MISUSE_DETACH_JOINED:
		tc__bprintf(&m, "T%d detaches %s, which was joined already; the detach returned "
				"ESRCH", me->label, other);
		break;
	case TC__MISUSE_DETACH_DETACHED:
		tc__bprintf(&m, "T%d detaches %s, which is detached already; the detach returned "
				"EINVAL", me->label, other);
		break;
	case TC__MISUSE_DETACH_INVALID:
		tc__bprintf(&m, "T%d detaches 0x%lx, which points to no memory of this process: no "
				"thread has that handle; the detach returned ESRCH", me->label,
			    (unsigned long)(uintptr_t)mi->obj);
		break;
	case TC__MISUSE_COND_INVALID:
		tc__bprintf(&m, "T%d %s cond %p, whose state no condition variable can be in (%s): "
				"its bytes were overwritten, or never initialised; the call returned "
				"EINVAL and woke nobody",
			    me->label, strcmp(mi->call, "pthread_cond_signal") == 0 ? "signals"
										: "broadcasts to",
			    mi->obj, mi->why != NULL ? mi->why : "?");
		break;
	}

	/* The readable block, now. */
	struct tc__buf h = { text, 0, sizeof text };
	const struct tc__sym *where = mi->site != NULL ? &sym[A_SITE] : &sym[A_HELD];

	tc__bprintf(&h, "==================\n");
	tc__bprintf(&h, "WARNING: ThreadCheck: %s (pid=%d)\n", tc__misuse_words(mi->what),
		    (int)getpid());
	tc__bprintf(&h, "  %s\n", r->message);
	if (mi->site != NULL)
		tc__bprintf(&h, "  Thread T%d (tid=%d, name=%s) calls %s at:\n    #0 %s %s\n",
			    me->label, (int)atomic_load(&me->tid), name, mi->call,
			    sym[A_SITE].function, sym[A_SITE].fileline);
	for (int k = 0; k < nheld; k++)
		tc__bprintf(&h, "  Lock %p was taken at:\n    #0 %s %s\n", held_obj[k],
			    sym[A_HELD + k].function, sym[A_HELD + k].fileline);
	if (mi->other_hold_site != NULL)
		tc__bprintf(&h, "  T%d took mutex %p at:\n    #0 %s %s\n", mi->other_label, mi->obj,
			    sym[A_OHOLD].function, sym[A_OHOLD].fileline);
	if (mi->other_call_site != NULL)
		tc__bprintf(&h, "  %s initialised mutex %p at:\n    #0 %s %s\n", other, mi->obj,
			    sym[A_OCALL].function, sym[A_OCALL].fileline);
	if (mi->other_label > 0 && mi->other_start != NULL)
		tc__bprintf(&h, "  Thread T%d runs %s, created at:\n    #0 %s %s\n", mi->other_label,
			    sym[A_OSTART].function, sym[A_OCREATED].function,
			    sym[A_OCREATED].fileline);
	tc__bprintf(&h, "SUMMARY: ThreadCheck: misuse:%s %s in %s\n", tc__misuse_name(mi->what),
		    where->fileline, where->function);
	tc__bprintf(&h, "==================\n");
	(void)tc__write_all(2, h.p, h.len);
	atomic_store(&r->state, 2);
}

int tc__misuse_count(void)
{
	int n = 0;

	/* Why mark them: a record completed between this count and the writing must not make
	 * the log disagree with its summary line. */
	tc__mlock();
	for (int i = 0; i < tc__mr_n; i++) {
		tc__mr[i].counted = atomic_load(&tc__mr[i].state) == 2;
		n += tc__mr[i].counted;
	}
	tc__munlock();
	return n;
}

void tc__misuse_write_records(int fd)
{
	tc__mlock();
	for (int i = 0; i < tc__mr_n; i++) {
		struct tc__mrec *r = &tc__mr[i];
		struct tc__buf b = { tc__mtext, 0, sizeof tc__mtext };
		int count = atomic_load(&r->count);

		if (!r->counted)
			continue;
		tc__bprintf(&b, "BEGIN misuse:%s\n%smessage %s", tc__misuse_name(r->what), r->body,
			    r->message);
		if (count > 1)
			tc__bprintf(&b, " (%d times at this call)", count);
		tc__bprintf(&b, "\nEND\n");
		(void)tc__write_all(fd, b.p, b.len);
	}
	if (atomic_load(&tc__mr_lost) > 0) {
		struct tc__buf b = { tc__mtext, 0, sizeof tc__mtext };

		tc__bprintf(&b, "threadcheck: %d more misuses at other call sites not recorded\n",
			    atomic_load(&tc__mr_lost));
		(void)tc__write_all(2, b.p, b.len);
	}
	tc__munlock();
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

static void tc__live_acquire(void)
{
	for (int n = 0; atomic_flag_test_and_set_explicit(&tc__live_lock, memory_order_acquire); n++)
		if (n > 100)
			sched_yield();
}

static void tc__live_release(void)
{
	atomic_flag_clear_explicit(&tc__live_lock, memory_order_release);
}

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
	tc__live_acquire();
	i = tc__live_slot((uintptr_t)obj, 0);
	if (i >= 0)
		*out = tc__live[i].rec;
	tc__live_release();
	return i >= 0;
}

void tc__live_mutex_add(const void *obj, const struct tc__init_rec *rec)
{
	int i;

	if (!tc__static_storage(obj))
		return;
	tc__live_acquire();
	i = tc__live_slot((uintptr_t)obj, 1);
	/* A full table forgets: the next init of a mutex it could not keep is not judged. */
	if (i >= 0) {
		tc__live[i].key = (uintptr_t)obj;
		tc__live[i].rec = *rec;
	}
	tc__live_release();
}

void tc__live_mutex_remove(const void *obj)
{
	int i;

	if (!tc__static_storage(obj))
		return;
	tc__live_acquire();
	i = tc__live_slot((uintptr_t)obj, 0);
	if (i >= 0)
		tc__live[i].key = TC__LIVE_GONE;
	tc__live_release();
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
