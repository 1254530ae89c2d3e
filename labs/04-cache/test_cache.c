/* test_cache.c: cmocka tests of cache.c: lookups, refreshes, a basket priced in the middle of
 * a refresh, which must come from one price list, never a mix of two, and readers that price
 * baskets in parallel. */
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache.h"
#include "check.h"
#include "threadcheck.h"

/* A price list held in an array: ARG of from_list. */
struct list {
	const struct price_row *rows;
	size_t n;
};

static int from_list(size_t row, struct price_row *out, void *arg)
{
	const struct list *l = arg;

	if (row >= l->n)
		return 0;
	*out = l->rows[row];
	return 1;
}

static const struct price_row old_rows[] = { { "kettle", 100 }, { "toaster", 200 } };
static const struct price_row new_rows[] = { { "kettle", 110 }, { "toaster", 220 } };
static const struct list old_list = { old_rows, 2 };
static const struct list new_list = { new_rows, 2 };
static const char *const basket[] = { "kettle", "toaster" };
#define OLD_TOTAL 300L
#define NEW_TOTAL 330L

static void test_new_cache_knows_nothing(void **state)
{
	struct price_cache *c = cache_create();
	long cents = -1;

	(void)state;
	assert_int_equal(cache_get(c, "kettle", &cents), -1);
	assert_int_equal(cents, -1);
	cache_destroy(c);
}

static void test_refresh_adds_then_updates(void **state)
{
	static const struct price_row more_rows[] = { { "toaster", 250 }, { "mug", 50 } };
	const struct list more = { more_rows, 2 };
	struct price_cache *c = cache_create();
	long cents = -1;

	(void)state;
	cache_refresh(c, from_list, (void *)&old_list);
	assert_int_equal(cache_get(c, "kettle", &cents), 0);
	assert_int_equal(cents, 100);
	cache_refresh(c, from_list, (void *)&more);
	assert_int_equal(cache_get(c, "toaster", &cents), 0);
	assert_int_equal(cents, 250);
	assert_int_equal(cache_get(c, "mug", &cents), 0);
	assert_int_equal(cents, 50);
	assert_int_equal(cache_get(c, "kettle", &cents), 0); /* not in the new list: kept */
	assert_int_equal(cents, 100);
	cache_destroy(c);
}

static void test_quote_adds_prices_and_refuses_unknown(void **state)
{
	const char *const with_unknown[] = { "kettle", "spoon" };
	struct price_cache *c = cache_create();
	long total = -1;

	(void)state;
	cache_refresh(c, from_list, (void *)&old_list);
	assert_int_equal(cache_quote(c, basket, 2, &total), 0);
	assert_int_equal(total, OLD_TOTAL);
	total = -1;
	assert_int_equal(cache_quote(c, with_unknown, 2, &total), -1);
	assert_int_equal(total, -1);
	cache_destroy(c);
}

/* A handler thread that prices the basket once, started while a refresh is half done. */
struct handler {
	pthread_t thread;
	struct price_cache *cache;
	atomic_int tid;  /* its kernel thread id, set just before it calls cache_quote */
	atomic_int done; /* 1 once cache_quote has returned */
	int rc;
	long total;
};

static void *handler_main(void *arg)
{
	struct handler *h = arg;

	atomic_store(&h->tid, (int)gettid());
	h->rc = cache_quote(h->cache, basket, 2, &h->total);
	atomic_store(&h->done, 1);
	return NULL;
}

/* Returns the scheduler state of thread TID of this process ('R' running, 'S' asleep, ...), as
 * /proc shows it, or 0 if it cannot be read (the thread has gone). */
