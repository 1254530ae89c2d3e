/* trylock_backoff.c: two threads take two locks in opposite orders, but never wait for the
 * second one: they try it, and when it is taken let go of the first and sleep before trying
 * again. The first time, both hold their first lock before either tries its second (a
 * barrier). Correct; a schedule that never lets a sleeping thread's rival run livelocks it. */
#include <pthread.h>
#include <time.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;
static long total;
static int forward_one = 1;

static void take_both(pthread_mutex_t *first, pthread_mutex_t *second, int meet)
{
	pthread_mutex_lock(first);
	if (meet)
		pthread_barrier_wait(&both_hold_one);
	while (pthread_mutex_trylock(second) != 0) {
		pthread_mutex_unlock(first);
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 }, NULL);
		pthread_mutex_lock(first);
	}
}

static void *worker(void *arg)
{
	int forward = arg != NULL;

	for (int i = 0; i < 20; i++) {
		take_both(forward ? &a : &b, forward ? &b : &a, i == 0);
		total++;
		pthread_mutex_unlock(&a);
		pthread_mutex_unlock(&b);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[2];

	pthread_barrier_init(&both_hold_one, NULL, 2);
	pthread_create(&t[0], NULL, worker, &forward_one);
	pthread_create(&t[1], NULL, worker, NULL);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	return total == 40 ? 0 : 1;
}
