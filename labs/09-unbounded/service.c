/* service.c: the lab-owned parts of lab 09's service: replies, the gated handler and the thread count. */
#include "service.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "check.h"

void request_refuse(struct request *req, long retry_after_ms)
{
	req->status = 429;
	snprintf(req->body, sizeof(req->body), "too many requests, retry after %ld ms",
		 retry_after_ms);
}

void gated_handler(struct request *req, void *arg)
{
	struct gate *g = arg;

	Pthread_mutex_lock(&g->lock);
	g->waiting++;
	Pthread_cond_broadcast(&g->opened); /* also wakes gate_wait_for_waiting */
	while (!g->open)
		Pthread_cond_wait(&g->opened, &g->lock);
	g->waiting--;
	g->handled++;
	Pthread_mutex_unlock(&g->lock);
	req->status = 200;
	snprintf(req->body, sizeof(req->body), "hello, request %d", req->id);
}

void gate_open(struct gate *g)
{
	Pthread_mutex_lock(&g->lock);
	g->open = 1;
	Pthread_cond_broadcast(&g->opened);
	Pthread_mutex_unlock(&g->lock);
}

int gate_wait_for_waiting(struct gate *g, int n, long timeout_ms)
{
	struct timespec deadline;
	int rc = 0;

	CHECK_PT(clock_gettime(CLOCK_REALTIME, &deadline) != 0 ? errno : 0);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += timeout_ms % 1000 * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	Pthread_mutex_lock(&g->lock);
	while (g->waiting < n && rc == 0) {
		rc = pthread_cond_timedwait(&g->opened, &g->lock, &deadline);
		if (rc != ETIMEDOUT)
			CHECK_PT(rc);
	}
	rc = g->waiting >= n ? 0 : -1;
	Pthread_mutex_unlock(&g->lock);
	return rc;
}

int gate_handled(struct gate *g)
{
	int n;

	Pthread_mutex_lock(&g->lock);
	n = g->handled;
	Pthread_mutex_unlock(&g->lock);
	return n;
}

int live_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}
