/* latent.h: what the latent-bug corpus shares: a check that aborts with the program's own
 * message (an assert the build cannot remove), and thread start/join helpers. */
#ifndef LATENT_H
#define LATENT_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHECK(cond, ...)                                                                    \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, __VA_ARGS__);                                       \
			fputc('\n', stderr);                                                \
			abort();                                                            \
		}                                                                           \
	} while (0)

/* Computes for US microseconds of this thread's CPU time without a synchronisation call: the
 * work that makes the bad order rare in a plain run (CPU time, so that a thread the system
 * leaves waiting does not count that wait as work done). The schedule explorer does not see
 * it and still finds the bug. */
static inline void busy(long us)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000 < us);
}

static inline void start_all(pthread_t *t, int n, void *(*fn)(void *))
{
	for (long i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, (void *)i) != 0)
			abort();
}

static inline void join_all(pthread_t *t, int n)
{
	for (int i = 0; i < n; i++)
		if (pthread_join(t[i], NULL) != 0)
			abort();
}

#endif
