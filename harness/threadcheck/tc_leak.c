/* tc_leak.c: the exit detector (tc_leak.h): threads alive at exit or finished and never
 * joined, each described as a report (FORMAT.md `thread-leak`, `unjoined-thread`). */
#include "tc_leak.h"
#include "tc_symbolize.h"
#include "tc_util.h"

/* The raw kinds this file emits: X(ENUM, raw name in the log, words for humans). */
#define TC__KINDS(X)                                                                        \
	X(THREAD_LEAK, "thread-leak", "thread leak")                                        \
	X(UNJOINED, "unjoined-thread", "unjoined thread")

enum tc__kind {
#define X(e, raw, words) TC__KIND_##e,
	TC__KINDS(X)
#undef X
};

static const char *tc__kind_raw(enum tc__kind k)
{
	switch (k) {
#define X(e, raw, words)                                                                    \
	case TC__KIND_##e:                                                                  \
		return raw;
		TC__KINDS(X)
#undef X
	}
	return "?";
}

static const char *tc__kind_words(enum tc__kind k)
{
	switch (k) {
#define X(e, raw, words)                                                                    \
	case TC__KIND_##e:                                                                  \
		return words;
		TC__KINDS(X)
#undef X
	}
	return "?";
}

/* One finding, complete before anything is printed, with the report that describes it. */
struct tc__finding {
	enum tc__kind kind;
	int label, creator;
	pid_t tid;
	char name[TC__NAME_LEN + 1];
	struct tc__wait wait;       /* op TC__OP_NONE: not in a tracked blocking call */
	int vanished;               /* it ended without telling us (tc__thread_gone) */
	void *start_fn, *create_site;
	struct tc__sym start, created, where;
	char message[256];
	char detail[2048];
	struct tc__rep_line line;
	struct tc__rep_thread thread;
	struct tc__rep rep;
};

#define TC__MAX_FINDINGS 256

static struct tc__finding tc__f[TC__MAX_FINDINGS];

/* Fills F from slot T: what kind of finding it is and who T is. ALIVE: T still runs. */
static void tc__finding_fill(struct tc__finding *f, struct tc__thread *t, int alive, int gone)
{
	f->kind = alive ? TC__KIND_THREAD_LEAK : TC__KIND_UNJOINED;
	f->vanished = !alive && gone;
	f->wait.op = TC__OP_NONE;
	if (alive && tc__wait_read(t, &f->wait, NULL) != 0)
		f->wait.op = TC__OP_NONE;
	tc__thread_name(t, alive, f->name, sizeof f->name);
	f->label = t->label;
	f->creator = t->creator;
	f->tid = atomic_load(&t->tid);
	f->start_fn = t->start_fn;
	f->create_site = t->create_site;
}

/* Insertion sort of the N findings by label: slots are reused, labels give creation order. */
static void tc__sort_findings(size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct tc__finding tmp = tc__f[i];
		size_t j = i;

		for (; j > 0 && tc__f[j - 1].label > tmp.label; j--)
			tc__f[j] = tc__f[j - 1];
		tc__f[j] = tmp;
	}
}

size_t tc__leak_collect(const struct tc__thread *caller, size_t *more)
{
	int hw = atomic_load(&tc__high_water);
	size_t n = 0;

	*more = 0;
	for (int i = 0; i < hw; i++) {
		struct tc__thread *t = &tc__threads[i];
		int st = atomic_load(&t->state), gone, alive;

		if (t == caller)
			continue;
		gone = st == TC__RUNNING && tc__thread_gone(t, 1);
		alive = st == TC__RUNNING && !gone;
		/* The main thread left through pthread_exit: nobody is meant to join it. */
		if (!alive && !((st == TC__FINISHED || gone) && !atomic_load(&t->detached) &&
				t->label != 0))
			continue;
		if (n == TC__MAX_FINDINGS) {
			(*more)++;
			continue;
		}
		tc__finding_fill(&tc__f[n++], t, alive, gone);
	}
	tc__sort_findings(n);
	return n;
}

