/* main.c: two customers pay each other at the same moment, transfer(A, B) and transfer(B, A),
 * while a slow fraud check holds each transfer in the middle of its work. */
#include <stdio.h>

#include "bank.h"
#include "check.h"
#include "meeting.h"

/* How long one fraud check waits for the other transfer: long enough that both transfers meet
 * there when they can, short enough that a transfer waiting alone soon goes on. */
#define PATIENCE_MS 500

/* One payment, run by its own thread. */
struct payment {
	pthread_t thread;
	const struct bank *bank;
	struct account *from, *to;
	long amount;
	int rc; /* what transfer() returned */
};

static void *payment_main(void *arg)
{
	struct payment *p = arg;

	p->rc = transfer(p->bank, p->from, p->to, p->amount);
	return NULL;
}

int main(void)
{
	struct meeting meeting;
	struct bank bank = { .fraud_check = slow_fraud_check, .fraud_arg = &meeting };
	struct account alice, bob;
	struct payment pay[2] = {
		{ .bank = &bank, .from = &alice, .to = &bob, .amount = 3000 },
		{ .bank = &bank, .from = &bob, .to = &alice, .amount = 1000 },
	};

	meeting_init(&meeting, 2, PATIENCE_MS);
	account_init(&alice, 1, 10000);
	account_init(&bob, 2, 10000);
	for (int i = 0; i < 2; i++)
		Pthread_create(&pay[i].thread, NULL, payment_main, &pay[i]);
	/* If the transfers deadlock, these joins never return: threadcheck (when it is preloaded)
	 * or the harness's time limit ends the run. */
	for (int i = 0; i < 2; i++)
		Pthread_join(pay[i].thread, NULL);

	printf("alice -> bob 30.00: %s; bob -> alice 10.00: %s\n", pay[0].rc == 0 ? "done" : "refused",
	       pay[1].rc == 0 ? "done" : "refused");
	printf("alice %ld, bob %ld (cents)\n", account_balance(&alice), account_balance(&bob));
	account_destroy(&bob);
	account_destroy(&alice);
	meeting_destroy(&meeting);
	return 0;
}
