/* bank.c: moving money between two accounts of the toy payments service. */
#include <errno.h>

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
	if (pthread_mutex_trylock(&to->lock) == EBUSY) { // second lock
		/* Someone else is using it: better refuse than wait for ever. */
		Pthread_mutex_unlock(&from->lock);
		return -1;
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
