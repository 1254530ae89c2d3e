/* hoisted_spin.c: main spins on a plain int that a worker sets; at -O1 the load may be hoisted out of the loop. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int go;

static void *starter(void *arg)
{
	(void)arg;
	usleep(10000);
	go = 1;
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, starter, NULL);
	while (!go) /* plain load */
		;
	pthread_join(t, NULL);
	puts("started");
	return 0;
}
