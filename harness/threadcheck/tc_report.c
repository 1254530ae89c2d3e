/* tc_report.c: collects threadcheck's findings at exit and writes them as FORMAT.md's
 * machine log and as a short TSan-like block per finding on stderr. */
#include "tc_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* One finding, complete before anything is printed. */
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
};

#define TC__MAX_FINDINGS 256
#define TC__DEFAULT_EXITCODE 67

static struct tc__finding tc__f[TC__MAX_FINDINGS];
static char tc__text[16384];

int tc__env_exitcode(const char *name, int def)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 255)
		return def;
	return (int)v;
}

uint64_t tc__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Gathers the findings into tc__f, sorted by thread label. Returns how many (at most
 * TC__MAX_FINDINGS; *more receives how many did not fit). A RUNNING record is checked
 * against the kernel first: a thread that ended by a raw exit system call never ran our
 * end of thread, and counts as finished (so it is reported only if it was joinable). */
static size_t tc__collect(const struct tc__thread *caller, size_t *more)
{
	int hw = atomic_load(&tc__high_water);
	size_t n = 0;

	*more = 0;
	for (int i = 0; i < hw; i++) {
		struct tc__thread *t = &tc__threads[i];
		int st = atomic_load(&t->state);
		struct tc__finding *f;
		int gone;

		if (t == caller)
			continue;
		gone = st == TC__RUNNING && tc__thread_gone(t, 1);
		if (st == TC__RUNNING && !gone) {
			if (n == TC__MAX_FINDINGS) {
				(*more)++;
				continue;
			}
			f = &tc__f[n++];
			f->kind = TC__KIND_THREAD_LEAK;
			f->vanished = 0;
			if (tc__read_wait(t, &f->wait) != 0)
				f->wait.op = TC__OP_NONE;
			tc__thread_name(t, 1, f->name, sizeof f->name);
		} else if ((st == TC__FINISHED || gone) && !atomic_load(&t->detached) &&
			   t->label != 0) {
			/* The main thread left through pthread_exit: nobody is meant to join it. */
			if (n == TC__MAX_FINDINGS) {
				(*more)++;
				continue;
			}
			f = &tc__f[n++];
			f->kind = TC__KIND_UNJOINED;
			f->vanished = gone;
			f->wait.op = TC__OP_NONE;
			tc__thread_name(t, 0, f->name, sizeof f->name);
		} else {
			continue;
		}
		f->label = t->label;
		f->creator = t->creator;
		f->tid = atomic_load(&t->tid);
		f->start_fn = t->start_fn;
		f->create_site = t->create_site;
	}
	/* Insertion sort: slots are reused, labels give creation order. */
	for (size_t i = 1; i < n; i++) {
		struct tc__finding tmp = tc__f[i];
		size_t j = i;

		for (; j > 0 && tc__f[j - 1].label > tmp.label; j--)
			tc__f[j] = tc__f[j - 1];
		tc__f[j] = tmp;
	}
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
		 * return addresses, one past the call, so step back into the call itself. */
		addrs[3 * i] = f->start_fn;
		addrs[3 * i + 1] = f->create_site != NULL ? (char *)f->create_site - 1 : NULL;
		addrs[3 * i + 2] =
			f->wait.op != TC__OP_NONE && f->wait.site != NULL ? (char *)f->wait.site - 1 : NULL;
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

/* Formats F as one machine record (FORMAT.md) into B. */
static void tc__format_record(struct tc__buf *b, const struct tc__finding *f)
{
	tc__bprintf(b, "BEGIN %s\n", tc__kind_raw(f->kind));
	tc__bprintf(b, "thread T%d tid=%d name=%s\n", f->label, (int)f->tid, f->name);
	/* The main thread has no start routine or creation site of its own. */
	if (f->label != 0) {
		tc__bprintf(b, "start %s %s\n", f->start.function, f->start.fileline);
		tc__bprintf(b, "created %s %s\n", f->created.function, f->created.fileline);
	}
	if (f->wait.op != TC__OP_NONE)
		tc__bprintf(b, "wait %s %p %s %s\n", tc__op_name(f->wait.op), f->wait.obj,
			    f->where.function, f->where.fileline);
	tc__bprintf(b, "message %s\n", f->message);
	tc__bprintf(b, "END\n");
}

/* Formats the human-readable block of F into B. */
static void tc__format_human(struct tc__buf *b, const struct tc__finding *f)
{
	tc__bprintf(b, "==================\n");
	tc__bprintf(b, "WARNING: ThreadCheck: %s (pid=%d)\n", tc__kind_words(f->kind), (int)getpid());
	tc__bprintf(b, "  %s\n", f->message);
	if (f->wait.op != TC__OP_NONE)
		tc__bprintf(b, "  Thread T%d (tid=%d, name=%s) waits on %s %p at:\n"
			       "    #0 %s %s\n",
			    f->label, (int)f->tid, f->name, tc__op_name(f->wait.op), f->wait.obj,
			    f->where.function, f->where.fileline);
	else if (f->label != 0)
		tc__bprintf(b, "  Thread T%d (tid=%d, name=%s) runs %s (%s)\n", f->label,
			    (int)f->tid, f->name, f->start.function, f->start.fileline);
	if (f->label == 0) {
		tc__bprintf(b, "  Thread T0 is the main thread\n");
	} else {
		tc__bprintf(b, "  Thread T%d was created", f->label);
		if (f->creator >= 0)
			tc__bprintf(b, " by T%d", f->creator);
		tc__bprintf(b, " to run %s at:\n    #0 %s %s\n", f->start.function,
			    f->created.function, f->created.fileline);
	}
	if (f->wait.op != TC__OP_NONE)
		tc__bprintf(b, "SUMMARY: ThreadCheck: %s %s in %s\n", tc__kind_words(f->kind),
			    f->where.fileline, f->where.function);
	else
		tc__bprintf(b, "SUMMARY: ThreadCheck: %s %s in %s\n", tc__kind_words(f->kind),
			    f->created.fileline, f->created.function);
	tc__bprintf(b, "==================\n");
}

/* Writes the header, the N thread records, the misuse and lock-order records and the
 * summary line (TOTAL findings) to FD, in bounded pieces. */
static void tc__write_log(int fd, size_t n, size_t total)
{
	struct tc__buf b = { tc__text, 0, sizeof tc__text };

	tc__bprintf(&b, "threadcheck 1 pid=%d\n", (int)getpid());
	(void)tc__write_all(fd, b.p, b.len);
	for (size_t i = 0; i < n; i++) {
		b.len = 0;
		tc__format_record(&b, &tc__f[i]);
		(void)tc__write_all(fd, b.p, b.len);
	}
	tc__misuse_write_records(fd);
	tc__order_write_records(fd);
	b.len = 0;
	tc__bprintf(&b, "summary %zu findings\n", total);
	(void)tc__write_all(fd, b.p, b.len);
}

/* Why trylock: a leaked or deadlocked thread might hold stdout's lock, and a report that
 * hangs is worse than lost buffered output. */
void tc__flush_stdio(void)
{
	if (ftrylockfile(stdout) == 0) {
		fflush(stdout);
		funlockfile(stdout);
	}
}

int tc__open_log(void)
{
	const char *prefix = getenv("THREADCHECK_LOG");
	char path[4200];
	struct tc__buf pb = { path, 0, sizeof path };
	int fd;

	if (prefix == NULL || prefix[0] == '\0')
		return -1;
	tc__bprintf(&pb, "%s.%d", prefix, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		char msg[4300];
		struct tc__buf mb = { msg, 0, sizeof msg };

		tc__bprintf(&mb, "threadcheck: cannot open %s: %s; writing to stderr\n", path,
			    strerror(errno));
		(void)tc__write_all(2, mb.p, mb.len);
	}
	return fd;
}

/* Reports what the registry shows now, the misuses seen while the program ran and the
 * lock-order cycles. With THREADCHECK_LOG set the log file is always written (header and
 * summary even when clean) so that the harness can tell a clean run from a killed one; the
 * machine records go to stderr instead when it is unset. The human blocks always go to
 * stderr (a misuse's went there when it happened). Returns only when there is nothing to
 * report; otherwise it ends the process with _exit(THREADCHECK_EXITCODE). */
void tc__report_at_exit(struct tc__thread *caller, int untracked)
{
	size_t more, n = tc__collect(caller, &more);
	size_t total = n + (size_t)tc__misuse_count() + (size_t)tc__order_analyze();
	int logfd = -1;

	logfd = tc__open_log();
	if (n > 0) {
		tc__symbolize_findings(n);
		for (size_t i = 0; i < n; i++)
			tc__explain(&tc__f[i], caller);
	}
	if (logfd >= 0) {
		tc__write_log(logfd, n, total);
		close(logfd);
	}
	tc__order_write_human(2);
	if (total == 0 && untracked == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct tc__buf b = { tc__text, 0, sizeof tc__text };

		tc__format_human(&b, &tc__f[i]);
		(void)tc__write_all(2, b.p, b.len);
	}
	{
		struct tc__buf b = { tc__text, 0, sizeof tc__text };

		if (more > 0)
			tc__bprintf(&b, "threadcheck: %zu more findings not shown\n", more);
		if (untracked > 0)
			tc__bprintf(&b, "threadcheck: %d threads were created while the registry "
					"was full and were not checked\n", untracked);
		(void)tc__write_all(2, b.p, b.len);
	}
	if (logfd < 0 && total > 0)
		tc__write_log(2, n, total);
	if (total == 0)
		return;
	tc__flush_stdio();
	_exit(tc__env_exitcode("THREADCHECK_EXITCODE", TC__DEFAULT_EXITCODE));
}
