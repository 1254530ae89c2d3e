/* timed_wait.c: the waiter checks the flag, then waits with a long timeout without checking
 * again; a notification between the two is lost and the wait times out (lost wakeup, depth
 * 2, 2 threads). FIXED: check and wait under one hold. */
#include "latent.h"

#include <errno.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int ready;

static void *waiter(void *arg)
{
	struct timespec until;
	int rc = 0;
	(void)arg;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&m);
#ifdef FIXED
	while (!ready && rc == 0)
		rc = pthread_cond_timedwait(&c, &m, &until);
#else
	int r = ready;
	pthread_mutex_unlock(&m);
	pthread_mutex_lock(&m);
	if (!r)
		rc = pthread_cond_timedwait(&c, &m, &until);
#endif
	pthread_mutex_unlock(&m);
	CHECK(rc != ETIMEDOUT, "the notification was lost; the wait timed out");
	return NULL;
}

int main(void)
{
	pthread_t t;
	start_all(&t, 1, waiter);
	pthread_mutex_lock(&m);
	ready = 1;
	pthread_cond_signal(&c);
	pthread_mutex_unlock(&m);
	join_all(&t, 1);
	return 0;
}
