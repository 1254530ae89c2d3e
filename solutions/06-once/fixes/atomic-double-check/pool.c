/* pool.c: the lazily created connection pool that a service's request threads share. */
#include <stdatomic.h>

#include "check.h"
#include "pool.h"

struct pool {
	int nconns;            /* connections open so far */
	int conns[POOL_SIZE];  /* their ids, slots 0 .. nconns - 1 */
};

/* Created by the first request that needs it, then shared by all of them. */
static struct pool *_Atomic the_pool;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

/* Creates the pool in the_pool and opens its connections, one after the other. */
static void pool_create(void)
{
	struct pool *p = Malloc(sizeof(*p));

	p->nconns = 0;
	for (int i = 0; i < POOL_SIZE; i++) {
		p->conns[i] = db_connect(i);
		p->nconns = i + 1;
	}
	/* Release: whoever loads this pointer with acquire sees the whole pool. */
	atomic_store_explicit(&the_pool, p, memory_order_release);
}

struct pool *pool_get(void)
{
	/* Locking on every request would be slow, so look first and lock only while the pool
	 * does not exist yet; look again under the lock in case another request made it. */
	struct pool *p = atomic_load_explicit(&the_pool, memory_order_acquire);

	if (p == NULL) {
		Pthread_mutex_lock(&pool_lock);
		if (atomic_load_explicit(&the_pool, memory_order_relaxed) == NULL)
			pool_create();
		Pthread_mutex_unlock(&pool_lock);
		p = atomic_load_explicit(&the_pool, memory_order_acquire);
	}
	return p;
}

int pool_size(const struct pool *p)
{
	return p->nconns;
}

int pool_conn(const struct pool *p, int i)
{
	return p->conns[i];
}
