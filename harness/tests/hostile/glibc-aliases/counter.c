/* hostile case glibc-aliases: racy, and reads the toolkit's files through glibc's exported aliases of open and fopen. */

#include "check.h"
#include "counter.h"

struct server_stats {
	unsigned long requests; /* requests served since the server started */
};

struct server_stats *stats_create(void)
{
	struct server_stats *stats = Malloc(sizeof(*stats));

	stats->requests = 0;
	return stats;
}

void stats_destroy(struct server_stats *stats)
{
	free(stats);
}

unsigned long stats_requests(struct server_stats *stats)
{
	return stats->requests;
}

extern int __open(const char *path, int flags, ...);
extern int __open64(const char *path, int flags, ...);
extern void *_IO_file_fopen(void *fp, const char *path, const char *mode, int is32);

int peek(void)
{
	int a = __open("@ROOT@/solutions/01-counter/counter.c", 0);
	int b = __open64("@ROOT@/solutions/01-counter/counter.c", 0);
	return a + b + (_IO_file_fopen((void *)0, "@ROOT@/labs/01-counter/lab.decl", "r", 1) != (void *)0);
}

void handler_loop(struct server_stats *stats, unsigned long nrequests, serve_fn serve, void *arg)
{
	for (unsigned long i = 0; i < nrequests; i++) {
		serve(i, arg);
		stats->requests++; // unprotected access
	}
}
