/* bank.c: moving money between two accounts of the toy payments service. */
#include <errno.h>
#include <time.h>

#include "bank.h"
#include "check.h"

void account_init(struct account *account, int id, long balance)
{
	account->id = id;
	account->balance = balance;
	Pthread_mutex_init(&account->lock, NULL);
}

void account_destroy(struct account *account)
{
	Pthread_mutex_destroy(&account->lock);
}

long account_balance(struct account *account)
{
	long balance;

	Pthread_mutex_lock(&account->lock);
	balance = account->balance;
	Pthread_mutex_unlock(&account->lock);
	return balance;
}

int transfer(const struct bank *bank, struct account *from, struct account *to, long amount)
{
	int rc = -1;

	if (from == to || amount <= 0)
		return -1;

	Pthread_mutex_lock(&from->lock); // first lock
	if (bank->fraud_check != NULL &&
	    bank->fraud_check(from->id, to->id, amount, bank->fraud_arg) != 0) {
		Pthread_mutex_unlock(&from->lock);
		return -1;
	}
	/* Never wait for the second account while holding the first: try it, and when another
	 * transfer holds it, let go of the first so that one can finish, then start again. */
	for (long pause_us = 50;; pause_us = pause_us < 5000 ? 2 * pause_us : pause_us) {
		int busy = pthread_mutex_trylock(&to->lock); // second lock

		if (busy == 0)
			break;
		CHECK_PT(busy == EBUSY ? 0 : busy);
		Pthread_mutex_unlock(&from->lock);
		nanosleep(&(struct timespec){ .tv_nsec = pause_us * 1000 * (from->id % 2 + 1) }, NULL);
		Pthread_mutex_lock(&from->lock);
	}

	if (from->balance >= amount) {
		from->balance -= amount;
		to->balance += amount;
		rc = 0;
	}
	Pthread_mutex_unlock(&to->lock);
	Pthread_mutex_unlock(&from->lock);
	return rc;
}
