/* main.c: two tills charge the same gift card at the same moment, while the risk service takes
 * its time over both payments. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "checkpoint.h"
#include "wallet.h"

/* How long the risk service keeps one payment waiting for the other: long enough that both
 * meet there whenever they can, short enough that a payment that cannot come does not keep the
 * other one for long. */
#define PATIENCE_MS 1000

/* One payment, made by its own till thread. */
struct till {
	pthread_t thread;
	struct wallet *card;
	long amount;
	int rc; /* what wallet_pay returned */
};

/* What a till shows for RC, wallet_pay's answer. */
static const char *outcome(int rc)
{
	switch (rc) {
	case 0:
		return "paid";
	case -EAGAIN:
		return "refused, not enough on the card";
	case -EPERM:
		return "refused by the risk service";
	}
	return strerror(-rc);
}

static void *till_main(void *arg)
{
	struct till *t = arg;

	t->rc = wallet_pay(t->card, t->amount);
	return NULL;
}

int main(void)
{
	struct checkpoint risk;
	struct wallet card;
	struct till tills[2] = {
		{ .card = &card, .amount = 3000 }, /* a 30.00 order at the counter */
		{ .card = &card, .amount = 3000 }, /* a 30.00 order from the app, same card */
	};

	checkpoint_init(&risk, 2, PATIENCE_MS);
	wallet_init(&card, 5000, checkpoint_authorize, &risk);
	for (int i = 0; i < 2; i++)
		Pthread_create(&tills[i].thread, NULL, till_main, &tills[i]);
	for (int i = 0; i < 2; i++)
		Pthread_join(tills[i].thread, NULL);

	for (int i = 0; i < 2; i++)
		printf("till %d: pay 30.00: %s\n", i + 1, outcome(tills[i].rc));
	printf("card balance: %.2f (started at 50.00)\n", (double)wallet_balance(&card) / 100);
	wallet_destroy(&card);
	checkpoint_destroy(&risk);
	/* An overdrawn card is shown above and caught by the tests, not through the exit status:
	 * the tools would read a non-zero exit as a crash. */
	return 0;
}
