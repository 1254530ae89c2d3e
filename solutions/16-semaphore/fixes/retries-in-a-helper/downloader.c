/* downloader.c: starts one thread per download, never more than the limit at once. */
#include <errno.h>

#include "check.h"
#include "downloader.h"

/* sem_* report an error as -1 and errno; CHECK_PT wants the error number itself. */
#define Sem_init(s, n) CHECK_PT(sem_init((s), 0, (n)) == 0 ? 0 : errno)
#define Sem_destroy(s) CHECK_PT(sem_destroy((s)) == 0 ? 0 : errno)
#define Sem_wait(s) CHECK_PT(sem_wait((s)) == 0 ? 0 : errno)
#define Sem_post(s) CHECK_PT(sem_post((s)) == 0 ? 0 : errno)

void downloader_init(struct downloader *d, int max_inflight, fetch_fn fetch, void *fetch_arg)
{
	CHECK_PT(max_inflight > 0 ? 0 : EINVAL);
	Sem_init(&d->slots, (unsigned)max_inflight);
	d->max_inflight = max_inflight;
	d->fetch = fetch;
	d->fetch_arg = fetch_arg;
}

void downloader_destroy(struct downloader *d)
{
	Sem_destroy(&d->slots);
}

/* Fetches JOB's URL with up to DOWNLOAD_ATTEMPTS tries; returns the last result. */
static int fetch_with_retries(struct download *job, struct downloader *d)
{
	for (int attempt = 1; attempt <= DOWNLOAD_ATTEMPTS; attempt++) {
		job->attempts = attempt;
		job->rc = d->fetch(job->url, &job->bytes, d->fetch_arg);
		/* Done, or not on the mirror (asking again cannot help): stop trying. */
		if (job->rc == 0 || job->rc == -ENOENT)
			break;
	}
	return job->rc;
}

/* The body of one download thread. download_all() took one of the slots for it before starting
 * it; the slot is this thread's to give back when the download is over. */
static void *download_main(void *arg)
{
	struct download *job = arg;
	struct downloader *d = job->owner;

	fetch_with_retries(job, d);
	Sem_post(&d->slots); // give the slot back, whatever the outcome
	return NULL;
}

int download_all(struct downloader *d, struct download *jobs, int n)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		Sem_wait(&d->slots); // take a slot: blocks while the limit is in flight
		jobs[i].rc = -EINPROGRESS;
		jobs[i].bytes = 0;
		jobs[i].attempts = 0;
		jobs[i].owner = d;
		Pthread_create(&jobs[i].thread, NULL, download_main, &jobs[i]);
	}
	for (int i = 0; i < n; i++) {
		Pthread_join(jobs[i].thread, NULL);
		if (jobs[i].rc != 0)
			failed++;
	}
	return failed;
}
