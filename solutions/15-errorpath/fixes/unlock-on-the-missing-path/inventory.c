/* inventory.c: adding products and reserving stock for the order service. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "inventory.h"

void inventory_init(struct inventory *inv)
{
	Pthread_mutex_init(&inv->lock, NULL);
	inv->nitems = 0;
}

void inventory_destroy(struct inventory *inv)
{
	Pthread_mutex_destroy(&inv->lock);
}

/* Returns INV's item SKU, or NULL when there is none. The caller holds INV's lock. */
static struct item *find_item(struct inventory *inv, const char *sku)
{
	for (int i = 0; i < inv->nitems; i++)
		if (strcmp(inv->items[i].sku, sku) == 0)
			return &inv->items[i];
	return NULL;
}

int inventory_add(struct inventory *inv, const char *sku, int stock, int limit)
{
	struct item *it;
	int rc = 0;

	if (strlen(sku) >= INVENTORY_SKU_LEN || stock < 0 || limit < 0)
		return -EINVAL;

	Pthread_mutex_lock(&inv->lock);
	if (find_item(inv, sku) != NULL) {
		rc = -EEXIST;
		goto out;
	}
	if (inv->nitems == INVENTORY_MAX_ITEMS) {
		rc = -ENOSPC;
		goto out;
	}
	it = &inv->items[inv->nitems++];
	strcpy(it->sku, sku);
	it->stock = stock;
	it->limit = limit;
out:
	Pthread_mutex_unlock(&inv->lock);
	return rc;
}

int inventory_set_limit(struct inventory *inv, const char *sku, int limit)
{
	struct item *it;
	int rc = 0;

	if (limit < 0)
		return -EINVAL;

	Pthread_mutex_lock(&inv->lock);
	it = find_item(inv, sku);
	if (it == NULL)
		rc = -ENOENT;
	else
		it->limit = limit;
	Pthread_mutex_unlock(&inv->lock);
	return rc;
}

int inventory_stock(struct inventory *inv, const char *sku)
{
	struct item *it;
	int stock;

	Pthread_mutex_lock(&inv->lock);
	it = find_item(inv, sku);
	stock = it != NULL ? it->stock : -ENOENT;
	Pthread_mutex_unlock(&inv->lock);
	return stock;
}

int inventory_reserve(struct inventory *inv, const char *sku, int qty)
{
	struct item *it;

	if (qty <= 0)
		return -EINVAL;

	Pthread_mutex_lock(&inv->lock);
	it = find_item(inv, sku);
	if (it == NULL) {
		Pthread_mutex_unlock(&inv->lock);
		return -ENOENT;
	}
	/* Launch-day rule: nobody takes more than the per-order limit. The limit can change
	 * during a sale, so it is read under the lock. */
	if (it->limit > 0 && qty > it->limit) {
		Pthread_mutex_unlock(&inv->lock);
		return -EINVAL;
	}
	if (it->stock < qty) {
		Pthread_mutex_unlock(&inv->lock);
		return -EAGAIN;
	}
	it->stock -= qty;
	Pthread_mutex_unlock(&inv->lock);
	return 0;
}
