/* race_on_request.c: a data race between main and a worker, made only when the first argument is
 * "race": analyze -- PROG ARGS must hand the program its arguments. */
#include <pthread.h>
#include <string.h>

static int shared;

static void *worker(void *arg)
{
	shared++; /* races with main's increment when asked */
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t t;
	int race = argc > 1 && strcmp(argv[1], "race") == 0;

	pthread_create(&t, NULL, worker, NULL);
	if (race)
		shared++;
	pthread_join(t, NULL);
	return 0;
}
