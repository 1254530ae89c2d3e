/* dcl_race.c: double-checked initialisation with a plain pointer read outside the lock. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int *config;

static int *get(void)
{
	if (config == NULL) {
		pthread_mutex_lock(&mu);
		if (config == NULL) {
			int *c = malloc(sizeof *c);
			*c = 11;
			config = c;
		}
		pthread_mutex_unlock(&mu);
	}
	return config;
}

static void *user(void *arg)
{
	*(int *)arg = *get();
	return NULL;
}

int main(void)
{
	pthread_t t[4];
	int v[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, user, &v[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("%d\n", v[0]);
	free(config);
	return 0;
}
