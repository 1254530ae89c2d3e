/* main.c: a flight search fans out to three airlines; two fail at the same moment while the
 * third is still paging through its results. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "errgroup.h"

#define NAIRLINES 3
#define PAGES 100 /* pages of results the slow airline returns, one every PAGE_MS */
#define PAGE_MS 2

/* One airline's search: how it ends, and how far it got. */
struct airline {
	const char *name;
	int err;                  /* what the search returns; 0 for the one that works */
	pthread_barrier_t *start; /* every search waits here, so that they really overlap */
	int pages;                /* pages fetched; written only by this search's thread */
};

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* Two airlines fail as soon as all three searches have started; the third fetches page after
 * page, and stops as soon as it sees the search cancelled, as a ctx-aware client would. */
static int search(struct ctx *ctx, void *arg)
{
	struct airline *a = arg;

	Pthread_barrier_wait(a->start);
	if (a->err != 0)
		return a->err;
	for (int page = 0; page < PAGES; page++) {
		if (ctx_cancelled(ctx))
			return -ECANCELED;
		sleep_ms(PAGE_MS);
		a->pages++;
	}
	return 0;
}

int main(void)
{
	pthread_barrier_t start;
	struct airline airlines[NAIRLINES] = {
		{ .name = "north", .err = -ETIMEDOUT, .start = &start },
		{ .name = "south", .err = -ECONNREFUSED, .start = &start },
		{ .name = "west", .err = 0, .start = &start },
	};
	struct ctx *ctx;
	struct errgroup *g = errgroup_new(&ctx);
	int err;

	Pthread_barrier_init(&start, NULL, NAIRLINES);
	for (int i = 0; i < NAIRLINES; i++)
		errgroup_go(g, search, &airlines[i]);
	err = errgroup_wait(g);
	errgroup_free(g);
	Pthread_barrier_destroy(&start);

	printf("search failed: %s\n", strerror(-err));
	printf("airline %s fetched %d of %d pages for a page that was never shown\n",
	       airlines[2].name, airlines[2].pages, PAGES);
	return 0;
}
