/* pool.h: the database connection pool that every request of the service shares (lab-owned). */
#ifndef LAB06_POOL_H
#define LAB06_POOL_H

/* How many connections the pool opens when it is created. */
#define POOL_SIZE 4

/* The process-wide pool; its fields are private to pool.c. */
struct pool;

/* Returns the pool, creating it on the first call: the first caller opens POOL_SIZE
 * connections with db_connect(0) ... db_connect(POOL_SIZE - 1). Any number of threads may call
 * it at the same time, and every call must return the same pool, with all its connections
 * open. Aborts (file:line) if out of memory or on a pthread error. */
struct pool *pool_get(void);

/* Returns how many connections P has open. */
int pool_size(const struct pool *p);

/* Returns the connection in slot I of P (0 <= I < pool_size(P)). */
int pool_conn(const struct pool *p, int i);

/* Opens the connection for pool slot SLOT and returns its id. Not part of pool.c: the program
 * that uses the pool (main.c, the tests) provides it. It may be slow. */
int db_connect(int slot);

#endif
