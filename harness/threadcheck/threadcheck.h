/* threadcheck.h: goleak-style thread-leak checks for cmocka tests, with or without the
 * LD_PRELOAD library (libthreadcheck.so); link tc_api.c into the test. */
#ifndef THREADCHECK_H
#define THREADCHECK_H

#include <stddef.h>
#include <sys/types.h>

#define TC_MAX_THREADS 256

/* The threads alive at one moment (kernel tids of this process). */
struct tc_baseline {
	size_t n;
	pid_t tid[TC_MAX_THREADS];
};

/* What to ignore and how long to wait. Zero-initialised means: wait up to 1 s, ignore none. */
struct tc_options {
	double settle_seconds;            /* retry with back-off up to this long (0: 1.0 s) */
	const char *const *ignore_start;  /* NULL-terminated start-function names to ignore */
	const char *const *ignore_creator;/* NULL-terminated creator function names to ignore */
};

/* Records the threads alive now (goleak's IgnoreCurrent). Returns 0, or -1 if
 * /proc/self/task cannot be read, or threads kept starting and ending for a whole second so
 * that no whole list could be read, or the process has more than TC_MAX_THREADS threads (B is
 * then empty). */
int tc_baseline_take(struct tc_baseline *b);

/* Verifies that no thread other than the caller and those in BASE (may be NULL) is alive,
 * retrying with exponential back-off up to the settle time before it declares a leak.
 * Returns the number of leaked threads (0: none), or -1 on error, including when threads kept
 * starting and ending for the whole settle time so that "none" could not be confirmed (a
 * list of /proc/self/task read while threads end can miss live ones). When REPORT is not NULL it
 * receives one paragraph per leaked thread: its tid and name, and, when the LD_PRELOAD
 * library is loaded, its start function, creation site (file:line) and what it waits on. */
int tc_verify_none(const struct tc_baseline *base, const struct tc_options *opt, char *report,
		   size_t reportlen);

/* Whether libthreadcheck.so is preloaded into this process and tracking threads (1) or
 * not (0). Under ThreadSanitizer, Helgrind or DRD the library stays passive: 0. */
int tc_preloaded(void);

/* What libthreadcheck.so knows about one live thread. The caller sets `size` to
 * sizeof(struct tc_thread_info) so that the library can refuse a struct it does not know.
 * Functions are "?" and sites "?:0" when they cannot be symbolised. */
struct tc_thread_info {
	size_t size;
	int label;               /* N of the thread's name "TN" (T0 is the main thread) */
	int creator;             /* label of the thread that created it, -1 when unknown */
	char start_fn[128];      /* the start routine and where it is defined */
	char start_site[320];
	char created_fn[128];    /* the function that called pthread_create, and the line */
	char created_site[320];
	char wait_op[16];        /* FORMAT.md's wait op, "" when not in a recorded blocking call */
	int wait_timed;          /* 1 when that call has a timeout (not blocked forever) */
	void *wait_obj;
	char wait_fn[128];
	char wait_site[320];
};

/* Exported by libthreadcheck.so (tc_api.c looks them up with dlsym, so that tests also
 * link and run without the library). threadcheck_describe_tid returns 1 and fills INFO
 * when TID is a live thread the library tracks, 0 when it is not (or the library is
 * passive), and -1 when INFO is NULL or its size is wrong. It may spawn addr2line. */
#define TC_DESCRIBE_SYMBOL "threadcheck_describe_tid"
#define TC_ACTIVE_SYMBOL "threadcheck_active"
typedef int tc_describe_fn(pid_t tid, struct tc_thread_info *info);
typedef int tc_active_fn(void);
tc_describe_fn threadcheck_describe_tid;
tc_active_fn threadcheck_active;

/* Exported too: 1 when TID is a thread of the library itself (its deadlock watchdog), which
 * is never a leak, else 0. */
#define TC_INTERNAL_SYMBOL "threadcheck_internal_tid"
typedef int tc_internal_fn(pid_t tid);
tc_internal_fn threadcheck_internal_tid;

#endif
