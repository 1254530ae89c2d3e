/* main.c: a service fetches from a backend that answers only after the service gave up, then goes on serving. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"
#include "fetch.h"

#define DEADLINE_MS 50

/* The slow backend answers only when main opens its gate, and main does so only after the
 * fetch has given up: the answer is late on every run, whatever the machine's speed. */
static struct backend slow_backend = BACKEND_GATED(42);
static struct backend fast_backend = BACKEND_OPEN(7);

int main(void)
{
	long value = -1;
	int rc;

	rc = fetch_with_timeout(backend_query, &slow_backend, DEADLINE_MS, &value);
	if (rc != -ETIMEDOUT) {
		fprintf(stderr, "%s:%d: expected -ETIMEDOUT from a backend that cannot answer yet, got %d\n",
			__FILE__, __LINE__, rc);
		abort();
	}
	printf("request 1: backend too slow, gave up after %d ms\n", DEADLINE_MS);

	/* The slow backend answers at last; nobody asked it to stop. */
	backend_open(&slow_backend);

	/* The service carries on with its next request. */
	rc = fetch_with_timeout(backend_query, &fast_backend, 5000, &value);
	if (rc != 0) {
		fprintf(stderr, "%s:%d: a backend that answers at once timed out (%d)\n", __FILE__,
			__LINE__, rc);
		abort();
	}
	printf("request 2: got %ld\n", value);
	return 0;
}
