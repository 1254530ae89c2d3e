/* test_semaphore.c: cmocka tests of downloader.c: never more than the limit in flight, and a
 * failed download, whatever the reason, hands its slot back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "check.h"
#include "downloader.h"
#include "threadcheck.h"
#include "threads_left.h"

/* How long a batch may take before a test calls it stuck. A correct downloader.c needs a few
 * milliseconds. */
#define STUCK_SECONDS 2
/* How long a test waits for one slot that should be free at once. */
#define SLOT_WAIT_MS 200

/* Set once a test has left a batch blocked for ever waiting for a slot: later tests that could
 * only hang the same way are skipped, to keep the run short. */
static int stuck_seen;

/* A fake mirror. URLs starting with "missing/" are 404s (-ENOENT), "down/" always answers
 * -EAGAIN, "flaky/" answers -EAGAIN while FLAKY_LEFT is positive; anything else is a file of
 * 100 bytes per character of its URL. While GATE_OPEN is 0 every fetch waits inside the mirror,
 * so that a test can look at how many are in flight. */
struct mirror {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* broadcast when IN_FLIGHT or GATE_OPEN changes */
	int gate_open;
	int in_flight;          /* fetches inside the mirror now */
	int peak;               /* the most that ever were */
	int flaky_left;
};

static void mirror_init(struct mirror *m)
{
	Pthread_mutex_init(&m->lock, NULL);
	Pthread_cond_init(&m->changed, NULL);
	m->gate_open = 1;
	m->in_flight = 0;
	m->peak = 0;
	m->flaky_left = 0;
}

static void mirror_destroy(struct mirror *m)
{
	Pthread_cond_destroy(&m->changed);
	Pthread_mutex_destroy(&m->lock);
}

static int mirror_fetch(const char *url, size_t *bytes, void *arg)
{
	struct mirror *m = arg;
	int rc = 0;

	Pthread_mutex_lock(&m->lock);
	m->in_flight++;
	if (m->in_flight > m->peak)
		m->peak = m->in_flight;
	Pthread_cond_broadcast(&m->changed);
	while (!m->gate_open)
		Pthread_cond_wait(&m->changed, &m->lock);
	if (strncmp(url, "missing/", 8) == 0)
		rc = -ENOENT;
	else if (strncmp(url, "down/", 5) == 0)
		rc = -EAGAIN;
	else if (strncmp(url, "flaky/", 6) == 0 && m->flaky_left > 0) {
		m->flaky_left--;
		rc = -EAGAIN;
	}
	m->in_flight--;
	Pthread_cond_broadcast(&m->changed);
	Pthread_mutex_unlock(&m->lock);
	if (rc == 0)
		*bytes = 100 * strlen(url);
	return rc;
}

/* Returns the absolute CLOCK_REALTIME time MS milliseconds from now: sem_timedwait and
 * pthread_timedjoin_np both measure their deadlines on that clock. */
static struct timespec deadline_in(long ms)
{
	struct timespec t;

