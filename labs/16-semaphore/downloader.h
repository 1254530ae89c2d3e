/* downloader.h: a batch downloader that keeps at most a fixed number of downloads in flight,
 * with a counting semaphore (lab-owned). */
#ifndef DOWNLOADER_H
#define DOWNLOADER_H

#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>

/* How many times one download is tried when the mirror answers -EAGAIN (busy, try again). */
#define DOWNLOAD_ATTEMPTS 3

/* Fetches URL once. Returns 0 and sets *BYTES to the size of what came back, -ENOENT when the
 * mirror does not have URL (a 404: asking again cannot help), or -EAGAIN when the mirror is
 * busy (a 503: asking again may). Called by many download threads at once, with ARG passed
 * through. */
typedef int (*fetch_fn)(const char *url, size_t *bytes, void *arg);

/* The limit and the fetch function that every batch of one downloader shares. */
struct downloader {
	sem_t slots;      /* one permit per download allowed in flight */
	int max_inflight; /* the value SLOTS starts at */
	fetch_fn fetch;
	void *fetch_arg;
};

/* One URL of a batch and what became of it. The caller sets URL; download_all() sets the
 * rest. */
struct download {
	const char *url;
	int rc;          /* 0, or the last error FETCH returned */
	size_t bytes;    /* the size of what was fetched, when RC is 0 */
	int attempts;    /* how many times FETCH was called for URL */
	pthread_t thread;          /* private to downloader.c */
	struct downloader *owner;  /* private to downloader.c */
};

/* Sets up D to run at most MAX_INFLIGHT (> 0) downloads at a time with FETCH. Aborts
 * (file:line) on error. */
void downloader_init(struct downloader *d, int max_inflight, fetch_fn fetch, void *fetch_arg);

/* Releases D. No batch may be running. */
void downloader_destroy(struct downloader *d);

/* Downloads the N entries of JOBS, each in its own thread, starting them in order and never
 * running more than D's limit at once; returns when every one has finished, with the number
 * that failed. A download that fails, whatever the reason, must not take any of the limit with
 * it: the next batch, or the rest of this one, gets all of it. Aborts on a pthread error. */
int download_all(struct downloader *d, struct download *jobs, int n);

#endif
