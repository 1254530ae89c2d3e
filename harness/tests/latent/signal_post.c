/* signal_post.c: not a latent bug but a trap for the explorer: a signal handler posts a
 * semaphore (async-signal-safe) while the threads it interrupts are inside the explorer,
 * parked or holding its lock; the run must still end. Not in expect.txt. */
#include "latent.h"

#include <semaphore.h>
#include <signal.h>
#include <unistd.h>

static sem_t ticks;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void on_alarm(int sig)
{
	(void)sig;
	sem_post(&ticks);
}

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	sem_init(&ticks, 0, 0);
	signal(SIGALRM, on_alarm);
	start_all(t, 2, worker);
	ualarm(2000, 2000);
	for (int k = 0; k < 5; k++)
		while (sem_wait(&ticks) != 0)
			;
	ualarm(0, 0);
	join_all(t, 2);
	return 0;
}
