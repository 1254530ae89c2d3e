/* results.c: a growing array of results, and the loop by which each worker fills it. */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "results.h"

struct results {
	pthread_mutex_t lock; /* guards items, len and cap while workers append */
	struct result *items; /* room for cap results, of which the first len are in use */
	size_t len;
	size_t cap;
};

struct results *results_new(size_t hint)
{
	struct results *r = Malloc(sizeof(*r));

	r->items = hint > 0 ? Malloc(hint * sizeof(*r->items)) : NULL;
	r->len = 0;
	r->cap = hint;
	Pthread_mutex_init(&r->lock, NULL);
	return r;
}

void results_free(struct results *r)
{
	Pthread_mutex_destroy(&r->lock);
	free(r->items);
	free(r);
}

/* Appends V at the end of R; the caller holds R's lock. */
static void append_locked(struct results *r, struct result v)
{
	if (r->len == r->cap) {
		/* Full: double the room, as Go's append does for small slices. */
		size_t cap = r->cap > 0 ? 2 * r->cap : 16;
		struct result *items = realloc(r->items, cap * sizeof(*items));

		if (items == NULL) {
			fprintf(stderr, "%s:%d: realloc(%zu results) failed\n", __FILE__, __LINE__, cap);
			abort();
		}
		r->items = items;
		r->cap = cap;
	}
	r->items[r->len++] = v;
}

void results_append(struct results *r, struct result v)
{
	Pthread_mutex_lock(&r->lock);
	append_locked(r, v);
	Pthread_mutex_unlock(&r->lock);
}

size_t results_len(const struct results *r)
{
	return r->len;
}

const struct result *results_items(const struct results *r)
{
	return r->items;
}

void worker_loop(struct results *r, unsigned long first, unsigned long njobs, unsigned long stride,
		 work_fn work, void *arg)
{
	size_t n = 0, cap = njobs > first ? (njobs - first + stride - 1) / stride : 0;
	struct result *mine = Malloc((cap > 0 ? cap : 1) * sizeof(*mine));

	/* The slow part, work(), touches nothing shared; only the merge takes the lock. */
	for (unsigned long job = first; job < njobs; job += stride)
		mine[n++] = (struct result){ .job = job, .value = work(job, arg) };
	Pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < n; i++)
		append_locked(r, mine[i]);
	Pthread_mutex_unlock(&r->lock);
	free(mine);
}
