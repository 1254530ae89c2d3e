/* main.c: the nightly mirror job: six packages, at most two downloads at a time, and two of the
 * packages have been removed from the upstream mirror. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "downloader.h"

#define MAX_INFLIGHT 2

/* The upstream mirror, as this program sees it: what it has, and how big each file is. */
static const struct {
	const char *url;
	size_t bytes;
} upstream[] = {
	{ "pool/z/zlib_1.3.tar.xz", 1290404 },
	{ "pool/c/curl_8.5.tar.xz", 2636924 },
	{ "pool/x/xz_5.4.tar.xz", 1627924 },
	{ "pool/p/pcre2_10.42.tar.xz", 1766972 },
};

/* A fetch_fn that answers from the table above: a package it does not list is a 404. The
 * order in which packages are asked for, not the timing, decides what happens. */
static int mirror_fetch(const char *url, size_t *bytes, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(upstream) / sizeof(upstream[0]); i++)
		if (strcmp(upstream[i].url, url) == 0) {
			*bytes = upstream[i].bytes;
			return 0;
		}
	return -ENOENT;
}

int main(void)
{
	struct download jobs[] = {
		{ .url = "pool/z/zlib_1.3.tar.xz" },
		{ .url = "pool/o/openssl_1.1.1w.tar.gz" }, /* removed upstream */
		{ .url = "pool/l/libfoo_0.9.tar.gz" },     /* removed upstream */
		{ .url = "pool/c/curl_8.5.tar.xz" },
		{ .url = "pool/x/xz_5.4.tar.xz" },
		{ .url = "pool/p/pcre2_10.42.tar.xz" },
	};
	int n = (int)(sizeof(jobs) / sizeof(jobs[0]));
	struct downloader d;
	int failed;

	downloader_init(&d, MAX_INFLIGHT, mirror_fetch, NULL);
	/* If slots are lost, this call never returns: the harness's time limit (or threadcheck,
	 * when it is preloaded) ends the run. */
	failed = download_all(&d, jobs, n);
	for (int i = 0; i < n; i++)
		printf("%-30s %s\n", jobs[i].url, jobs[i].rc == 0 ? "ok" : strerror(-jobs[i].rc));
	printf("%d of %d packages fetched, %d failed\n", n - failed, n, failed);
	downloader_destroy(&d);
	return 0;
}
