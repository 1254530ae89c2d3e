/* cache.c: the price cache: a hash map from product code to price, shared by handlers and the refresher. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "check.h"

#define NBUCKETS 64

/* One product in the cache. Entries are only ever added, never removed, until cache_destroy. */
struct entry {
	struct entry *next; /* the next entry in the same bucket */
	char *sku;
	long cents;
};

struct table {
	struct entry *bucket[NBUCKETS]; /* separate chaining, keyed by hash(sku) % NBUCKETS */
};

/* Handlers read the current table under the read lock; the refresher builds the next table on
 * its own, without any lock, and only swaps the pointer under the write lock. */
struct price_cache {
	pthread_rwlock_t lock; /* guards t (the pointer; a published table is never written) */
	struct table *t;
};

/* FNV-1a: a small, well-spread hash for short strings. */
static size_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKETS;
}

/* Returns the entry of SKU in T, or NULL if T does not know it. */
static struct entry *lookup(struct table *t, const char *sku)
{
	struct entry *e = t->bucket[hash(sku)];

	while (e != NULL && strcmp(e->sku, sku) != 0)
		e = e->next;
	return e;
}

/* Adds SKU at CENTS to T, which nobody else can see yet. */
static void insert(struct table *t, const char *sku, long cents)
{
	size_t len = strlen(sku) + 1;
	size_t b = hash(sku);
	struct entry *e = Malloc(sizeof(*e));

	e->sku = Malloc(len);
	memcpy(e->sku, sku, len);
	e->cents = cents;
	e->next = t->bucket[b];
	t->bucket[b] = e;
}

static void table_free(struct table *t)
{
	for (size_t b = 0; b < NBUCKETS; b++) {
		struct entry *e = t->bucket[b];

		while (e != NULL) {
			struct entry *next = e->next;

			free(e->sku);
			free(e);
			e = next;
		}
	}
	free(t);
}

/* Returns a private copy of T. */
static struct table *table_copy(const struct table *t)
{
	struct table *copy = Malloc(sizeof(*copy));

	memset(copy->bucket, 0, sizeof(copy->bucket));
	for (size_t b = 0; b < NBUCKETS; b++)
		for (const struct entry *e = t->bucket[b]; e != NULL; e = e->next)
			insert(copy, e->sku, e->cents);
	return copy;
}

struct price_cache *cache_create(void)
{
	struct price_cache *c = Malloc(sizeof(*c));

	Pthread_rwlock_init(&c->lock, NULL);
	c->t = Malloc(sizeof(*c->t));
	memset(c->t->bucket, 0, sizeof(c->t->bucket));
	return c;
}

void cache_destroy(struct price_cache *c)
{
	table_free(c->t);
	Pthread_rwlock_destroy(&c->lock);
	free(c);
}

int cache_get(struct price_cache *c, const char *sku, long *cents)
{
	/* A basket of one product. */
	return cache_quote(c, &sku, 1, cents);
}

int cache_quote(struct price_cache *c, const char *const *skus, size_t n, long *total)
{
	long sum = 0;
	int rc = 0;

	Pthread_rwlock_rdlock(&c->lock); /* the table stays the same until we let go */
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct entry *e = lookup(c->t, skus[i]);

		if (e != NULL)
			sum += e->cents;
		else
			rc = -1;
	}
	Pthread_rwlock_unlock(&c->lock);
	if (rc == 0)
		*total = sum;
	return rc;
}

void cache_refresh(struct price_cache *c, price_source_fn source, void *arg)
{
	/* Only this thread ever replaces c->t, so it may read it without the lock. */
	struct table *next = table_copy(c->t), *old;
	struct price_row row;

	for (size_t i = 0; source(i, &row, arg); i++) {
		struct entry *e = lookup(next, row.sku);

		if (e == NULL)
			insert(next, row.sku, row.cents);
		else
			e->cents = row.cents;
	}
	Pthread_rwlock_wrlock(&c->lock);
	old = c->t;
	c->t = next;
	Pthread_rwlock_unlock(&c->lock);
	/* Readers of the old table held the read lock, so none is left once we had the write lock. */
	table_free(old);
}
