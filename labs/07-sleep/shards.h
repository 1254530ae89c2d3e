/* shards.h: the simulated search shards of lab 07: the first page of results comes at once, the
 * later ones only after a long fixed delay (lab-owned). */
#ifndef LAB07_SHARDS_H
#define LAB07_SHARDS_H

#include "search.h"

/* An index of shards. Shard s has PAGES pages of (s + 1) * PER_PAGE matches each. */
struct shards {
	int pages;
	long per_page;
	long slow_ms;      /* how long every page after the first takes */
	int slow_notify;   /* -1, or a pipe's write end: one byte per shard that starts a slow page */
	int notified[MAX_SHARDS]; /* per shard: it has written its byte; each is touched by its worker only */
};

/* A fetch_page_fn; ARG is a struct shards. Page 0 answers at once. Any later page first writes
 * the shard's byte to slow_notify (once per shard, with a raw write(2) system call that neither
 * ThreadSanitizer nor Helgrind counts as synchronisation), then sleeps slow_ms. Returns -1 past
 * the last page. */
long shards_fetch_page(int shard, int page, void *arg);

/* The total that count_hits must find for NSHARDS shards of SH. */
long shards_expected(const struct shards *sh, int nshards);

#endif
