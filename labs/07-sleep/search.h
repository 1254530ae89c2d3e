/* search.h: count_hits, the student's function: ask every shard of an index, in parallel, how
 * many documents match, and add up the answers (lab-owned). */
#ifndef LAB07_SEARCH_H
#define LAB07_SEARCH_H

/* The most shards count_hits handles. */
#define MAX_SHARDS 16

/* Fetches page PAGE (0, 1, ...) of SHARD's matches and returns how many matches it holds, or -1
 * when SHARD has no such page. ARG is the caller's. It may take a long time. */
typedef long (*fetch_page_fn)(int shard, int page, void *arg);

/* Counts the matches of shards 0 .. NSHARDS - 1 (at most MAX_SHARDS), one worker thread per
 * shard, each fetching every page of its shard with FETCH_PAGE(shard, page, ARG). On return,
 * HITS[i] holds shard i's total, the sum of them is returned, and no worker is still running.
 * Aborts with file:line on a bad NSHARDS, out of memory or a pthread error. */
long count_hits(int nshards, fetch_page_fn fetch_page, void *arg, long *hits);

#endif
