/* tc_dl_quiet_timed.c: a child for test_threadcheck that must stay silent: ABBA again, but
 * T1 asks for its second lock with pthread_mutex_timedlock, which times out after 300 ms;
 * T1 then releases its first lock and T2 finishes. A timed wait is not a forever wait. */
#include <errno.h>
#include <pthread.h>
#include <time.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;
static int timed_out;

static void *patient(void *arg)
{
	struct timespec until;

	pthread_mutex_lock(&a);
	pthread_barrier_wait(&both_hold);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 300 * 1000 * 1000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	if (pthread_mutex_timedlock(&b, &until) == ETIMEDOUT)
		timed_out = 1;
	else
		pthread_mutex_unlock(&b);
	pthread_mutex_unlock(&a);
	return arg;
}

static void *greedy(void *arg)
{
	pthread_mutex_lock(&b);
	pthread_barrier_wait(&both_hold);
	pthread_mutex_lock(&a);
	pthread_mutex_unlock(&a);
	pthread_mutex_unlock(&b);
	return arg;
}

int main(void)
{
	pthread_t t1, t2;

	pthread_barrier_init(&both_hold, NULL, 2);
	if (pthread_create(&t1, NULL, patient, NULL) != 0 ||
	    pthread_create(&t2, NULL, greedy, NULL) != 0)
		return 2;
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	return timed_out ? 0 : 1;
}
