/* refcount.c: each of 3 owners drops its reference and, in a second critical section, frees
 * the object when it reads zero; two can both read zero (double free, depth 2, 3 threads).
 * FIXED: decide in the same section. */
#include "latent.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int refs = 3, frees;

static void *drop(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	refs--;
#ifdef FIXED
	int last = refs == 0;
#else
	pthread_mutex_unlock(&m);
	pthread_mutex_lock(&m);
	int last = refs == 0;
#endif
	if (last)
		frees++;
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_t t[3];
	start_all(t, 3, drop);
	join_all(t, 3);
	CHECK(frees == 1, "freed %d times", frees);
	return 0;
}
