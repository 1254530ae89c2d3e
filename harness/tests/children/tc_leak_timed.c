/* tc_leak_timed.c: a child for test_threadcheck: a thread sits in a long pthread_cond_timedwait
 * when main returns: a thread leak, but marked as a timed wait, not blocked forever. */
#include <pthread.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready; /* never set */

static void *napper(void *arg)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 60;
	pthread_mutex_lock(&mu);
	while (!ready)
		if (pthread_cond_timedwait(&cv, &mu, &until) != 0) /* @wait */
			break;
	pthread_mutex_unlock(&mu);
	return arg;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, napper, NULL) != 0) /* @create */
		return 2;
	return 0;
}
