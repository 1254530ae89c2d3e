/* test_append.c: cmocka tests of results.c: every job's result must be in the array exactly
 * once, however many workers append at the same time. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "preempt.h"
#include "results.h"
#include "threadcheck.h"

/* Enough workers and jobs that, without synchronisation, appends collide on every run. The array
 * starts empty, so it grows (by realloc) about 15 times while the workers run. */
#define MANY_WORKERS 8
#define MANY_JOBS 200000UL
/* A lost result is a matter of timing: up to this many runs, until one goes wrong. */
#define ATTEMPTS 5
#define CHILD_DEADLINE_S 5.0

static unsigned long work(unsigned long job, void *arg)
{
	(void)arg;
	return job * 2654435761UL;
}

/* A worker's whole share of the jobs takes well under a millisecond, less than a time slice, so
 * on a busy machine each worker could run from start to end without being stopped and the
 * appends would never overlap. Each worker of the concurrent run is therefore stopped every few
 * microseconds and gives way (preempt.h): a worker stopped between reading the array's length and
 * writing it back lets the others append meanwhile, and its stale write loses their results. */

/* One worker thread of a test run. */
struct worker {
	pthread_t thread;
	struct results *results;
	pthread_barrier_t *start;
	unsigned long first, njobs, stride;
	int preempt; /* stop the worker every few microseconds (preempt.h) */
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct preempt p = { .armed = 0 };

	Pthread_barrier_wait(w->start);
	if (w->preempt)
		preempt_begin(&p);
	worker_loop(w->results, w->first, w->njobs, w->stride, work, NULL);
	preempt_end(&p);
	return NULL;
}

/* Runs NWORKERS worker threads released together on R, sharing NJOBS jobs, and joins them; with
 * PREEMPT, each is stopped every few microseconds (preempt_install must have been called). */
static void run_workers(struct results *r, int nworkers, unsigned long njobs, int preempt)
{
	struct worker *w = Malloc(sizeof(*w) * (size_t)nworkers);
	pthread_barrier_t start;

	Pthread_barrier_init(&start, NULL, (unsigned)nworkers);
	for (int i = 0; i < nworkers; i++) {
		w[i] = (struct worker){ .results = r, .start = &start, .first = (unsigned long)i,
					.njobs = njobs, .stride = (unsigned long)nworkers, .preempt = preempt };
		Pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < nworkers; i++)
		Pthread_join(w[i].thread, NULL);
	Pthread_barrier_destroy(&start);
	free(w);
}

/* Checks that R holds the result of every job below NJOBS exactly once, in any order. Returns 0,
 * or -1 with what is wrong in WHY. */
