/* test_deadlock.c: cmocka tests of bank.c: transfers move money correctly and never deadlock,
 * whatever their directions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "bank.h"
#include "check.h"
#include "meeting.h"
#include "threadcheck.h"

/* How long a group of transfer threads may take before the test calls it a deadlock. A correct
 * bank.c needs about PATIENCE_MS here. */
#define DEADLOCK_SECONDS 3
#define PATIENCE_MS 500

/* Set once a test has left threads blocked for ever on account locks: later tests that would
 * only wait DEADLOCK_SECONDS for the same reason are skipped, to keep the run short. */
static int deadlock_seen;

/* Transfers run by one thread: ROUNDS times, from FROM to TO, or between random accounts of
 * ACCOUNTS when FROM is NULL. */
struct payer {
	pthread_t thread;
	const struct bank *bank;
	struct account *from, *to;
	struct account *accounts;
	int naccounts;
	int rounds;
	unsigned seed;
	int done; /* transfers that returned 0 */
};

static void *payer_main(void *arg)
{
	struct payer *p = arg;

	for (int i = 0; i < p->rounds; i++) {
		struct account *from = p->from, *to = p->to;
		long amount = 100;

		if (from == NULL) {
			from = &p->accounts[rand_r(&p->seed) % (unsigned)p->naccounts];
			to = &p->accounts[rand_r(&p->seed) % (unsigned)p->naccounts];
			amount = 1 + rand_r(&p->seed) % 500;
		}
		if (transfer(p->bank, from, to, amount) == 0)
			p->done++;
	}
	return NULL;
}

/* Joins the N threads of P, waiting at most DEADLOCK_SECONDS in all. Returns 0 when every
 * thread was joined, or -1 (with some threads left unjoined) when time ran out. Aborts on any
 * other pthread error. */
static int join_within_deadline(struct payer *p, int n)
{
	struct timespec deadline;

	/* pthread_timedjoin_np measures its deadline on CLOCK_REALTIME. */
	CHECK_PT(clock_gettime(CLOCK_REALTIME, &deadline) != 0 ? errno : 0);
	deadline.tv_sec += DEADLOCK_SECONDS;
	for (int i = 0; i < n; i++) {
		int rc = pthread_timedjoin_np(p[i].thread, NULL, &deadline);

		if (rc == ETIMEDOUT)
			return -1;
		CHECK_PT(rc);
	}
	return 0;
}

/* A fraud check that refuses every payment. */
static int refuse_all(int from_id, int to_id, long amount, void *arg)
{
	(void)from_id;
	(void)to_id;
	(void)amount;
	(void)arg;
	return 1;
}

/* Fails the current test unless ACCOUNT's lock is free. */
static void assert_unlocked(struct account *account)
{
	int rc = pthread_mutex_trylock(&account->lock);

	if (rc != 0)
		fail_msg("account %d is still locked after transfer() returned", account->id);
	Pthread_mutex_unlock(&account->lock);
}

static void test_transfer_moves_money(void **state)
{
	struct bank bank = { 0 };
	struct account a, b;

	(void)state;
	account_init(&a, 1, 1000);
	account_init(&b, 2, 500);
	assert_int_equal(transfer(&bank, &a, &b, 300), 0);
	assert_int_equal(account_balance(&a), 700);
	assert_int_equal(account_balance(&b), 800);
	assert_int_equal(transfer(&bank, &b, &a, 800), 0);
	assert_int_equal(account_balance(&a), 1500);
	assert_int_equal(account_balance(&b), 0);
	account_destroy(&b);
	account_destroy(&a);
}

static void test_refused_transfers_change_nothing(void **state)
{
	struct bank bank = { 0 };
	struct account a, b;

	(void)state;
	account_init(&a, 1, 1000);
	account_init(&b, 2, 500);
	assert_int_equal(transfer(&bank, &a, &b, 1001), -1);
	assert_int_equal(transfer(&bank, &a, &b, 0), -1);
	assert_int_equal(transfer(&bank, &a, &a, 10), -1);
	assert_int_equal(account_balance(&a), 1000);
	assert_int_equal(account_balance(&b), 500);
	assert_unlocked(&a);
	assert_unlocked(&b);
	account_destroy(&b);
	account_destroy(&a);
}

static void test_fraud_refusal_releases_both_accounts(void **state)
{
	struct bank bank = { .fraud_check = refuse_all };
	struct account a, b;

	(void)state;
	account_init(&a, 1, 1000);
	account_init(&b, 2, 500);
	assert_int_equal(transfer(&bank, &a, &b, 100), -1);
	assert_int_equal(transfer(&bank, &b, &a, 100), -1);
	assert_int_equal(account_balance(&a), 1000);
	assert_int_equal(account_balance(&b), 500);
	assert_unlocked(&a);
	assert_unlocked(&b);
	account_destroy(&b);
	account_destroy(&a);
}

/* Everything two opposite payments share. On a deadlock it is deliberately never freed: the
 * blocked threads still use it. */
