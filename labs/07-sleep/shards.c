/* shards.c: the simulated search shards of lab 07, slow on purpose after their first page. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "shards.h"

long shards_fetch_page(int shard, int page, void *arg)
{
	struct shards *sh = arg;
	struct timespec delay = { sh->slow_ms / 1000, (sh->slow_ms % 1000) * 1000000L };

	if (page >= sh->pages)
		return -1;
	if (page > 0) {
		if (sh->slow_notify >= 0 && !sh->notified[shard]) {
			char byte = (char)shard;

			sh->notified[shard] = 1;
			if (syscall(SYS_write, sh->slow_notify, &byte, 1) != 1)
				abort();
		}
		while (nanosleep(&delay, &delay) != 0 && errno == EINTR)
			;
	}
	return (shard + 1) * sh->per_page;
}

long shards_expected(const struct shards *sh, int nshards)
{
	long total = 0;

	for (int s = 0; s < nshards; s++)
		total += (long)sh->pages * (s + 1) * sh->per_page;
	return total;
}
