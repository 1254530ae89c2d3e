/* tc_dl_quiet_trylock.c: a child for test_threadcheck that must stay silent: the ABBA of
 * tc_dl_abba, except that T1 asks for its second lock with trylock and backs off (releases
 * its first lock) when it is busy, so T2 gets through and the program ends. */
#include <pthread.h>
#include <time.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void nap(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static void *polite(void *arg)
{
	int first = 1;

	for (;;) {
		pthread_mutex_lock(&a);
		if (first) {
			pthread_barrier_wait(&both_hold);
			first = 0;
			nap(); /* T2 is now blocked on a, which we hold */
		}
		if (pthread_mutex_trylock(&b) == 0)
			break;
		pthread_mutex_unlock(&a);
		nap();
	}
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
	if (pthread_create(&t1, NULL, polite, NULL) != 0 ||
	    pthread_create(&t2, NULL, greedy, NULL) != 0)
		return 2;
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	return 0;
}
