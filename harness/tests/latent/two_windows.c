/* two_windows.c: the audit thread sees an inconsistent state only when the mover is
 * preempted between its two steps and the audit runs exactly then, and a third thread's
 * reset has not run yet (depth 3, 3 threads). FIXED: the move is one critical section. */
#include "latent.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int a = 10, b, reset_done;

static void *mover(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	a -= 10;
#ifndef FIXED
	pthread_mutex_unlock(&m);
	pthread_mutex_lock(&m);
#endif
	b += 10;
	pthread_mutex_unlock(&m);
	return NULL;
}

static void *audit(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	int sum = a + b, r = reset_done;
	pthread_mutex_unlock(&m);
	CHECK(r || sum == 10, "audit saw a + b = %d", sum);
	return NULL;
}

static void *resetter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	reset_done = 1;
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_t t[3];
	pthread_create(&t[0], NULL, resetter, NULL);
	pthread_create(&t[1], NULL, mover, NULL);
	pthread_create(&t[2], NULL, audit, NULL);
	join_all(t, 3);
	return 0;
}
