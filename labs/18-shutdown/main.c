/* main.c: an ingest service batches 23 events for its downstream store, then gets SIGTERM from
 * its orchestrator and shuts down gracefully: stop taking events, flush, join, within a deadline. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "batcher.h"
#include "check.h"
#include "notify.h"

#define WORKERS 3
#define BATCH_SIZE 4
#define QUEUE_CAP 8
/* Not a multiple of BATCH_SIZE: however the items are spread over the workers, at least
 * EVENTS % BATCH_SIZE of them are still in a batch that is not full when SIGTERM comes. */
#define EVENTS 23
#define DEADLINE_MS 2000 /* Kubernetes' default grace period is 30 s; ours is shorter */

/* The downstream store: how many times each event was written. It lives in static storage and
 * is never destroyed, because a worker may still be writing to it when main returns. */
static struct store {
	pthread_mutex_t lock;
	int written[EVENTS + 1]; /* guarded by lock */
	int batches;             /* guarded by lock */
} store = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The batcher's flush: one write of N events to the store. */
static void store_write(const long *events, size_t n, void *arg)
{
	struct store *s = arg;

	Pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < n; i++)
		s->written[events[i]]++;
	s->batches++;
	Pthread_mutex_unlock(&s->lock);
}

int main(void)
{
	struct notify stop;
	sigset_t set;
	struct batcher *b;
	int signo, rc, lost = 0, twice = 0;

	/* First, before any other thread exists: from here on only the signal thread takes
	 * SIGTERM and SIGINT, and it takes them with sigwait, not in a handler. */
	CHECK_PT(sigemptyset(&set));
	CHECK_PT(sigaddset(&set, SIGTERM));
	CHECK_PT(sigaddset(&set, SIGINT));
	notify_start(&stop, &set);

	b = batcher_new(WORKERS, BATCH_SIZE, QUEUE_CAP, store_write, &store);
	for (long event = 1; event <= EVENTS; event++)
		batcher_submit(b, event);

	/* The orchestrator decides to move this pod, after exactly EVENTS events. kill() directs
	 * the signal at the process, as the kubelet does, and since every other thread blocks
	 * SIGTERM it can only reach the signal thread. (raise() would direct it at this thread,
	 * which blocks it, and the signal thread would never see it.) */
	CHECK_PT(kill(getpid(), SIGTERM) != 0 ? errno : 0);
	signo = notify_wait(&stop);
	printf("got %s after %d events: stop accepting, flush, join (deadline %d ms)\n",
	       strsignal(signo), EVENTS, DEADLINE_MS);

	rc = batcher_shutdown(b, DEADLINE_MS);
	notify_stop(&stop);

	Pthread_mutex_lock(&store.lock);
	for (int event = 1; event <= EVENTS; event++) {
		lost += store.written[event] == 0;
		twice += store.written[event] > 1;
	}
	printf("shutdown %s; the store got %d batches: %d of %d events written, %d lost, %d written twice\n",
	       rc == 0 ? "complete" : "timed out", store.batches, EVENTS - lost, EVENTS, lost, twice);
	Pthread_mutex_unlock(&store.lock);
	return rc == 0 && lost == 0 && twice == 0 ? 0 : 1;
}
