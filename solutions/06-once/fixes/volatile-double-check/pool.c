/* pool.c: the lazily created connection pool that a service's request threads share. */
#include "check.h"
#include "pool.h"

struct pool {
	int nconns;            /* connections open so far */
	int conns[POOL_SIZE];  /* their ids, slots 0 .. nconns - 1 */
};

/* Created by the first request that needs it, then shared by all of them. */
static struct pool *volatile the_pool;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

/* Creates the pool in the_pool and opens its connections, one after the other. */
static void pool_create(void)
{
	the_pool = Malloc(sizeof(*the_pool));
	the_pool->nconns = 0;
	for (int i = 0; i < POOL_SIZE; i++) {
		the_pool->conns[i] = db_connect(i);
		the_pool->nconns = i + 1;
	}
}

struct pool *pool_get(void)
{
	/* Locking on every request would be slow, so look first and lock only while the pool
	 * does not exist yet; look again under the lock in case another request made it. */
	if (the_pool == NULL) { // unprotected access
		Pthread_mutex_lock(&pool_lock);
		if (the_pool == NULL)
			pool_create();
		Pthread_mutex_unlock(&pool_lock);
	}
	return the_pool;
}

int pool_size(const struct pool *p)
{
	return p->nconns;
}

int pool_conn(const struct pool *p, int i)
{
	return p->conns[i];
}
