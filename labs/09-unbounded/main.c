/* main.c: a burst of requests reaches the server while its downstream is slow; the driver counts the server's threads at the peak. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "server.h"

#define BURST 32

/* The downstream answers only once main opens the gate, after the whole burst has arrived:
 * the burst piles up on every run, whatever the machine's speed. */
static struct gate downstream = GATE_CLOSED;
static struct request requests[BURST];

int main(void)
{
	struct server_config cfg = {
		.handler = gated_handler,
		.handler_arg = &downstream,
		.workers = 4,
		.queue_len = 8,
		.retry_after_ms = 200,
	};
	int before = live_threads(), peak, accepted = 0, refused = 0;
	struct server *s = server_new(&cfg);

	for (int i = 0; i < BURST; i++) {
		requests[i].id = i;
		if (server_submit(s, &requests[i]) == 0)
			accepted++;
		else
			refused++;
	}
	peak = live_threads() - before;
	printf("burst of %d: %d accepted, %d refused (\"%s\"); the server runs %d threads (limit %d)\n",
	       BURST, accepted, refused, refused > 0 ? requests[BURST - 1].body : "-", peak,
	       cfg.workers);

	gate_open(&downstream);
	server_stop(s);
	if (gate_handled(&downstream) != accepted) {
		fprintf(stderr, "%s:%d: %d requests accepted but %d handled\n", __FILE__, __LINE__,
			accepted, gate_handled(&downstream));
		abort();
	}
	printf("all %d accepted requests answered\n", accepted);
	return 0;
}
