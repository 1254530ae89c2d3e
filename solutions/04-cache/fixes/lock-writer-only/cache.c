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

struct price_cache {
	pthread_rwlock_t lock;          /* handlers read-lock it, the refresher write-locks it */
	struct entry *bucket[NBUCKETS]; /* separate chaining, keyed by hash(sku) % NBUCKETS */
};

/* FNV-1a: a small, well-spread hash for short strings. */
static size_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKETS;
}

/* Returns the entry of SKU in C, or NULL if C does not know it. */
static struct entry *lookup(struct price_cache *c, const char *sku)
{
	struct entry *e = c->bucket[hash(sku)];

	while (e != NULL && strcmp(e->sku, sku) != 0)
		e = e->next;
	return e;
}

struct price_cache *cache_create(void)
{
	struct price_cache *c = Malloc(sizeof(*c));

	Pthread_rwlock_init(&c->lock, NULL);
	memset(c->bucket, 0, sizeof(c->bucket));
	return c;
}

void cache_destroy(struct price_cache *c)
{
	for (size_t b = 0; b < NBUCKETS; b++) {
		struct entry *e = c->bucket[b];

		while (e != NULL) {
			struct entry *next = e->next;

			free(e->sku);
			free(e);
			e = next;
		}
	}
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

	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct entry *e = lookup(c, skus[i]);

		if (e != NULL)
			sum += e->cents;
		else
			rc = -1;
	}
	if (rc == 0)
		*total = sum;
	return rc;
}

void cache_refresh(struct price_cache *c, price_source_fn source, void *arg)
{
	struct price_row row;

	Pthread_rwlock_wrlock(&c->lock); /* for the whole list: handlers see it all or none of it */
	for (size_t i = 0; source(i, &row, arg); i++) {
		struct entry *e = lookup(c, row.sku);

		if (e == NULL) {
			size_t len = strlen(row.sku) + 1;
			size_t b = hash(row.sku);

			e = Malloc(sizeof(*e));
			e->sku = Malloc(len);
			memcpy(e->sku, row.sku, len);
			e->next = c->bucket[b];
			c->bucket[b] = e;
		}
		e->cents = row.cents;
	}
	Pthread_rwlock_unlock(&c->lock);
}