	CHECK_PT(clock_gettime(CLOCK_REALTIME, &t) != 0 ? errno : 0);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* Takes every slot of D that is free, waiting at most SLOT_WAIT_MS for each of the
 * max_inflight that should be there, then one more without waiting (there must not be one),
 * and gives back what it took. Returns how many slots it could take. A watchdog: it never
 * blocks for ever, whatever downloader.c did. */
static int count_free_slots(struct downloader *d)
{
	int taken = 0;

	for (int i = 0; i < d->max_inflight; i++) {
		struct timespec deadline = deadline_in(SLOT_WAIT_MS);
		int rc;

		while ((rc = sem_timedwait(&d->slots, &deadline)) != 0 && errno == EINTR)
			;
		if (rc != 0) {
			CHECK_PT(errno == ETIMEDOUT ? 0 : errno);
			break;
		}
		taken++;
	}
	if (taken == d->max_inflight && sem_trywait(&d->slots) == 0)
		taken++;
	for (int i = 0; i < taken; i++)
		CHECK_PT(sem_post(&d->slots) == 0 ? 0 : errno);
	return taken;
}

/* Fails the current test unless exactly D's limit of slots is free; WHAT says what ran. */
static void assert_all_slots_back(struct downloader *d, const char *what)
{
	int free_slots = count_free_slots(d);

	if (free_slots < d->max_inflight)
		fail_msg("after %s, only %d of %d download slots are free: %d slot(s) were never "
			 "given back, and every later batch runs with that many fewer",
			 what, free_slots, d->max_inflight, d->max_inflight - free_slots);
	if (free_slots > d->max_inflight)
		fail_msg("after %s, more than %d download slots are free: some slot was given back "
			 "twice, and the limit has gone up",
			 what, d->max_inflight);
}

/* A batch run by its own thread, so that the test can wait for it with a time limit. */
struct batch {
	pthread_t thread;
	struct downloader *d;
	struct download *jobs;
	int n;
	int failed; /* what download_all returned */
};

static void *batch_main(void *arg)
{
	struct batch *b = arg;

	b->failed = download_all(b->d, b->jobs, b->n);
	return NULL;
}

/* Joins B's thread, waiting at most STUCK_SECONDS. Returns 0 when it was joined, or -1 (left
 * unjoined) when time ran out. Aborts on any other pthread error. */
static int join_within_deadline(struct batch *b)
{
	struct timespec deadline = deadline_in(STUCK_SECONDS * 1000L);
	int rc = pthread_timedjoin_np(b->thread, NULL, &deadline);

	if (rc == ETIMEDOUT)
		return -1;
	CHECK_PT(rc);
	return 0;
}

/* Fails the current test when threads other than those in BASE are still alive. */
static void assert_no_thread_left(const struct tc_baseline *base)
{
	assert_no_thread_left_when(base, "after the batch returned", 4096);
}

static void test_batch_fetches_everything(void **state)
{
	struct download jobs[] = { { .url = "a.tar.gz" }, { .url = "bb.tar.gz" },
				   { .url = "ccc.tar.gz" }, { .url = "dddd.tar.gz" },
				   { .url = "eeeee.tar.gz" } };
	struct tc_baseline base;
	struct downloader d;
	struct mirror m;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	mirror_init(&m);
	downloader_init(&d, 2, mirror_fetch, &m);
	assert_int_equal(download_all(&d, jobs, 5), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(jobs[i].rc, 0);
		assert_int_equal(jobs[i].attempts, 1);
		assert_int_equal(jobs[i].bytes, 100 * strlen(jobs[i].url));
	}
	assert_all_slots_back(&d, "a batch where every download succeeded");
	downloader_destroy(&d);
	mirror_destroy(&m);
	assert_no_thread_left(&base);
}

static void test_busy_mirror_is_retried(void **state)
{
	struct download jobs[] = { { .url = "flaky/zlib.tar.xz" }, { .url = "down/curl.tar.xz" } };
	struct downloader d;
	struct mirror m;

	(void)state;
	mirror_init(&m);
	m.flaky_left = DOWNLOAD_ATTEMPTS - 1;
	downloader_init(&d, 2, mirror_fetch, &m);
	assert_int_equal(download_all(&d, jobs, 2), 1);
	assert_int_equal(jobs[0].rc, 0);
	assert_int_equal(jobs[0].attempts, DOWNLOAD_ATTEMPTS);
	assert_int_equal(jobs[1].rc, -EAGAIN);
	assert_int_equal(jobs[1].attempts, DOWNLOAD_ATTEMPTS);
	assert_all_slots_back(&d, "a download that failed with -EAGAIN on every attempt");
	downloader_destroy(&d);
	mirror_destroy(&m);
}

static void test_missing_package_gives_its_slot_back(void **state)
{
	/* One failure under a limit of two never blocks the batch: the damage only shows in the
	 * slots that are left afterwards. */
	struct download jobs[] = { { .url = "missing/openssl.tar.gz" }, { .url = "zlib.tar.xz" } };
	struct downloader d;
	struct mirror m;

	(void)state;
	mirror_init(&m);
	downloader_init(&d, 2, mirror_fetch, &m);
	assert_int_equal(download_all(&d, jobs, 2), 1);
	assert_int_equal(jobs[0].rc, -ENOENT);
	assert_int_equal(jobs[0].attempts, 1);
	assert_int_equal(jobs[1].rc, 0);
	assert_all_slots_back(&d, "a download that failed with -ENOENT (404)");
	downloader_destroy(&d);
	mirror_destroy(&m);
}

/* Everything a batch that may get stuck shares. If it is stuck it is deliberately never freed:
 * the blocked thread still uses it. */
struct stuck_batch {
	struct mirror m;
	struct downloader d;
	struct download jobs[5];
	struct batch b;
};

static void test_batch_with_two_missing_finishes(void **state)
{
	static const char *const urls[] = { "zlib.tar.xz", "missing/openssl.tar.gz",
					    "missing/libfoo.tar.gz", "curl.tar.xz", "xz.tar.xz" };
	struct stuck_batch *s = Malloc(sizeof(*s));
	struct tc_baseline base;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	mirror_init(&s->m);
	downloader_init(&s->d, 2, mirror_fetch, &s->m);
	for (int i = 0; i < 5; i++)
		s->jobs[i] = (struct download){ .url = urls[i] };
	s->b = (struct batch){ .d = &s->d, .jobs = s->jobs, .n = 5 };
	Pthread_create(&s->b.thread, NULL, batch_main, &s->b);

	if (join_within_deadline(&s->b) != 0) {
		struct tc_options opt = { .settle_seconds = 0.05 };
		char report[4096] = "";

		stuck_seen = 1;
		tc_verify_none(&base, &opt, report, sizeof(report));
		fail_msg("stuck: a batch of 5 downloads under a limit of 2, two of them 404s, has "
			 "not returned after %d s; download_all waits for a free slot and none will "
			 "ever be given back.\nThreads still alive:\n%s",
			 STUCK_SECONDS, report);
	}
	assert_int_equal(s->b.failed, 2);
	assert_int_equal(s->jobs[1].rc, -ENOENT);
	assert_int_equal(s->jobs[2].rc, -ENOENT);
	assert_int_equal(s->jobs[4].rc, 0);
	assert_all_slots_back(&s->d, "a batch with two 404s");
	downloader_destroy(&s->d);
	mirror_destroy(&s->m);
	free(s);
	assert_no_thread_left(&base);
}

#define LIMIT 3
#define NJOBS 10

/* Everything the next test shares; never freed if the batch is stuck, as above. */
struct crowd {
	struct mirror m;
	struct downloader d;
	struct download jobs[NJOBS];
	struct batch b;
};

static void test_never_more_than_the_limit_in_flight(void **state)
{
	struct crowd *c;
	struct timespec deadline;
	int rc = 0, seen;

	(void)state;
	if (stuck_seen)
		skip();
	c = Malloc(sizeof(*c));
	mirror_init(&c->m);
	c->m.gate_open = 0;
	downloader_init(&c->d, LIMIT, mirror_fetch, &c->m);
	for (int i = 0; i < NJOBS; i++)
		c->jobs[i] = (struct download){ .url = i % 4 == 1 ? "missing/pkg.tar.gz"
								  : "pkg.tar.gz" };
	c->b = (struct batch){ .d = &c->d, .jobs = c->jobs, .n = NJOBS };
	Pthread_create(&c->b.thread, NULL, batch_main, &c->b);

	/* With the mirror's gate shut, the first LIMIT downloads pile up inside it. */
	deadline = deadline_in(STUCK_SECONDS * 1000L);
	Pthread_mutex_lock(&c->m.lock);
	while (c->m.in_flight < LIMIT && rc == 0)
		rc = pthread_cond_timedwait(&c->m.changed, &c->m.lock, &deadline);
	Pthread_mutex_unlock(&c->m.lock);
	if (rc != 0)
		CHECK_PT(rc == ETIMEDOUT ? 0 : rc);
	/* Keep the gate shut a little longer: a downloader that lets too many through gets the
	 * time to show it. Nothing depends on this sleep when the limit holds. */
	nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000000L }, NULL);
	Pthread_mutex_lock(&c->m.lock);
	seen = c->m.in_flight;
	c->m.gate_open = 1;
	Pthread_cond_broadcast(&c->m.changed);
	Pthread_mutex_unlock(&c->m.lock);

	if (join_within_deadline(&c->b) != 0) {
		stuck_seen = 1;
		fail_msg("stuck: a batch of %d downloads under a limit of %d has not returned after "
			 "%d s", NJOBS, LIMIT, STUCK_SECONDS);
	}
	if (seen < LIMIT)
		fail_msg("only %d downloads were in flight at once under a limit of %d", seen, LIMIT);
	if (c->m.peak > LIMIT)
		fail_msg("%d downloads were in flight at once under a limit of %d", c->m.peak, LIMIT);
	assert_int_equal(c->b.failed, 3);
	assert_all_slots_back(&c->d, "a batch of 10 with three 404s");
	downloader_destroy(&c->d);
	mirror_destroy(&c->m);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_fetches_everything),
		cmocka_unit_test(test_busy_mirror_is_retried),
		cmocka_unit_test(test_missing_package_gives_its_slot_back),
		cmocka_unit_test(test_batch_with_two_missing_finishes),
		cmocka_unit_test(test_never_more_than_the_limit_in_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
