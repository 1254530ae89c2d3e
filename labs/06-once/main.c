/* main.c: one request creates the shared connection pool; three later requests, arriving after
 * it is ready, use it. */
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "check.h"
#include "pool.h"

#define LATE_REQUESTS 3

/* The later requests wait here for the first one to be done. A pipe used through syscall()
 * orders them in time, but neither ThreadSanitizer (which counts read() and write() on a pipe as
 * synchronisation, not raw syscalls) nor Helgrind sees it as synchronisation. So, like two
 * requests that come in a moment apart over the network, the later ones find the pool already
 * made on every run, and only pool.c's own code can order their reads after its creation. */
static int arrivals[2];

/* One request thread and what it saw of the pool. */
struct request {
	pthread_t thread;
	struct pool *pool;
	int nconns;
	long checksum; /* sum of the connection ids it saw */
};

int db_connect(int slot)
{
	return 100 + slot;
}

/* Uses every connection of the pool once, as a request would. */
static void serve(struct request *r)
{
	r->pool = pool_get();
	r->nconns = pool_size(r->pool);
	r->checksum = 0;
	for (int i = 0; i < r->nconns; i++)
		r->checksum += pool_conn(r->pool, i);
}

static void *first_request(void *arg)
{
	char go = 1;

	serve(arg);
	for (int i = 0; i < LATE_REQUESTS; i++)
		if (syscall(SYS_write, arrivals[1], &go, 1) != 1)
			abort();
	return NULL;
}

static void *late_request(void *arg)
{
	char go;

	if (syscall(SYS_read, arrivals[0], &go, 1) != 1)
		abort();
	serve(arg);
	return NULL;
}

int main(void)
{
	struct request req[1 + LATE_REQUESTS];

	if (pipe(arrivals) != 0) {
		perror("pipe");
		return 1;
	}
	Pthread_create(&req[0].thread, NULL, first_request, &req[0]);
	for (int i = 1; i <= LATE_REQUESTS; i++)
		Pthread_create(&req[i].thread, NULL, late_request, &req[i]);
	for (int i = 0; i <= LATE_REQUESTS; i++)
		Pthread_join(req[i].thread, NULL);
	for (int i = 0; i <= LATE_REQUESTS; i++)
		printf("request %d: pool %s, %d of %d connections, checksum %ld\n", i,
		       req[i].pool == req[0].pool ? "shared" : "DIFFERENT", req[i].nconns, POOL_SIZE,
		       req[i].checksum);
	close(arrivals[0]);
	close(arrivals[1]);
	/* The pool lives as long as the process, as a real service's would. */
	return 0;
}
