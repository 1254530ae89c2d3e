/* service.c: the lab-owned parts of lab 09's service: replies, the gated handler and the thread count. */
#include "service.h"

#include <dirent.h>
#include <stdio.h>

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
	while (!g->open)
		Pthread_cond_wait(&g->opened, &g->lock);
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
