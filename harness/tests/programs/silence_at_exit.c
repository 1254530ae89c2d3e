/* silence_at_exit.c: a thread left blocked, and the process ended from an exit handler before the tools' own exit work (analyze --canary must say interference for threadcheck, whose report never comes, and for tsan, whose exit status is lost). */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *stuck(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu);
	return arg;
}

/* Registered last, so it runs first: nothing registered before it runs at all. */
static void leave_now(void)
{
	_exit(0);
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, stuck, NULL);
	atexit(leave_now);
	return 0;
}
