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
	int rc = 0;

	if (amount <= 0)
		return -EINVAL;

	/* Only a quick refusal before the slow call: the balance may change as soon as the lock
	 * is released, so this answer decides nothing. */
	if (wallet_balance(w) < amount) // check
		return -EAGAIN;

	/* The risk service is a network call that can take seconds: never make it while holding
	 * the wallet's lock, or the balance screen and every other till wait for it too. */
	if (w->authorize != NULL && w->authorize(amount, w->authorize_arg) != 0)
		return -EPERM;

	/* The check that counts and the debit, in one critical section: no payment can come
	 * between them. */
	Pthread_mutex_lock(&w->lock);
	if (w->balance <= amount)
		rc = -EAGAIN;
	else
		w->balance -= amount; // act
	Pthread_mutex_unlock(&w->lock);
	return rc;
}
