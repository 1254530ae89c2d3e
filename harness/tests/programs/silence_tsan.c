/* silence_tsan.c: a race, and TSan told from inside the program never to report (analyze --canary must say interference for tsan, race for helgrind). */
#include <pthread.h>
#include <stdio.h>

/* TSan reads this at start-up: no report of any kind from here on. */
const char *__tsan_default_options(void)
{
	return "report_bugs=0";
}

static long hits;

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100000; i++)
		hits++; /* unprotected access */
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	pthread_create(&a, NULL, worker, NULL);
	pthread_create(&b, NULL, worker, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("hits = %ld\n", hits);
	return 0;
}
