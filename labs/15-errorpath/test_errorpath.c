/* test_errorpath.c: cmocka tests of inventory.c: reservations keep the stock right, and a
 * refused order, whatever the reason, leaves the inventory usable by the next one. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "check.h"
#include "inventory.h"
#include "threadcheck.h"
#include "threads_left.h"

/* How long an order thread may take before a test calls it stuck. A correct inventory.c
 * needs microseconds. */
#define STUCK_SECONDS 2

/* Set once a test has left a thread blocked for ever on an inventory lock: the crowd test,
 * which could only wait STUCK_SECONDS for the same reason, is then skipped. */
static int stuck_seen;

/* Orders placed by one thread: ROUNDS times, one order of each entry of PLAN. */
struct shopper {
	pthread_t thread;
	struct inventory *inv;
	const char *sku;
	const int *plan; /* quantities, ended by 0 */
	int rounds;
	int last_rc;     /* what the last reservation returned */
	int reserved;    /* units of successful reservations */
};

static void *shopper_main(void *arg)
{
	struct shopper *s = arg;

	for (int r = 0; r < s->rounds; r++)
		for (const int *q = s->plan; *q != 0; q++) {
			s->last_rc = inventory_reserve(s->inv, s->sku, *q);
			if (s->last_rc == 0)
				s->reserved += *q;
		}
	return NULL;
}

/* Joins the N shoppers of S, waiting at most STUCK_SECONDS in all. Returns 0 when every thread
 * was joined, or -1 (with some threads left unjoined) when time ran out. Aborts on any other
 * pthread error. */
static int join_within_deadline(struct shopper *s, int n)
{
	struct timespec deadline;

	/* pthread_timedjoin_np measures its deadline on CLOCK_REALTIME. */
	CHECK_PT(clock_gettime(CLOCK_REALTIME, &deadline) != 0 ? errno : 0);
	deadline.tv_sec += STUCK_SECONDS;
	for (int i = 0; i < n; i++) {
		int rc = pthread_timedjoin_np(s[i].thread, NULL, &deadline);

		if (rc == ETIMEDOUT)
			return -1;
		CHECK_PT(rc);
	}
	return 0;
}

/* Fails the current test unless INV's lock is free; WHAT names the call that came before. */
static void assert_unlocked(struct inventory *inv, const char *what)
{
	int rc = pthread_mutex_trylock(&inv->lock);

	if (rc != 0)
		fail_msg("the inventory is still locked after %s returned", what);
	Pthread_mutex_unlock(&inv->lock);
}

/* Fails the current test when threads other than those in BASE are still alive. */
static void assert_no_thread_left(const struct tc_baseline *base)
{
	assert_no_thread_left_when(base, "after every order returned", 4096);
}

static void test_reserve_takes_stock(void **state)
{
	struct inventory inv;

	(void)state;
	inventory_init(&inv);
	assert_int_equal(inventory_add(&inv, "mug", 10, 0), 0);
	assert_int_equal(inventory_add(&inv, "console-x", 5, 2), 0);
	assert_int_equal(inventory_add(&inv, "mug", 1, 0), -EEXIST);
	assert_int_equal(inventory_reserve(&inv, "mug", 7), 0);
	assert_int_equal(inventory_reserve(&inv, "console-x", 2), 0);
	assert_int_equal(inventory_stock(&inv, "mug"), 3);
	assert_int_equal(inventory_stock(&inv, "console-x"), 3);
	assert_int_equal(inventory_set_limit(&inv, "console-x", 0), 0);
	assert_int_equal(inventory_reserve(&inv, "console-x", 3), 0);
	assert_int_equal(inventory_stock(&inv, "console-x"), 0);
	assert_unlocked(&inv, "a successful inventory_reserve()");
	inventory_destroy(&inv);
}

static void test_refusals_change_nothing(void **state)
{
	struct inventory inv;

	(void)state;
	inventory_init(&inv);
	assert_int_equal(inventory_add(&inv, "console-x", 3, 2), 0);

	assert_int_equal(inventory_reserve(&inv, "console-x", 0), -EINVAL);
	assert_unlocked(&inv, "inventory_reserve() of 0 units (-EINVAL)");
	assert_int_equal(inventory_reserve(&inv, "console-y", 1), -ENOENT);
	assert_unlocked(&inv, "inventory_reserve() of an unknown product (-ENOENT)");
	assert_int_equal(inventory_reserve(&inv, "console-x", 2), 0);
	assert_int_equal(inventory_reserve(&inv, "console-x", 2), -EAGAIN);
	assert_unlocked(&inv, "inventory_reserve() of more than is left (-EAGAIN)");
	assert_int_equal(inventory_reserve(&inv, "console-x", 3), -EINVAL);
	assert_unlocked(&inv, "inventory_reserve() above the per-order limit (-EINVAL)");
	assert_int_equal(inventory_stock(&inv, "console-x"), 1);
	inventory_destroy(&inv);
}