/* Symbolises every finding's three addresses in one batch. */
static void tc__symbolize_findings(size_t n)
{
	static void *addrs[3 * TC__MAX_FINDINGS];
	static struct tc__sym syms[3 * TC__MAX_FINDINGS];

	for (size_t i = 0; i < n; i++) {
		struct tc__finding *f = &tc__f[i];

		/* A start routine's address is its first instruction; the two call sites are
		 * return addresses. */
		addrs[3 * i] = f->start_fn;
		addrs[3 * i + 1] = tc__call_addr(f->create_site);
		addrs[3 * i + 2] = f->wait.op != TC__OP_NONE ? tc__call_addr(f->wait.site) : NULL;
	}
	tc__symbolize(addrs, syms, 3 * n);
	for (size_t i = 0; i < n; i++) {
		tc__f[i].start = syms[3 * i];
		tc__f[i].created = syms[3 * i + 1];
		tc__f[i].where = syms[3 * i + 2];
	}
}

/* Writes the one-line explanation of F into F->message. */
static void tc__explain(struct tc__finding *f, const struct tc__thread *caller)
{
	struct tc__buf b = { f->message, 0, sizeof f->message };

	f->message[0] = '\0';
	switch (f->kind) {
	case TC__KIND_THREAD_LEAK:
		if (f->label == 0)
			tc__bprintf(&b, "the main thread: ");
		if (f->wait.op == TC__OP_NONE)
			tc__bprintf(&b, "T%d is still running at exit (not in a blocking call "
					"threadcheck tracks)", f->label);
		else if (f->wait.timed)
			tc__bprintf(&b, "T%d is still alive at exit, in a timed %s wait on %p "
					"(it would time out; not blocked forever)",
				    f->label, tc__op_name(f->wait.op), f->wait.obj);
		else
			tc__bprintf(&b, "T%d is blocked forever at exit in a %s wait on %p",
				    f->label, tc__op_name(f->wait.op), f->wait.obj);
		break;
	case TC__KIND_UNJOINED:
		if (f->vanished)
			tc__bprintf(&b, "T%d ended by a raw exit system call (the kernel no longer has "
					"it) and was never joined or detached", f->label);
		else
			tc__bprintf(&b, "T%d finished but was never joined or detached", f->label);
		break;
	}
	if (f->creator >= 0)
		tc__bprintf(&b, "; created by T%d", f->creator);
	if (caller != NULL && caller->label != 0)
		tc__bprintf(&b, "; exit() was called by T%d", caller->label);
}

/* Writes the lines of F's readable block between its message and its summary. */
static void tc__detail(struct tc__finding *f)
{
	struct tc__buf b = { f->detail, 0, sizeof f->detail };

	if (f->wait.op != TC__OP_NONE) {
		tc__bprintf(&b, "  Thread T%d (tid=%d, name=%s) waits on %s %p at:\n", f->label,
			    (int)f->tid, f->name, tc__op_name(f->wait.op), f->wait.obj);
		tc__rep_frame(&b, &f->where);
	} else if (f->label != 0) {
		tc__bprintf(&b, "  Thread T%d (tid=%d, name=%s) runs %s (%s)\n", f->label,
			    (int)f->tid, f->name, f->start.function, f->start.fileline);
	}
	if (f->label == 0) {
		tc__bprintf(&b, "  Thread T0 is the main thread\n");
	} else {
		tc__bprintf(&b, "  Thread T%d was created", f->label);
		if (f->creator >= 0)
			tc__bprintf(&b, " by T%d", f->creator);
		tc__bprintf(&b, " to run %s at:\n", f->start.function);
		tc__rep_frame(&b, &f->created);
	}
}

/* Describes F as a report: the main thread has no start routine or creation site. */
static const struct tc__rep *tc__describe(struct tc__finding *f)
{
	int waits = f->wait.op != TC__OP_NONE;

	f->line = (struct tc__rep_line){ TC__LINE_WAIT, tc__op_name(f->wait.op), f->wait.obj,
					 &f->where };
	f->thread = (struct tc__rep_thread){ f->label, f->tid, f->name,
					     f->label != 0 ? &f->start : NULL, &f->created,
					     waits, &f->line };
	tc__detail(f);
	f->rep = (struct tc__rep){ .kind = tc__kind_raw(f->kind), .nthread = 1,
				   .thread = &f->thread, .message = f->message,
				   .title = tc__kind_words(f->kind), .detail = f->detail,
				   .summary_kind = tc__kind_words(f->kind),
				   .summary_at = waits ? &f->where : &f->created };
	return &f->rep;
}

void tc__leak_describe(const struct tc__thread *caller, size_t n, const struct tc__rep **reps)
{
	if (n == 0)
		return;
	tc__symbolize_findings(n);
	for (size_t i = 0; i < n; i++) {
		tc__explain(&tc__f[i], caller);
		reps[i] = tc__describe(&tc__f[i]);
	}
}