static int check_every_job_once(const struct results *r, unsigned long njobs, char *why,
				size_t whylen)
{
	const struct result *items = results_items(r);
	size_t len = results_len(r);
	unsigned char *seen = calloc(njobs, 1);
	int rc = 0;

	if (seen == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < len && rc == 0; i++) {
		if (items[i].job >= njobs || seen[items[i].job]) {
			snprintf(why, whylen, "slot %zu holds job %lu %s", i, items[i].job,
				 items[i].job >= njobs ? "that does not exist" : "a second time");
			rc = -1;
		} else if (items[i].value != work(items[i].job, NULL)) {
			snprintf(why, whylen, "slot %zu holds a wrong value for job %lu", i, items[i].job);
			rc = -1;
		} else {
			seen[items[i].job] = 1;
		}
	}
	if (rc == 0 && len != njobs) {
		snprintf(why, whylen, "%lu jobs ran but the array holds %zu results (%lu lost)", njobs,
			 len, njobs - (unsigned long)len);
		rc = -1;
	}
	free(seen);
	return rc;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs MANY_WORKERS workers on an array that starts empty, in a child process, because two
 * workers growing the array at once can corrupt the heap and kill the process. Returns 0 if
 * every result arrived exactly once, or -1 with what went wrong in WHY. */
static int run_in_child(char *why, size_t whylen)
{
	int fds[2];
	pid_t pid;
	int status = 0;
	double deadline = now_s() + CHILD_DEADLINE_S;

	if (pipe(fds) != 0) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		const struct rlimit no_core = { 0, 0 };
		const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS, SIGABRT };
		struct results *r = results_new(0);
		char msg[256];
		int rc;

		close(fds[0]);
		/* A crash here is expected: let it kill the child (cmocka's handlers would carry on
		 * running the tests in it), and leave no core file behind. */
		for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
			signal(fatal[i], SIG_DFL);
		setrlimit(RLIMIT_CORE, &no_core);
		run_workers(r, MANY_WORKERS, MANY_JOBS, preempt_install() == 0);
		rc = check_every_job_once(r, MANY_JOBS, msg, sizeof(msg));
		if (rc != 0 && write(fds[1], msg, strlen(msg)) < 0)
			rc = -1;
		results_free(r);
		_exit(rc == 0 ? 0 : 1); /* not exit(): the child must not run cmocka's exit handlers */
	}
	close(fds[1]);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_s() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(why, whylen, "the workers did not finish in %.0f s (a corrupted heap can "
				 "make malloc loop)", CHILD_DEADLINE_S);
			close(fds[0]);
			return -1;
		}
		usleep(1000);
	}
	if (WIFSIGNALED(status)) {
		snprintf(why, whylen, "the process died of %s while the workers appended (the heap was "
			 "corrupted: a worker wrote into, or grew, an array that another worker "
			 "had just moved)", strsignal(WTERMSIG(status)));
		close(fds[0]);
		return -1;
	}
	ssize_t n = read(fds[0], why, whylen - 1);
	close(fds[0]);
	why[n > 0 ? n : 0] = '\0';
	if (WEXITSTATUS(status) != 0 && why[0] == '\0')
		snprintf(why, whylen, "the child process exited with status %d", WEXITSTATUS(status));
	return WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void test_new_results_are_empty(void **state)
{
	struct results *r = results_new(0);

	(void)state;
	assert_int_equal(results_len(r), 0);
	results_free(r);
}

static void test_one_worker_keeps_every_result_in_order(void **state)
{
	struct results *r = results_new(0);
	const struct result *items;

	(void)state;
	run_workers(r, 1, 1000, 0);
	assert_int_equal(results_len(r), 1000);
	items = results_items(r);
	for (unsigned long i = 0; i < 1000; i++) {
		assert_int_equal(items[i].job, i);
		assert_int_equal(items[i].value, work(i, NULL));
	}
	results_free(r);
}

/* The lab's point. Deflaked openly: the run is repeated up to ATTEMPTS times, and the first
 * one that loses, duplicates or corrupts a result, or crashes, fails the test. */
static void test_concurrent_workers_keep_every_result(void **state)
{
	char why[512] = "";

	(void)state;
	for (int attempt = 1; attempt <= ATTEMPTS; attempt++)
		if (run_in_child(why, sizeof(why)) != 0)
			fail_msg("run %d of %d, %d workers sharing %lu jobs: %s", attempt, ATTEMPTS,
				 MANY_WORKERS, MANY_JOBS, why);
}

static void test_no_worker_left_behind(void **state)
{
	struct tc_baseline base;
	struct tc_options opt = { .settle_seconds = 1.0 };
	char report[4096] = "";
	/* Room for every result, so that the array never grows here, with or without a lock: this
	 * test is about threads, not about the array. */
	struct results *r = results_new(4000);
	int leaked;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	run_workers(r, 4, 1000, 0);
	results_free(r);
	leaked = tc_verify_none(&base, &opt, report, sizeof(report));
	if (leaked < 0)
		fail_msg("threadcheck could not list this process's threads");
	if (leaked > 0)
		fail_msg("%d thread(s) still alive after every worker returned:\n%s", leaked, report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_results_are_empty),
		cmocka_unit_test(test_one_worker_keeps_every_result_in_order),
		cmocka_unit_test(test_concurrent_workers_keep_every_result),
		cmocka_unit_test(test_no_worker_left_behind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
