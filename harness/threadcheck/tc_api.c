/* tc_api.c: the goleak-style test API of threadcheck.h: it lists this process's threads from
 * /proc/self/task and, when libthreadcheck.so is preloaded, asks it what each thread is. */
#include "threadcheck.h"
#include "tc_proc.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
#define TC_API_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TC_API_TSAN 1
#endif
#endif

/* A finite back-off: 1, 2, 4, ... ms, never more than this per step. */
#define TC_API_MAX_STEP_MS 100

/* Threads that belong to a sanitizer runtime, found once at start (see tc_api_runtime_init). */
static pid_t tc_api_runtime[8];
static size_t tc_api_nruntime;

/* Appends to a caller's fixed buffer, truncating at its end. */
struct tc_api_out {
	char *p;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void tc_api_printf(struct tc_api_out *o,
								 const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->p == NULL || o->cap == 0 || o->len >= o->cap - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < o->cap - o->len ? (size_t)n : o->cap - o->len - 1;
}

/* Where tc_api_list_one stores the tasks of one pass. */
struct tc_api_list {
	pid_t *out;
	size_t n, max;
};

/* Appends task TID to the list ARG; stops the pass when the list is full. */
static int tc_api_list_one(pid_t tid, void *arg)
{
	struct tc_api_list *l = arg;

	l->out[l->n++] = tid;
	return l->n == l->max;
}

/* One pass over /proc/self/task into OUT (at most MAX). Returns the count, or -1. */
static int tc_api_list_once(pid_t *out, size_t max)
{
	struct tc_api_list l = { out, 0, max };

	if (max == 0)
		return 0;
	return tc_proc_tasks(tc_api_list_one, &l) < 0 ? -1 : (int)l.n;
}

/* Lists the tids of this process's threads into OUT (at most MAX), in one pass. Returns the
 * count, or -1 when /proc/self/task cannot be read. *CONFIRMED (may be NULL) is set to 1 when
 * the list is known to be whole, 0 when threads started or ended during the pass and it may
 * miss some; the callers, which wait anyway, read again later.
 *
 * Why a pass may miss threads: a read of /proc/self/task stops early when the thread it has
 * just listed ends, and the next read resumes by position, so it skips a live thread for each
 * one that ended ahead of it. (Measured: a thread started after four threads that end while
 * the list is read was missing from 2% of lists, and a test then passed with the thread that
 * had yet to close its channel still running.) The kernel changes the thread count and the
 * thread list together, so a pass is whole when the count read before it, the count read
 * after it and the number it listed are all the same. That can only be fooled if as many
 * threads start as end during the pass; a program that starts no threads while it is
 * checked cannot fool it. */
static int tc_api_tasks(pid_t *out, size_t max, int *confirmed)
{
	long before = tc_proc_nthreads();
	int n = tc_api_list_once(out, max);

	if (confirmed != NULL)
		*confirmed = n >= 0 && before == n && tc_proc_nthreads() == n;
	return n;
}

static int tc_api_contains(const pid_t *v, size_t n, pid_t tid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == tid)
			return 1;
	return 0;
}

static const char *tc_api_state_words(char s)
{
	switch (s) {
	case 'R':
		return "running";
	case 'S':
		return "sleeping";
	case 'D':
		return "in uninterruptible wait";
	case 'T':
	case 't':
		return "stopped";
	case 'Z':
		return "zombie";
	default:
		return "unknown";
	}
}

/* The library's describe function when it is preloaded and active, else NULL. */
static tc_describe_fn *tc_api_describe_fn(void)
{
	void *a = dlsym(RTLD_DEFAULT, TC_ACTIVE_SYMBOL);
	void *d = dlsym(RTLD_DEFAULT, TC_DESCRIBE_SYMBOL);
	tc_active_fn *active;
	tc_describe_fn *describe;

	if (a == NULL || d == NULL)
		return NULL;
	/* Why memcpy: ISO C has no conversion from void * to a function pointer. */
	memcpy(&active, &a, sizeof active);
	memcpy(&describe, &d, sizeof describe);
	return active() ? describe : NULL;
}

/* Whether the preloaded library says TID is its own thread (the deadlock watchdog). */
static int tc_api_internal(pid_t tid)
{
	void *a = dlsym(RTLD_DEFAULT, TC_INTERNAL_SYMBOL);
	tc_internal_fn *internal;

	if (a == NULL)
		return 0;
	memcpy(&internal, &a, sizeof internal);
	return internal(tid);
}

