/* destroy_handoff.c: a correct teardown that Helgrind 3.19 flags without threadlab's
 * suppressions: the owner destroys a mutex the moment the last worker has unlocked it (the
 * WaitGroup ending of 09-unbounded). Clean under every tool; 50 rounds make Helgrind's false
 * report certain rather than rare (see harness/src/helgrind.supp). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { ROUNDS = 50, WORKERS = 4 };

struct group {
	pthread_mutex_t mu;
	pthread_cond_t done;
	int left; /* workers that have not checked in yet */
};

static void *worker(void *arg)
{
	struct group *g = arg;

	pthread_mutex_lock(&g->mu);
	if (--g->left == 0)
		pthread_cond_broadcast(&g->done);
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int main(void)
{
	pthread_t t[ROUNDS][WORKERS];

	for (int r = 0; r < ROUNDS; r++) {
		struct group *g = malloc(sizeof *g);

		if (g == NULL)
			return 1;
		pthread_mutex_init(&g->mu, NULL);
		pthread_cond_init(&g->done, NULL);
		g->left = WORKERS;
		for (int i = 0; i < WORKERS; i++)
			pthread_create(&t[r][i], NULL, worker, g);
		pthread_mutex_lock(&g->mu);
		while (g->left > 0)
			pthread_cond_wait(&g->done, &g->mu);
		pthread_mutex_unlock(&g->mu);
		/* The last worker may still be inside pthread_mutex_unlock: POSIX allows this. */
		pthread_cond_destroy(&g->done);
		pthread_mutex_destroy(&g->mu);
		free(g);
	}
	/* Joined only now, so that no join orders the workers before the destroys above. */
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < WORKERS; i++)
			pthread_join(t[r][i], NULL);
	puts("done");
	return 0;
}
