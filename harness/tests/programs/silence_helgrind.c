/* silence_helgrind.c: a race, and Helgrind told by a client request, before anything else runs, not to check any global variable of the program (analyze --canary must say interference for helgrind, race for tsan). */
#include <pthread.h>
#include <stdio.h>
#include <valgrind/helgrind.h>

/* The linker's marks around the program's initialised and zeroed data. */
extern char __data_start, _end;

/* Runs before the default-priority constructors, the canary's included. */
__attribute__((constructor(101))) static void silence(void)
{
	VALGRIND_HG_DISABLE_CHECKING(&__data_start, &_end - &__data_start);
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
