/* bank.c: moving money between two accounts of the toy payments service. */
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
	/* Lock the poorer account first, so that opposite transfers agree on an order. */
	int from_first = from->balance <= to->balance;
	struct account *first = from_first ? from : to;
	struct account *second = from_first ? to : from;
	int rc = -1;

	if (from == to || amount <= 0)
		return -1;

	Pthread_mutex_lock(&first->lock); // first lock
	if (bank->fraud_check != NULL &&
	    bank->fraud_check(from->id, to->id, amount, bank->fraud_arg) != 0) {
		Pthread_mutex_unlock(&first->lock);
		return -1;
	}
	Pthread_mutex_lock(&second->lock); // second lock

	if (from->balance >= amount) {
		from->balance -= amount;
		to->balance += amount;
		rc = 0;
	}
	Pthread_mutex_unlock(&second->lock);
	Pthread_mutex_unlock(&first->lock);
	return rc;
}
