/* main.c: the dispatcher hands two jobs to one render worker through the mailbox: the first
 * reaches a worker already asleep, the second is put while the worker is on its way to sleep. */
#include <stdio.h>

#include "check.h"
#include "idlewatch.h"
#include "mailbox.h"

/* How long an idle worker waits for the dispatcher's answer before it goes to sleep anyway:
 * long enough for a dispatcher that does not need the mailbox's lock to answer, short enough
 * that a correct run soon goes on. */
#define PATIENCE_MS 400

/* One unit of work for a render worker. */
struct job {
	const char *name;
	int stop; /* 1: the worker returns instead of rendering */
};

/* The render worker: takes jobs until it is told to stop. */
struct worker {
	pthread_t thread;
	struct mailbox *mb;
	int rendered;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		struct job *job = mailbox_take(w->mb);

		if (job == NULL || job->stop)
			break;
		w->rendered++;
	}
	return NULL;
}

/* Returns once the worker is inside pthread_cond_wait: after its idle notification it gives
 * the mailbox's lock up only by going to sleep, so getting the lock proves it sleeps. */
static void wait_until_asleep(struct mailbox *mb)
{
	Pthread_mutex_lock(&mb->lock);
	Pthread_mutex_unlock(&mb->lock);
}

int main(void)
{
	struct idlewatch watch;
	struct mailbox mb;
	struct worker worker = { .mb = &mb };
	struct job resize = { .name = "resize cat.jpg to 256x256" };
	struct job stop = { .name = "stop", .stop = 1 };

	/* The first idle notification only counts; from the second on, the worker waits for the
	 * dispatcher's answer before it goes to sleep. */
	idlewatch_init(&watch, 2, PATIENCE_MS);
	mailbox_init(&mb, idlewatch_on_idle, &watch);
	Pthread_create(&worker.thread, NULL, worker_main, &worker);

	/* Job 1, the usual timing: the dispatcher is slow and the worker already sleeps. */
	if (idlewatch_wait(&watch, 1, 0, 5000) != 0) {
		fprintf(stderr, "main: the worker never went idle\n");
		return 1;
	}
	wait_until_asleep(&mb);
	mailbox_put(&mb, &resize);
	idlewatch_answer(&watch);

	/* Job 2, the unlucky timing: the dispatcher answers the worker's idle notification at
	 * once, while the worker has not gone to sleep yet. */
	if (idlewatch_wait(&watch, 2, 0, 5000) != 0) {
		fprintf(stderr, "main: the worker never came back for a second job\n");
		return 1;
	}
	mailbox_put(&mb, &stop);
	idlewatch_answer(&watch);

	/* If the stop job's wakeup was lost, this join never returns: the harness's time limit
	 * ends the run, and the tools report what they saw before that. */
	Pthread_join(worker.thread, NULL);
	printf("worker rendered %d job(s) and stopped\n", worker.rendered);
	mailbox_destroy(&mb);
	idlewatch_destroy(&watch);
	return 0;
}
