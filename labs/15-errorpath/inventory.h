/* inventory.h: the stock of an online shop's order service, shared by its request threads
 * (lab-owned). */
#ifndef INVENTORY_H
#define INVENTORY_H

#include <pthread.h>

#define INVENTORY_MAX_ITEMS 16
#define INVENTORY_SKU_LEN 32

/* One product on sale. */
struct item {
	char sku[INVENTORY_SKU_LEN]; /* the product's code, unique in the inventory */
	int stock;                   /* units left to sell */
	int limit;                   /* most units one order may take; 0: no limit */
};

/* Every product of the shop, behind one lock. */
struct inventory {
	pthread_mutex_t lock; /* guards everything below */
	int nitems;
	struct item items[INVENTORY_MAX_ITEMS];
};

/* Sets up an empty INV. Aborts (file:line) on a pthread error. */
void inventory_init(struct inventory *inv);

/* Releases INV's resources. No thread may be using it. */
void inventory_destroy(struct inventory *inv);

/* Adds product SKU with STOCK units and a per-order LIMIT (0: none). Returns 0, -EEXIST when
 * SKU is already there, -ENOSPC when the inventory is full, or -EINVAL when SKU is too long or
 * a number is negative; on error nothing changes. */
int inventory_add(struct inventory *inv, const char *sku, int stock, int limit);

/* Changes SKU's per-order limit (0: none), as the shop does when a sale starts or ends.
 * Returns 0, -ENOENT for an unknown SKU, or -EINVAL for a negative LIMIT. */
int inventory_set_limit(struct inventory *inv, const char *sku, int limit);

/* Returns SKU's stock, or -ENOENT for an unknown SKU. */
int inventory_stock(struct inventory *inv, const char *sku);

/* Reserves QTY units of SKU for one order. Returns 0 when the stock went down by QTY, or,
 * changing nothing: -EINVAL when QTY is not positive or above SKU's per-order limit, -ENOENT
 * for an unknown SKU, -EAGAIN when fewer than QTY units are left. Every function here may be
 * called by any number of threads at once, whatever the previous calls returned. */
int inventory_reserve(struct inventory *inv, const char *sku, int qty);

#endif
