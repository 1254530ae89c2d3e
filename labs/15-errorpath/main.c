/* main.c: two orders reach the order service one after the other, each served by its own
 * request thread: one above the per-order limit, then an ordinary one. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "inventory.h"

/* One order, served by its own thread, as a thread-per-request server does. */
struct order {
	pthread_t thread;
	struct inventory *inv;
	const char *sku;
	int qty;
	int rc; /* what inventory_reserve returned */
};

static void *order_main(void *arg)
{
	struct order *o = arg;

	o->rc = inventory_reserve(o->inv, o->sku, o->qty);
	return NULL;
}

/* Serves O in a new thread and waits for it: the orders never overlap, so what happens to
 * the second one can only come from what the first one left behind. */
static void serve(struct order *o)
{
	Pthread_create(&o->thread, NULL, order_main, o);
	/* If the order blocks for ever, this join never returns: the harness's time limit ends
	 * the run, and the tools report what they saw before that. */
	Pthread_join(o->thread, NULL);
	printf("order %d x %s: %s\n", o->qty, o->sku, o->rc == 0 ? "reserved" : strerror(-o->rc));
}

int main(void)
{
	struct inventory inv;
	struct order greedy = { .inv = &inv, .sku = "console-x", .qty = 5 };
	struct order normal = { .inv = &inv, .sku = "console-x", .qty = 1 };

	inventory_init(&inv);
	CHECK_PT(-inventory_add(&inv, "console-x", 100, 2));
	serve(&greedy); /* refused: above the limit of 2 per order */
	serve(&normal);
	printf("console-x: %d left\n", inventory_stock(&inv, "console-x"));
	inventory_destroy(&inv);
	return 0;
}
