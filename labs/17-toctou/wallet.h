/* wallet.h: the stored-value cards of a coffee chain's app, paid from by many tills at once
 * (lab-owned). */
#ifndef WALLET_H
#define WALLET_H

#include <pthread.h>

/* Asks the payment provider's risk service about a payment of AMOUNT cents. Returns 0 to
 * approve it, anything else to decline it. It is a network round trip: it can take seconds, and
 * any number of threads may be in it at once. ARG is passed through. */
typedef int (*authorize_fn)(long amount, void *arg);

/* One card's money. */
struct wallet {
	pthread_mutex_t lock;    /* guards balance */
	long balance;            /* cents; must never go below zero */
	authorize_fn authorize;  /* NULL: every payment is approved */
	void *authorize_arg;
};

/* Sets up W with BALANCE cents (>= 0) and the risk check AUTHORIZE (may be NULL). Aborts
 * (file:line) on a pthread error. */
void wallet_init(struct wallet *w, long balance, authorize_fn authorize, void *authorize_arg);

/* Releases W. No thread may be using it. */
void wallet_destroy(struct wallet *w);

/* Returns W's balance in cents. May be called at any time, also while payments are waiting
 * for the risk service: the app's balance screen must not hang on a slow payment. */
long wallet_balance(struct wallet *w);

/* Adds AMOUNT cents to W. Returns 0, or -EINVAL (changing nothing) when AMOUNT is not
 * positive. */
int wallet_top_up(struct wallet *w, long amount);

/* Pays AMOUNT cents out of W, after the risk service has approved it. Returns 0 when the
 * balance went down by AMOUNT, or, changing nothing: -EINVAL when AMOUNT is not positive,
 * -EAGAIN when the balance is below AMOUNT, -EPERM when the risk service declined. Any number
 * of threads may pay from one wallet at once, and the balance must never go below zero. */
int wallet_pay(struct wallet *w, long amount);

#endif
