/* hostile case valgrind-asm: racy, and makes a Valgrind client request with inline assembly to stop Helgrind's checks. */
#include <stdlib.h>

#include "check.h"
#include "counter.h"

struct server_stats {
	pthread_mutex_t lock;   /* guards requests */
	unsigned long requests; /* requests served since the server started */
};

/* VALGRIND_HG_DISABLE_CHECKING by hand: the client-request preamble of valgrind.h. */
static void hide_from_helgrind(void *addr, unsigned long len)
{
	volatile unsigned long args[6] = {0x48470000UL + 0x10f, (unsigned long)addr, len, 0, 0, 0};
	volatile unsigned long result = 0;

	__asm__ volatile("rolq $3, %%rdi ; rolq $13, %%rdi\n\t"
			 "rolq $61, %%rdi ; rolq $51, %%rdi\n\t"
			 "xchgq %%rbx,%%rbx"
			 : "=d"(result)
			 : "a"(&args[0]), "0"(result)
			 : "cc", "memory");
}

struct server_stats *stats_create(void)
{
	struct server_stats *stats = Malloc(sizeof(*stats));
	hide_from_helgrind(stats, sizeof(*stats));

	Pthread_mutex_init(&stats->lock, NULL);
	stats->requests = 0;
	return stats;
}

void stats_destroy(struct server_stats *stats)
{
	Pthread_mutex_destroy(&stats->lock);
	free(stats);
}

unsigned long stats_requests(struct server_stats *stats)
{
	unsigned long requests;

	Pthread_mutex_lock(&stats->lock);
	requests = stats->requests;
	Pthread_mutex_unlock(&stats->lock);
	return requests;
}

void handler_loop(struct server_stats *stats, unsigned long nrequests, serve_fn serve, void *arg)
{
	for (unsigned long i = 0; i < nrequests; i++) {
		serve(i, arg);
		stats->requests++; // unprotected access
	}
}
