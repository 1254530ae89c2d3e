/* test_sleep.c: cmocka tests of search.c: every shard is counted, and no worker outlives
 * count_hits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "check.h"
#include "search.h"
#include "shards.h"
#include "threadcheck.h"

#define NSHARDS 4

/* Each test has its own shards and result array, in static storage: a worker that a broken
 * count_hits left behind may still be writing into an earlier test's array. Later pages take
 * 250 ms, far longer than count_hits could reasonably guess. */
static struct shards shards_for_total = { .pages = 2, .per_page = 5, .slow_ms = 250, .slow_notify = -1 };
static long hits_for_total[NSHARDS];
static struct shards shards_for_leak = { .pages = 2, .per_page = 5, .slow_ms = 250, .slow_notify = -1 };
static long hits_for_leak[NSHARDS];
static struct shards no_shards = { .pages = 2, .per_page = 5, .slow_ms = 0, .slow_notify = -1 };
static long hits_for_none[1] = { -1 };

/* Slow shards: the total and every shard's count must be complete when count_hits returns. */
static void test_every_shard_is_counted(void **state)
{
	long expected = shards_expected(&shards_for_total, NSHARDS);
	long total;

	(void)state;
	total = count_hits(NSHARDS, shards_fetch_page, &shards_for_total, hits_for_total);
	for (int s = 0; s < NSHARDS; s++)
		if (hits_for_total[s] != (long)shards_for_total.pages * (s + 1) * shards_for_total.per_page)
			fail_msg("shard %d: %ld matches counted of %ld", s, hits_for_total[s],
				 (long)shards_for_total.pages * (s + 1) * shards_for_total.per_page);
	if (total != expected)
		fail_msg("count_hits returned %ld of %ld matches", total, expected);
}

/* goleak's VerifyNone: once count_hits has returned, none of its workers may still be alive.
 * They must be gone already, so the check waits only a moment (for the kernel to finish
 * removing a thread that has been joined), not the time a slow page takes. */
static void test_no_worker_left_behind(void **state)
{
	struct tc_baseline base;
	struct tc_options opt = { .settle_seconds = 0.05 };
	char report[4096] = "";
	int left;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	count_hits(NSHARDS, shards_fetch_page, &shards_for_leak, hits_for_leak);
	left = tc_verify_none(&base, &opt, report, sizeof(report));
	assert_int_not_equal(left, -1); /* -1: the threads could not be listed */
	if (left > 0)
		fail_msg("%d worker(s) still alive after count_hits returned:\n%s", left, report);
}

/* No shards: nothing to count and nothing to start. */
static void test_no_shards(void **state)
{
	(void)state;
	assert_int_equal(count_hits(0, shards_fetch_page, &no_shards, hits_for_none), 0);
	assert_int_equal(hits_for_none[0], -1);
}

static void *do_nothing(void *arg)
{
	return arg;
}

/* Starts and joins one thread before any baseline is taken, so that a thread a runtime starts
 * on the first pthread_create is in every baseline, not mistaken for a worker left behind. */
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
		cmocka_unit_test(test_no_shards),
		cmocka_unit_test(test_every_shard_is_counted),
		cmocka_unit_test(test_no_worker_left_behind),
	};

	return cmocka_run_group_tests(tests, start_runtime_threads, NULL);
}