static char thread_state(int tid)
{
	char path[64], buf[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "tid (name) S ...": the name may hold spaces and parentheses, the state follows the last ')'. */
	char *p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' ? p[2] : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits until handler H has either finished its quote or fallen asleep inside cache_quote (it
 * has nothing else to wait for there, so asleep means blocked on a lock). Gives up after 2 s in
 * case a fix spins instead of sleeping. Returns 1 if the quote finished, 0 otherwise. */
static int quote_finished_or_blocked(struct handler *h)
{
	double deadline = now_s() + 2.0;
	int tid;

	while ((tid = atomic_load(&h->tid)) == 0)
		sched_yield();
	while (now_s() < deadline) {
		if (atomic_load(&h->done))
			return 1;
		/* Asleep, and still not done after we saw it asleep: it is waiting in cache_quote. */
		if (thread_state(tid) == 'S' && !atomic_load(&h->done))
			return 0;
		sched_yield();
	}
	return atomic_load(&h->done);
}

/* The new price list, which stops after its first row (kettle's new price is in the cache,
 * toaster's is not yet) to let a handler price the basket, as a slow database would. */
struct paused_source {
	struct handler *h;
	int finished_mid_refresh; /* whether the handler's quote completed during the pause */
};

static int new_list_with_pause(size_t row, struct price_row *out, void *arg)
{
	struct paused_source *ps = arg;

	if (row == 1) {
		Pthread_create(&ps->h->thread, NULL, handler_main, ps->h);
		ps->finished_mid_refresh = quote_finished_or_blocked(ps->h);
	}
	return from_list(row, out, (void *)&new_list);
}

/* The lab's point: a basket priced while the refresher is half way through a new price list
 * must cost its old total or its new total, not a mix. */
static void test_quote_during_refresh_uses_one_price_list(void **state)
{
	struct tc_baseline base;
	struct tc_options opt = { .settle_seconds = 1.0 };
	char report[4096] = "";
	struct price_cache *c = cache_create();
	struct handler h = { .cache = c };
	struct paused_source ps = { .h = &h };
	int leaked;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	cache_refresh(c, from_list, (void *)&old_list);
	cache_refresh(c, new_list_with_pause, &ps);
	Pthread_join(h.thread, NULL);
	assert_int_equal(h.rc, 0);
	if (h.total != OLD_TOTAL && h.total != NEW_TOTAL)
		fail_msg("a handler priced the basket at %ld in the middle of a refresh: the old price "
			 "list says %ld and the new one %ld, so it mixed the two (its quote %s while "
			 "the refresh was still writing)",
			 h.total, OLD_TOTAL, NEW_TOTAL,
			 ps.finished_mid_refresh ? "completed" : "waited");
	cache_destroy(c);
	leaked = tc_verify_none(&base, &opt, report, sizeof(report));
	if (leaked < 0)
		fail_msg("threadcheck could not list this process's threads");
	if (leaked > 0)
		fail_msg("%d thread(s) still alive after the handler was joined:\n%s", leaked, report);
}

/* Readers in parallel (the README: handlers must not wait for each other). Reader A is held
 * inside cache_quote, in the middle of its read: its basket names a product whose name sits on
 * a page the test made unreadable, so A stops in the SIGSEGV handler below the moment it reads
 * the name, wherever its read section begins. Reader B must then price its own basket while A
 * is held there. A plain mutex makes B wait until A goes on: the test lets A go after a bounded
 * wait and fails. The handler uses only async-signal-safe calls (atomics, nanosleep, mprotect,
 * sigaction). */
#define READER_WAIT_MS 2000

static char *trap_page;    /* one page holding "kettle", unreadable until A is let go */
static size_t trap_size;
static atomic_int trapped; /* 1 once A is held in the handler */
static atomic_int let_go;  /* set by the test: A may read the page and go on */

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L }, NULL);
}

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
	char *addr = si->si_addr;

	(void)ctx;
	if (addr < trap_page || addr >= trap_page + trap_size) {
		/* A real crash: let the fault happen again with the default action. */
		signal(sig, SIG_DFL);
		return;
	}
	atomic_store(&trapped, 1);
	while (!atomic_load(&let_go))
		sleep_ms(1);
	mprotect(trap_page, trap_size, PROT_READ);
}

struct reader {
	pthread_t thread;
	struct price_cache *cache;
	const char *sku;
	atomic_int done;
	int rc;
	long cents;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	r->rc = cache_quote(r->cache, &r->sku, 1, &r->cents);
	atomic_store(&r->done, 1);
	return NULL;
}

/* Waits up to MS milliseconds for FLAG to become 1; returns its value. */
static int wait_flag(atomic_int *flag, long ms)
{
	for (long waited = 0; !atomic_load(flag) && waited < ms; waited++)
		sleep_ms(1);
	return atomic_load(flag);
}

static void test_readers_run_in_parallel(void **state)
{
	struct sigaction trap = { .sa_sigaction = on_trap, .sa_flags = SA_SIGINFO }, old;
	struct price_cache *c = cache_create();
	struct reader a = { .cache = c }, b = { .cache = c, .sku = "toaster" };
	int b_done_while_a_held;

	(void)state;
	cache_refresh(c, from_list, (void *)&old_list);
	trap_size = (size_t)sysconf(_SC_PAGESIZE);
	trap_page = mmap(NULL, trap_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(trap_page != MAP_FAILED);
	strcpy(trap_page, "kettle");
	a.sku = trap_page;
	atomic_store(&trapped, 0);
	atomic_store(&let_go, 0);
	sigemptyset(&trap.sa_mask);
	assert_int_equal(sigaction(SIGSEGV, &trap, &old), 0);
	assert_int_equal(mprotect(trap_page, trap_size, PROT_NONE), 0);

	Pthread_create(&a.thread, NULL, reader_main, &a);
	if (!wait_flag(&trapped, 10 * READER_WAIT_MS))
		fail_msg("reader A never read the product name of its basket");
	Pthread_create(&b.thread, NULL, reader_main, &b);
	b_done_while_a_held = wait_flag(&b.done, READER_WAIT_MS);
	atomic_store(&let_go, 1);
	Pthread_join(a.thread, NULL);
	Pthread_join(b.thread, NULL);
	assert_int_equal(sigaction(SIGSEGV, &old, NULL), 0);
	munmap(trap_page, trap_size);
	cache_destroy(c);
	assert_int_equal(a.rc, 0);
	assert_int_equal(a.cents, 100);
	assert_int_equal(b.rc, 0);
	assert_int_equal(b.cents, 200);
	if (!b_done_while_a_held)
		fail_msg("reader B waited more than %d ms for reader A, which was in the middle of "
			 "cache_quote: readers must be able to read at the same time (a plain mutex "
			 "lets one handler in at a time)",
			 READER_WAIT_MS);
}

static void *do_nothing(void *arg)
{
	return arg;
}

/* Starts and joins one thread before any baseline is taken, so that a runtime thread started on
 * the first pthread_create is in every baseline rather than taken for a leak. */
static int start_runtime_threads(void **state)
{
	pthread_t t;

	(void)state;
	Pthread_create(&t, NULL, do_nothing, NULL);
	Pthread_join(t, NULL);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_cache_knows_nothing),
		cmocka_unit_test(test_refresh_adds_then_updates),
		cmocka_unit_test(test_quote_adds_prices_and_refuses_unknown),
		cmocka_unit_test(test_quote_during_refresh_uses_one_price_list),
		cmocka_unit_test(test_readers_run_in_parallel),
	};

	return cmocka_run_group_tests(tests, start_runtime_threads, NULL);
}
