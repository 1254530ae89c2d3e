/* bank.h: the accounts and the transfer operation of a toy payments service (lab-owned). */
#ifndef BANK_H
#define BANK_H

#include <pthread.h>

/* One customer account. */
struct account {
	int id;               /* unique among all accounts; never changes */
	long balance;         /* in cents; guarded by lock */
	pthread_mutex_t lock;
};

/* Scores one payment for fraud. Returns 0 to approve it, anything else to refuse it. It may be
 * slow (it stands for a call to another service) and must not touch any account. */
typedef int (*fraud_check_fn)(int from_id, int to_id, long amount, void *arg);

/* The service's settings shared by all transfers. */
struct bank {
	fraud_check_fn fraud_check; /* NULL: every payment is approved */
	void *fraud_arg;            /* passed to fraud_check */
};

/* Sets up ACCOUNT with ID and BALANCE. Aborts (file:line) on a pthread error. */
void account_init(struct account *account, int id, long balance);

/* Releases ACCOUNT's resources. No transfer may be using it. */
void account_destroy(struct account *account);

/* Returns ACCOUNT's balance. Safe to call while transfers run. */
long account_balance(struct account *account);

/* Moves AMOUNT cents from FROM to TO, both or nothing. Calls BANK's fraud check exactly once,
 * after it has locked one of the two accounts and before it locks the other. Returns 0 when
 * the money moved, or -1 when the transfer was refused (same account, AMOUNT <= 0, not enough
 * money, or the fraud check said no); a refused transfer changes no balance. Any number of
 * threads may call it at once, on any accounts, in any direction. */
int transfer(const struct bank *bank, struct account *from, struct account *to, long amount);

#endif
