/* cache.h: the price cache of lab 04, read by handler threads and rewritten by a refresher thread (lab-owned). */
#ifndef LAB04_CACHE_H
#define LAB04_CACHE_H

#include <stddef.h>

/* One row of a price list: a product code and its price in cents. */
struct price_row {
	const char *sku;
	long cents;
};

/* A price list, streamed one row at a time (from the pricing database in the real service).
 * Fills *OUT with row ROW (0, 1, 2, ...) and returns 1, or returns 0 when there are no more
 * rows. The strings it hands out must stay valid until cache_refresh returns. */
typedef int (*price_source_fn)(size_t row, struct price_row *out, void *arg);

/* The cache: product code -> price. Its fields are private to cache.c. */
struct price_cache;

/* Returns a new, empty cache. Aborts (file:line) if out of memory or on a pthread error. */
struct price_cache *cache_create(void);

/* Frees C and everything in it. No thread may still be using it. */
void cache_destroy(struct price_cache *c);

/* Looks SKU up. Returns 0 with its price in *CENTS, or -1 (and *CENTS unchanged) if the cache
 * does not know SKU. Handler threads call it while the refresher may be rewriting the cache. */
int cache_get(struct price_cache *c, const char *sku, long *cents);

/* Prices a basket: adds up the prices of the N products in SKUS. Returns 0 with the sum in
 * *TOTAL, or -1 (and *TOTAL unchanged) if any of them is unknown. The prices all come from the
 * same price list: the one before a refresh or the one after it, never a mix of the two. Handler
 * threads call it while the refresher may be rewriting the cache. */
int cache_quote(struct price_cache *c, const char *const *skus, size_t n, long *total);

/* Rewrites the cache from a new price list: calls SOURCE(0, ...), SOURCE(1, ...), ... until it
 * returns 0, updating the price of every product it names and adding the products the cache did
 * not know yet. Products missing from the new list keep their price. Runs in the refresher
 * thread while handlers keep reading. Aborts (file:line) if out of memory. */
void cache_refresh(struct price_cache *c, price_source_fn source, void *arg);

#endif