/* Everything the two orders of the next test share. If the second order is stuck it is
 * deliberately never freed: the blocked thread still uses it. */
struct two_orders {
	struct inventory inv;
	struct shopper refused, normal;
};

static void test_order_after_a_refused_one(void **state)
{
	static const int too_many[] = { 5, 0 }, one[] = { 1, 0 };
	struct two_orders *o = Malloc(sizeof(*o));
	struct tc_baseline base;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	inventory_init(&o->inv);
	assert_int_equal(inventory_add(&o->inv, "console-x", 100, 2), 0);
	o->refused = (struct shopper){ .inv = &o->inv, .sku = "console-x", .plan = too_many,
				       .rounds = 1 };
	o->normal = (struct shopper){ .inv = &o->inv, .sku = "console-x", .plan = one,
				      .rounds = 1 };

	/* One after the other, each in its own thread, like two requests of a server. */
	Pthread_create(&o->refused.thread, NULL, shopper_main, &o->refused);
	if (join_within_deadline(&o->refused, 1) != 0) {
		stuck_seen = 1;
		fail_msg("an order of 5 units above the limit of 2 has not returned after %d s",
			 STUCK_SECONDS);
	}
	assert_int_equal(o->refused.last_rc, -EINVAL);
	Pthread_create(&o->normal.thread, NULL, shopper_main, &o->normal);
	if (join_within_deadline(&o->normal, 1) != 0) {
		struct tc_options opt = { .settle_seconds = 0.05 };
		char report[4096] = "";

		stuck_seen = 1;
		tc_verify_none(&base, &opt, report, sizeof(report));
		fail_msg("stuck: an order of 1 unit, placed after an order above the limit was "
			 "refused with -EINVAL, has not returned after %d s; the refused order's "
			 "thread has ended, and nobody else will ever unlock the inventory.\n"
			 "Threads still alive:\n%s",
			 STUCK_SECONDS, report);
	}
	assert_int_equal(o->normal.last_rc, 0);
	assert_int_equal(inventory_stock(&o->inv, "console-x"), 99);
	inventory_destroy(&o->inv);
	free(o);
	assert_no_thread_left(&base);
}

#define NSHOPPERS 4
#define ROUNDS 2000

/* Everything a crowd of shoppers shares; never freed if one is stuck, as above. */
struct crowd {
	struct inventory inv;
	struct shopper shopper[NSHOPPERS];
};

static void test_crowd_with_refusals(void **state)
{
	/* Each round: 1 unit, 3 units (above the limit of 2: refused) and 2 units; shopper 0
	 * asks for a product the shop does not have (refused too). */
	static const int plan[] = { 1, 3, 2, 0 };
	struct tc_baseline base;
	struct crowd *c;
	int reserved = 0;

	(void)state;
	if (stuck_seen)
		skip();
	assert_int_equal(tc_baseline_take(&base), 0);
	c = Malloc(sizeof(*c));
	inventory_init(&c->inv);
	assert_int_equal(inventory_add(&c->inv, "console-x", 1000000, 2), 0);
	for (int i = 0; i < NSHOPPERS; i++) {
		c->shopper[i] = (struct shopper){ .inv = &c->inv, .plan = plan, .rounds = ROUNDS,
						  .sku = i == 0 ? "console-y" : "console-x" };
		Pthread_create(&c->shopper[i].thread, NULL, shopper_main, &c->shopper[i]);
	}
	if (join_within_deadline(c->shopper, NSHOPPERS) != 0) {
		stuck_seen = 1;
		fail_msg("stuck: %d shoppers placing ordinary and refused orders have not finished "
			 "after %d s",
			 NSHOPPERS, STUCK_SECONDS);
	}
	for (int i = 0; i < NSHOPPERS; i++)
		reserved += c->shopper[i].reserved;
	assert_int_equal(reserved, (NSHOPPERS - 1) * ROUNDS * 3);
	assert_int_equal(inventory_stock(&c->inv, "console-x"), 1000000 - reserved);
	inventory_destroy(&c->inv);
	free(c);
	assert_no_thread_left(&base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserve_takes_stock),
		cmocka_unit_test(test_refusals_change_nothing),
		cmocka_unit_test(test_order_after_a_refused_one),
		cmocka_unit_test(test_crowd_with_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
