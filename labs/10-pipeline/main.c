/* main.c: a log-search service answers two requests for "the first 10 errors" of a live log
 * that never ends, then goes on serving. */
#include <stdio.h>
#include <time.h>

#include "pipeline.h"

#define PAGE 10
#define LEVEL_ERROR 0
#define IDLE_MS 100

/* Stage 2, "decode the record": a made-up but fixed severity level 0..9 for each record id,
 * packed with the id into one value (id * 10 + level). */
static long decode_record(long id, void *arg)
{
	unsigned long h = (unsigned long)id * 0x9E3779B97F4A7C15UL;

	(void)arg;
	h ^= h >> 29;
	return id * 10 + (long)(h % 10);
}

/* Stage 3, "match the query": only errors. */
static int is_error(long value, void *arg)
{
	(void)arg;
	return value % 10 == LEVEL_ERROR;
}

int main(void)
{
	const struct pipeline_spec live_log = {
		.count = PIPELINE_ENDLESS,
		.transform = decode_record,
		.keep = is_error,
	};
	long page[PAGE];

	for (int request = 1; request <= 2; request++) {
		size_t n = pipeline_first(&live_log, PAGE, page);

		printf("request %d: first %zu errors at records", request, n);
		for (size_t i = 0; i < n; i++)
			printf(" %ld", page[i] / 10);
		printf("\n");
	}

	/* The service idles for a moment before it shuts down. A correct pipeline_first leaves
	 * nothing running by now; the pause only lets the stages that a faulty one abandons reach
	 * their sends, so that at exit each of them is blocked rather than caught half-way through a
	 * step while it holds a channel's mutex (Helgrind reports a thread that ends holding a
	 * lock), and every tool sees the same end state on every run. */
	nanosleep(&(struct timespec){ .tv_nsec = IDLE_MS * 1000000L }, NULL);
	return 0;
}
