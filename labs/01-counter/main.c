/* main.c: starts the toy server's handler threads all at once and reports how many requests its
 * statistics lost. */
#include <stdio.h>

#include "check.h"
#include "counter.h"

#define NHANDLERS 4
#define NREQUESTS 20000UL

/* One handler thread and its private scratch space. */
struct handler {
	pthread_t thread;
	struct server_stats *stats;
	pthread_barrier_t *start; /* all handlers wait here so that they really overlap */
	unsigned long checksum;   /* what serve() computed; private to this handler */
};

/* Stands in for the real work of a request (parse, look up, reply). It is called through a
 * pointer from another file, so the compiler cannot merge the loop's increments into one. */
static void serve(unsigned long request, void *arg)
{
	struct handler *h = arg;

	h->checksum = h->checksum * 31 + request;
}

static void *handler_main(void *arg)
{
	struct handler *h = arg;

	Pthread_barrier_wait(h->start);
	handler_loop(h->stats, NREQUESTS, serve, h);
	return NULL;
}

int main(void)
{
	struct handler handlers[NHANDLERS];
	pthread_barrier_t start;
	struct server_stats *stats = stats_create();
	unsigned long expected = NHANDLERS * NREQUESTS;
	unsigned long served;

	Pthread_barrier_init(&start, NULL, NHANDLERS);
	for (int i = 0; i < NHANDLERS; i++) {
		handlers[i] = (struct handler){ .stats = stats, .start = &start, .checksum = 0 };
		Pthread_create(&handlers[i].thread, NULL, handler_main, &handlers[i]);
	}
	for (int i = 0; i < NHANDLERS; i++)
		Pthread_join(handlers[i].thread, NULL);
	Pthread_barrier_destroy(&start);

	served = stats_requests(stats);
	printf("%d handlers x %lu requests: counted %lu of %lu (%lu lost)\n", NHANDLERS, NREQUESTS,
	       served, expected, expected - served);
	stats_destroy(stats);
	/* Lost requests are reported above and by the tools, not through the exit status: a
	 * non-zero exit would read as a crash. */
	return 0;
}
