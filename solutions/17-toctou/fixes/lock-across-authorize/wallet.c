/* wallet.c: balances, top-ups and payments of the app's stored-value cards. */
#include <errno.h>

#include "check.h"
#include "wallet.h"

void wallet_init(struct wallet *w, long balance, authorize_fn authorize, void *authorize_arg)
{
	Pthread_mutex_init(&w->lock, NULL);
	w->balance = balance;
	w->authorize = authorize;
	w->authorize_arg = authorize_arg;
}

void wallet_destroy(struct wallet *w)
{
	Pthread_mutex_destroy(&w->lock);
}

long wallet_balance(struct wallet *w)
{
	long balance;

	Pthread_mutex_lock(&w->lock);
	balance = w->balance;
	Pthread_mutex_unlock(&w->lock);
	return balance;
}

int wallet_top_up(struct wallet *w, long amount)
{
	if (amount <= 0)
		return -EINVAL;
	Pthread_mutex_lock(&w->lock);
	w->balance += amount;
	Pthread_mutex_unlock(&w->lock);
	return 0;
}

int wallet_pay(struct wallet *w, long amount)
{
	if (amount <= 0)
		return -EINVAL;

	int rc = 0;

	/* One critical section for the check, the authorisation and the debit. */
	Pthread_mutex_lock(&w->lock);
	if (w->balance < amount) // check
		rc = -EAGAIN;
	else if (w->authorize != NULL && w->authorize(amount, w->authorize_arg) != 0)
		rc = -EPERM;
	else
		w->balance -= amount; // act
	Pthread_mutex_unlock(&w->lock);
	return rc;
}