int tc_preloaded(void)
{
	return tc_api_describe_fn() != NULL;
}

static double tc_api_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int tc_baseline_take(struct tc_baseline *b)
{
	double start = tc_api_now();
	int n, confirmed;

	b->n = 0;
	/* Threads of an earlier test may still be ending (joined, not yet gone): on a loaded
	 * machine they can need a while to be scheduled, so keep asking, every millisecond for up
	 * to a second. */
	for (;;) {
		n = tc_api_tasks(b->tid, TC_MAX_THREADS, &confirmed);
		if (n < 0)
			return -1;
		if (confirmed)
			break;
		if (tc_api_now() - start >= 1.0)
			return -1;
		struct timespec ts = { 0, 1000000L };
		nanosleep(&ts, NULL);
	}
	b->n = (size_t)n;
	return 0;
}

static int tc_api_listed(const char *const *names, const char *fn)
{
	for (size_t i = 0; names != NULL && names[i] != NULL; i++)
		if (strcmp(names[i], fn) == 0)
			return 1;
	return 0;
}

/* What one round found about a thread that is not the caller's and not in the baseline. */
struct tc_api_seen {
	pid_t tid;
	int ignored;      /* -1: not decided yet, 0/1 */
};

/* Whether OPT tells us to ignore TID; asks the library, so without it nothing is ignored. */
static int tc_api_ignored(tc_describe_fn *describe, const struct tc_options *opt, pid_t tid)
{
	struct tc_thread_info info;

	if (describe == NULL || opt == NULL || (opt->ignore_start == NULL && opt->ignore_creator == NULL))
		return 0;
	memset(&info, 0, sizeof info);
	info.size = sizeof info;
	if (describe(tid, &info) != 1)
		return 0;
	return tc_api_listed(opt->ignore_start, info.start_fn) ||
	       tc_api_listed(opt->ignore_creator, info.created_fn);
}

/* Writes the paragraph about leaked thread TID to O. */
static void tc_api_describe(struct tc_api_out *o, tc_describe_fn *describe, pid_t tid)
{
	struct tc_thread_info info;
	char comm[64] = "?", wchan[128] = "";
	char st = tc_proc_state(tid);

	(void)tc_proc_read(tid, "comm", comm, sizeof comm);
	if (tc_proc_read(tid, "wchan", wchan, sizeof wchan) != 0 || strcmp(wchan, "0") == 0)
		wchan[0] = '\0';
	tc_api_printf(o, "leaked thread tid=%d name=%s state=%c (%s%s%s)\n", (int)tid, comm, st,
		      tc_api_state_words(st), wchan[0] != '\0' ? ", wchan " : "", wchan);
	memset(&info, 0, sizeof info);
	info.size = sizeof info;
	if (describe == NULL || describe(tid, &info) != 1) {
		tc_api_printf(o, "  (run under libthreadcheck.so for its start function, creation "
				 "site and what it waits on)\n");
		return;
	}
	tc_api_printf(o, "  T%d runs %s (%s), created", info.label, info.start_fn, info.start_site);
	if (info.creator >= 0)
		tc_api_printf(o, " by T%d", info.creator);
	tc_api_printf(o, " in %s at %s\n", info.created_fn, info.created_site);
	if (info.wait_op[0] == '\0')
		tc_api_printf(o, "  not in a blocking call threadcheck tracks\n");
	else
		tc_api_printf(o, "  %s on %s %p in %s at %s\n",
			      info.wait_timed ? "in a timed wait" : "blocked", info.wait_op,
			      info.wait_obj, info.wait_fn, info.wait_site);
}

/* The state of one tc_verify_none: what is left out, and each thread's ignore verdict,
 * remembered because asking the library symbolises. */
struct tc_api_verify {
	const struct tc_baseline *base;
	const struct tc_options *opt;
	tc_describe_fn *describe;
	pid_t me;
	struct tc_api_seen *seen;
	size_t nseen, max;
};

/* Keeps in TASKS[0..n) the threads that count as leaked: not the caller, a sanitizer's,
 * the library's, the baseline's or ignored. Returns how many are kept. */
