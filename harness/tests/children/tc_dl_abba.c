/* tc_dl_abba.c: a child for test_threadcheck: T1 locks A then B, T2 locks B then A, and a
 * barrier makes sure each holds its first lock before it asks for the second: threadcheck
 * must report the deadlock (both threads, both locks, all four sites) and end the process. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

/* Prints the monotonic time just before the second lock, for the latency measurement. */
static void stamp(const char *who)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%s second lock at %lld\n", who, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	fflush(stdout);
}

static void *forward(void *arg)
{
	pthread_mutex_lock(&a); /* @t1-holds-a */
	pthread_barrier_wait(&both_hold);
	stamp("T1");
	pthread_mutex_lock(&b); /* @t1-waits-b */
	pthread_mutex_unlock(&b);
	pthread_mutex_unlock(&a);
	return arg;
}

static void *backward(void *arg)
{
	pthread_mutex_lock(&b); /* @t2-holds-b */
	pthread_barrier_wait(&both_hold);
	stamp("T2");
	pthread_mutex_lock(&a); /* @t2-waits-a */
	pthread_mutex_unlock(&a);
	pthread_mutex_unlock(&b);
	return arg;
}

int main(void)
{
	pthread_t t1, t2;

	printf("lock-a object %p\nlock-b object %p\n", (void *)&a, (void *)&b);
	fflush(stdout);
	pthread_barrier_init(&both_hold, NULL, 2);
	if (pthread_create(&t1, NULL, forward, NULL) != 0)
		return 2;
	if (pthread_create(&t2, NULL, backward, NULL) != 0)
		return 2;
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	return 0;
}
