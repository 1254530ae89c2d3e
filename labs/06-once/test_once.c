/* test_once.c: cmocka tests of pool.c: the pool is created once, and nobody gets it half made. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "check.h"
#include "pool.h"
#include "threadcheck.h"

/* How long the creator, half-way through opening connections, waits for a second request to
 * come back with the pool. A correct pool_get() makes that request wait for the creator instead,
 * so the creator only loses this much time; a broken one hands the pool over at once. */
#define HALFWAY_PATIENCE_MS 250

#define MANY_REQUESTS 8

/* db_connect's bookkeeping, and the meeting point between the creator and a second request. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int connects;  /* calls of db_connect so far */
	int halfway;   /* the creator has opened slot 0 and is opening slot 1 */
	int came_back; /* the second request has returned from pool_get() */
} db = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0 };

/* Waits on db.changed, with db.lock held, until *FLAG is set or until the absolute DEADLINE
 * (CLOCK_REALTIME, NULL: no limit) has passed. */
static void db_wait(const int *flag, const struct timespec *deadline)
{
	while (!*flag) {
		int rc = deadline ? pthread_cond_timedwait(&db.changed, &db.lock, deadline)
				  : pthread_cond_wait(&db.changed, &db.lock);

		if (rc == ETIMEDOUT)
			break;
		CHECK_PT(rc);
	}
}

/* Opening slot 1 is slow: it waits until a second request has come back from pool_get() (or
 * until its patience runs out). The pool is then half made. */
int db_connect(int slot)
{
	struct timespec deadline;

	Pthread_mutex_lock(&db.lock);
	db.connects++;
	if (slot == 1) {
		db.halfway = 1;
		Pthread_cond_broadcast(&db.changed);
		CHECK_PT(clock_gettime(CLOCK_REALTIME, &deadline) != 0 ? errno : 0);
		deadline.tv_nsec += HALFWAY_PATIENCE_MS * 1000000L;
		deadline.tv_sec += deadline.tv_nsec / 1000000000L;
		deadline.tv_nsec %= 1000000000L;
		db_wait(&db.came_back, &deadline);
	}
	Pthread_mutex_unlock(&db.lock);
	return 100 + slot;
}

/* What one request got from pool_get(). */
struct seen {
	struct pool *pool;
	int nconns;
};

static void *creator_main(void *arg)
{
	struct seen *s = arg;

	s->pool = pool_get();
	s->nconns = pool_size(s->pool);
	return NULL;
}

static void *second_main(void *arg)
{
	struct seen *s = arg;

	Pthread_mutex_lock(&db.lock);
	db_wait(&db.halfway, NULL);
	Pthread_mutex_unlock(&db.lock);

	s->pool = pool_get(); /* arrives while the creator is half-way */
	s->nconns = pool_size(s->pool);

	Pthread_mutex_lock(&db.lock);
	db.came_back = 1;
	Pthread_cond_broadcast(&db.changed);
	Pthread_mutex_unlock(&db.lock);
	return NULL;
}

/* The lab's point. It must run first: it is the test in which the pool gets created. */
static void test_second_request_gets_a_ready_pool(void **state)
{
	struct seen creator = { 0 }, second = { 0 };
	pthread_t tc, ts;

	(void)state;
	Pthread_create(&tc, NULL, creator_main, &creator);
	Pthread_create(&ts, NULL, second_main, &second);
	Pthread_join(tc, NULL);
	Pthread_join(ts, NULL);

	assert_non_null(creator.pool);
	assert_ptr_equal(second.pool, creator.pool);
	assert_int_equal(creator.nconns, POOL_SIZE);
	if (second.nconns != POOL_SIZE)
		fail_msg("a request that arrived while the pool was being made got it with %d of its "
			 "%d connections open", second.nconns, POOL_SIZE);
	assert_int_equal(db.connects, POOL_SIZE);
}

static void *request_main(void *arg)
{
	return pool_get() == arg ? arg : NULL;
}

/* Once made, the pool is the same for every request, and it is never made again. */
static void test_every_request_shares_one_pool(void **state)
{
	struct pool *pool = pool_get();
	pthread_t t[MANY_REQUESTS];
	struct tc_baseline base;
	struct tc_options opt = { .settle_seconds = 1.0 };
	char report[4096] = "";
	int left;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	for (int i = 0; i < MANY_REQUESTS; i++)
		Pthread_create(&t[i], NULL, request_main, pool);
	for (int i = 0; i < MANY_REQUESTS; i++) {
		void *got;

		Pthread_join(t[i], &got);
		assert_ptr_equal(got, pool);
	}
	assert_int_equal(pool_size(pool), POOL_SIZE);
	for (int i = 0; i < POOL_SIZE; i++)
		assert_int_equal(pool_conn(pool, i), 100 + i);
	assert_int_equal(db.connects, POOL_SIZE);

	/* pool_get() must not leave a thread of its own behind. */
	left = tc_verify_none(&base, &opt, report, sizeof(report));
	assert_int_not_equal(left, -1);
	if (left > 0)
		fail_msg("%d thread(s) still alive after every request returned:\n%s", left, report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_second_request_gets_a_ready_pool),
		cmocka_unit_test(test_every_request_shares_one_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
