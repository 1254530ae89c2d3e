/* lazy_init.c: lazy initialisation checks "not yet made" and makes the object in two critical
 * sections; two of 3 threads can both make it (check-then-act, depth 2, 3 threads). FIXED:
 * one section. */
#include "latent.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int made, inits;

static void *user(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	int need = !made;
#ifndef FIXED
	pthread_mutex_unlock(&m);
	pthread_mutex_lock(&m);
#endif
	if (need) {
		inits++;
		made = 1;
	}
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_t t[3];
	start_all(t, 3, user);
	join_all(t, 3);
	CHECK(inits == 1, "initialised %d times", inits);
	return 0;
}