static size_t tc_api_leaks(struct tc_api_verify *v, pid_t *tasks, int n)
{
	size_t nleak = 0;

	for (int i = 0; i < n; i++) {
		pid_t tid = tasks[i];
		size_t k;

		if (tid == v->me || tc_api_contains(tc_api_runtime, tc_api_nruntime, tid) ||
		    tc_api_internal(tid) ||
		    (v->base != NULL && tc_api_contains(v->base->tid, v->base->n, tid)))
			continue;
		for (k = 0; k < v->nseen && v->seen[k].tid != tid; k++)
			;
		if (k == v->nseen) {
			if (v->nseen == v->max)
				continue;
			v->seen[v->nseen].tid = tid;
			v->seen[v->nseen].ignored = tc_api_ignored(v->describe, v->opt, tid);
			v->nseen++;
		}
		if (!v->seen[k].ignored)
			tasks[nleak++] = tid;
	}
	return nleak;
}

/* Sleeps *STEP_MS (doubling it up to TC_API_MAX_STEP_MS for next time), but never past LEFT
 * seconds from now. */
static void tc_api_back_off(long *step_ms, double left)
{
	double left_ms = left * 1000.0;
	long ms = *step_ms < left_ms ? *step_ms : (long)left_ms + 1;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	if (*step_ms < TC_API_MAX_STEP_MS)
		*step_ms *= 2;
}

int tc_verify_none(const struct tc_baseline *base, const struct tc_options *opt, char *report,
		   size_t reportlen)
{
	struct tc_api_verify v = { base, opt, tc_api_describe_fn(), gettid(), NULL, 0,
				   TC_MAX_THREADS * 4 };
	struct tc_api_out out = { report, 0, reportlen };
	double settle = opt != NULL && opt->settle_seconds > 0 ? opt->settle_seconds : 1.0;
	double start = tc_api_now(), elapsed;
	pid_t *tasks = malloc(v.max * sizeof *tasks);
	long step_ms = 1;
	int rc = -1, confirmed = 0, n;
	size_t nleak = 0;

	if (report != NULL && reportlen > 0)
		report[0] = '\0';
	v.seen = malloc(v.max * sizeof *v.seen);
	if (tasks == NULL || v.seen == NULL)
		goto out;
	/* "None left" needs a whole list; a leak needs only the threads seen alive. */
	while ((n = tc_api_tasks(tasks, v.max, &confirmed)) >= 0) {
		nleak = tc_api_leaks(&v, tasks, n);
		elapsed = tc_api_now() - start;
		if ((nleak == 0 && confirmed) || elapsed >= settle)
			break;
		tc_api_back_off(&step_ms, settle - elapsed);
	}
	if (n < 0)
		goto out;
	if (nleak == 0 && !confirmed) {
		tc_api_printf(&out, "no whole list of this process's threads: threads kept starting "
				    "and ending for the whole settle time\n");
		goto out;
	}
	for (size_t i = 0; i < nleak; i++)
		tc_api_describe(&out, v.describe, tasks[i]);
	rc = (int)nleak;
out:
	free(tasks);
	free(v.seen);
	return rc;
}

#ifdef TC_API_TSAN
static pid_t tc_api_probe_tid;

static void *tc_api_probe(void *arg)
{
	tc_api_probe_tid = gettid();
	return arg;
}

/* ThreadSanitizer starts a background thread of its own at the first pthread_create; it
 * would look like a leak to every test. Start that first thread now, while the process has
 * no other, and remember which tids appeared that are not our probe's. */
__attribute__((constructor)) static void tc_api_runtime_init(void)
{
	pid_t before[64], after[64];
	int nb = tc_api_tasks(before, 64, NULL), na;
	pthread_t t;

	if (nb < 0 || pthread_create(&t, NULL, tc_api_probe, NULL) != 0)
		return;
	(void)pthread_join(t, NULL);
	na = tc_api_tasks(after, 64, NULL);
	for (int i = 0; i < na; i++) {
		if (tc_api_contains(before, (size_t)nb, after[i]) || after[i] == tc_api_probe_tid)
			continue;
		if (tc_api_nruntime < sizeof tc_api_runtime / sizeof tc_api_runtime[0])
			tc_api_runtime[tc_api_nruntime++] = after[i];
	}
}
#endif
