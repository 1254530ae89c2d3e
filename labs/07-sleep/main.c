/* main.c: a search service counts the matches of a query over 4 shards, prints the total and
 * exits. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "search.h"
#include "shards.h"

#define NSHARDS 4

/* Every page after the first takes 400 ms: far longer than any guess count_hits might sleep,
 * and longer than threadcheck waits for threads at exit, so a worker that nobody waits for is
 * still at work when the program ends, on every run. A correct count_hits just waits longer. */
static int slow_pipe[2];
static struct shards index_shards = { .pages = 2, .per_page = 10, .slow_ms = 400 };
static long hits[NSHARDS]; /* static: a late worker may still write here */

int main(void)
{
	long total, expected = shards_expected(&index_shards, NSHARDS);

	if (pipe(slow_pipe) != 0) {
		perror("pipe");
		return 1;
	}
	index_shards.slow_notify = slow_pipe[1];
	total = count_hits(NSHARDS, shards_fetch_page, &index_shards, hits);
	printf("%d shards: counted %ld of %ld matches (%ld missing)\n", NSHARDS, total, expected,
	       expected - total);

	/* Wait until every worker has asked for its slow page, so that on every run each has
	 * written its first page's count before the program ends. The wait reads the pipe with a
	 * raw system call, which orders nothing for the tools: it cannot hide a missing join. */
	for (int i = 0; i < NSHARDS; i++) {
		char byte;

		if (syscall(SYS_read, slow_pipe[0], &byte, 1) != 1)
			abort();
	}
	return 0;
}
