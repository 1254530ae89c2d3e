/* latent.h: what the latent-bug corpus shares: a check that aborts with the program's own
 * message (an assert the build cannot remove), and thread start/join helpers. */
#ifndef LATENT_H
#define LATENT_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                                    \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, __VA_ARGS__);                                       \
			fputc('\n', stderr);                                                \
			abort();                                                            \
		}                                                                           \
	} while (0)

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
