/* bench_hang.c: forced hangs for the deadlock-latency benchmark. Each thread appends
 * "stamp <CLOCK_MONOTONIC ns>" to STAMPFILE just before its final blocking call, so the time the
 * deadlock formed is the largest stamp; the report time is measured by whoever runs this.
 *
 *   bench_hang abba|lost-wakeup|join-cycle STAMPFILE
 *
 * abba: T1 locks A then B, T2 locks B then A, a barrier makes each hold its first lock first.
 * lost-wakeup: main signals before the worker waits (no predicate), then both sleep on condvars.
 * join-cycle: main joins T1 while T1 joins main. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int stamp_fd = -1;

/* Appends one stamp line with a single write(), so stamps of two threads never interleave.
 * A failed write only loses the stamp; the runner then reports the run as unusable. */
static void stamp(void)
{
	struct timespec ts;
	char line[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	int n = snprintf(line, sizeof line, "stamp %lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	if (write(stamp_fd, line, (size_t)n) != n)
		return;
}

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *forward(void *arg)
{
	pthread_mutex_lock(&a);
	pthread_barrier_wait(&both_hold);
	stamp();
	pthread_mutex_lock(&b);
	pthread_mutex_unlock(&b);
	pthread_mutex_unlock(&a);
	return arg;
}

static void *backward(void *arg)
{
	pthread_mutex_lock(&b);
	pthread_barrier_wait(&both_hold);
	stamp();
	pthread_mutex_lock(&a);
	pthread_mutex_unlock(&a);
	pthread_mutex_unlock(&b);
	return arg;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int done;

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	stamp();
	pthread_cond_wait(&go, &mu); /* the signal came before this wait: it never wakes */
	done = 1;
	pthread_cond_signal(&done_cv);
	pthread_mutex_unlock(&mu);
	return arg;
}

static pthread_t main_thread;

static void *join_main(void *arg)
{
	stamp();
	pthread_join(main_thread, NULL);
	return arg;
}

/* Exit status: 2 on a usage or set-up error; a run that returns at all (0) is a failed hang. */
int main(int argc, char **argv)
{
	pthread_t t1, t2;

	if (argc != 3 || (stamp_fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
		fprintf(stderr, "usage: bench_hang abba|lost-wakeup|join-cycle STAMPFILE\n");
		return 2;
	}
	if (strcmp(argv[1], "abba") == 0) {
		pthread_barrier_init(&both_hold, NULL, 2);
		if (pthread_create(&t1, NULL, forward, NULL) != 0 || pthread_create(&t2, NULL, backward, NULL) != 0)
			return 2;
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
	} else if (strcmp(argv[1], "lost-wakeup") == 0) {
		pthread_mutex_lock(&mu);
		pthread_cond_signal(&go); /* nobody waits yet: this wakeup is lost */
		if (pthread_create(&t1, NULL, waiter, NULL) != 0)
			return 2;
		/* The worker can only reach its wait once this wait has released mu, so the worker's
		 * stamp is the last one; main stamps too, in case of a spurious wakeup. */
		while (!done) {
			stamp();
			pthread_cond_wait(&done_cv, &mu);
		}
		pthread_mutex_unlock(&mu);
		pthread_join(t1, NULL);
	} else if (strcmp(argv[1], "join-cycle") == 0) {
		main_thread = pthread_self();
		if (pthread_create(&t1, NULL, join_main, NULL) != 0)
			return 2;
		stamp();
		pthread_join(t1, NULL);
	} else {
		fprintf(stderr, "bench_hang: unknown mode '%s'\n", argv[1]);
		return 2;
	}
	return 0;
}