struct opposite {
	struct meeting meeting;
	struct bank bank;
	struct account a, b;
	struct payer payer[2];
};

static void test_opposite_transfers_finish(void **state)
{
	struct opposite *o = Malloc(sizeof(*o));
	struct tc_baseline base;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	/* The slow fraud check keeps each transfer waiting, holding its first account, until
	 * the other one has reached its fraud check too: the unlucky timing, on every run. */
	meeting_init(&o->meeting, 2, PATIENCE_MS);
	o->bank = (struct bank){ .fraud_check = slow_fraud_check, .fraud_arg = &o->meeting };
	account_init(&o->a, 1, 1000);
	account_init(&o->b, 2, 1000);
	o->payer[0] = (struct payer){ .bank = &o->bank, .from = &o->a, .to = &o->b, .rounds = 1 };
	o->payer[1] = (struct payer){ .bank = &o->bank, .from = &o->b, .to = &o->a, .rounds = 1 };
	for (int i = 0; i < 2; i++)
		Pthread_create(&o->payer[i].thread, NULL, payer_main, &o->payer[i]);

	if (join_within_deadline(o->payer, 2) != 0) {
		struct tc_options opt = { .settle_seconds = 0.05 };
		char report[4096] = "";

		deadlock_seen = 1;
		tc_verify_none(&base, &opt, report, sizeof(report));
		fail_msg("deadlock: transfer(A, B) and transfer(B, A) started together and neither "
			 "has returned after %d s; each holds one account and waits for the other.\n"
			 "Threads still alive:\n%s",
			 DEADLOCK_SECONDS, report);
	}
	assert_int_equal(o->payer[0].done, 1);
	assert_int_equal(o->payer[1].done, 1);
	assert_int_equal(account_balance(&o->a), 1000);
	assert_int_equal(account_balance(&o->b), 1000);
	account_destroy(&o->b);
	account_destroy(&o->a);
	meeting_destroy(&o->meeting);
	free(o);
}

#define NPAYERS 4
#define NACCOUNTS 3

/* Everything a crowd of random payments shares; never freed on a deadlock, as above. */
struct crowd {
	struct bank bank;
	struct account accounts[NACCOUNTS];
	struct payer payer[NPAYERS];
};

static void test_random_transfers_keep_the_total(void **state)
{
	struct crowd *c;
	long total = 0;

	(void)state;
	if (deadlock_seen)
		skip();
	c = Malloc(sizeof(*c));
	c->bank = (struct bank){ 0 };
	for (int i = 0; i < NACCOUNTS; i++)
		account_init(&c->accounts[i], i + 1, 100000);
	for (int i = 0; i < NPAYERS; i++) {
		c->payer[i] = (struct payer){ .bank = &c->bank, .accounts = c->accounts,
					      .naccounts = NACCOUNTS, .rounds = 20000,
					      .seed = (unsigned)i + 1 };
		Pthread_create(&c->payer[i].thread, NULL, payer_main, &c->payer[i]);
	}
	if (join_within_deadline(c->payer, NPAYERS) != 0) {
		deadlock_seen = 1;
		fail_msg("deadlock: %d threads making random transfers between %d accounts have not "
			 "finished after %d s",
			 NPAYERS, NACCOUNTS, DEADLOCK_SECONDS);
	}
	for (int i = 0; i < NACCOUNTS; i++) {
		total += account_balance(&c->accounts[i]);
		account_destroy(&c->accounts[i]);
	}
	assert_int_equal(total, NACCOUNTS * 100000L);
	free(c);
}

static void test_no_thread_left_behind(void **state)
{
	struct tc_baseline base;
	struct tc_options opt = { .settle_seconds = 1.0 };
	char report[4096] = "";
	struct bank bank = { 0 };
	struct account a, b;
	struct payer payer[NPAYERS];
	int leaked;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	account_init(&a, 1, 1000000);
	account_init(&b, 2, 0);
	/* All in one direction: this test is about threads, not lock order. */
	for (int i = 0; i < NPAYERS; i++) {
		payer[i] = (struct payer){ .bank = &bank, .from = &a, .to = &b, .rounds = 1000 };
		Pthread_create(&payer[i].thread, NULL, payer_main, &payer[i]);
	}
	assert_int_equal(join_within_deadline(payer, NPAYERS), 0);
	assert_int_equal(account_balance(&b), NPAYERS * 1000 * 100L);
	account_destroy(&b);
	account_destroy(&a);
	leaked = tc_verify_none(&base, &opt, report, sizeof(report));
	if (leaked < 0)
		fail_msg("threadcheck could not list this process's threads");
	if (leaked > 0)
		fail_msg("%d thread(s) still alive after every transfer returned:\n%s", leaked, report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transfer_moves_money),
		cmocka_unit_test(test_refused_transfers_change_nothing),
		cmocka_unit_test(test_fraud_refusal_releases_both_accounts),
		cmocka_unit_test(test_opposite_transfers_finish),
		cmocka_unit_test(test_random_transfers_keep_the_total),
		cmocka_unit_test(test_no_thread_left_behind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
