/* tc_order.c: a child for test_threadcheck: lock orders that never deadlock in this run but
 * may or may not in another, picked by TC_CASE: "abba" (T1 takes A then B, later T2 takes B
 * then A), "gated" (the same under a gate lock G), "single" (one thread takes A then B, then
 * B then A), "three" (A->B, B->C, C->A in three threads), "clean" (one order everywhere, a
 * recursive relock, read locks taken in both orders). Threads run one after the other. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t c = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t g = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rec;
static pthread_rwlock_t r1 = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t r2 = PTHREAD_RWLOCK_INITIALIZER;

static void *abba_forward(void *arg)
{
	pthread_mutex_lock(&a); /* @abba-t1-a */
	pthread_mutex_lock(&b); /* @abba-t1-b */
	pthread_mutex_unlock(&b);
	pthread_mutex_unlock(&a);
	return arg;
}

static void *abba_backward(void *arg)
{
	pthread_mutex_lock(&b); /* @abba-t2-b */
	pthread_mutex_lock(&a); /* @abba-t2-a */
	pthread_mutex_unlock(&a);
	pthread_mutex_unlock(&b);
	return arg;
}

static void *gated_forward(void *arg)
{
	pthread_mutex_lock(&g);
	abba_forward(arg);
	pthread_mutex_unlock(&g);
	return arg;
}

static void *gated_backward(void *arg)
{
	pthread_mutex_lock(&g);
	abba_backward(arg);
	pthread_mutex_unlock(&g);
	return arg;
}

/* Takes X then Y. */
static void pair(pthread_mutex_t *x, pthread_mutex_t *y)
{
	pthread_mutex_lock(x); /* @pair-first */
	pthread_mutex_lock(y); /* @pair-second */
	pthread_mutex_unlock(y);
	pthread_mutex_unlock(x);
}

static void *three_ab(void *arg)
{
	pair(&a, &b);
	return arg;
}

static void *three_bc(void *arg)
{
	pair(&b, &c);
	return arg;
}

static void *three_ca(void *arg)
{
	pair(&c, &a);
	return arg;
}

static void *clean_worker(void *arg)
{
	pair(&a, &b);
	pthread_mutex_lock(&rec);
	pthread_mutex_lock(&a);
	pthread_mutex_lock(&rec); /* a recursive relock is no new order */
	pthread_mutex_unlock(&rec);
	pthread_mutex_unlock(&a);
	pthread_mutex_unlock(&rec);
	/* Readers do not keep readers out: both orders are fine. */
	if (arg != NULL) {
		pthread_rwlock_rdlock(&r1);
		pthread_rwlock_rdlock(&r2);
	} else {
		pthread_rwlock_rdlock(&r2);
		pthread_rwlock_rdlock(&r1);
	}
	pthread_rwlock_unlock(&r1);
	pthread_rwlock_unlock(&r2);
	return arg;
}

/* Runs START in a thread of its own and waits for it. */
static void run(void *(*start)(void *), void *arg)
{
	pthread_t t;

	if (pthread_create(&t, NULL, start, arg) != 0)
		exit(2);
	pthread_join(t, NULL);
}

int main(void)
{
	const char *k = getenv("TC_CASE");
	pthread_mutexattr_t attr;

	if (k == NULL)
		return 2;
	printf("lock-a object %p\nlock-b object %p\nlock-c object %p\n", (void *)&a, (void *)&b,
	       (void *)&c);
	fflush(stdout);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rec, &attr);
	if (strcmp(k, "abba") == 0) {
		run(abba_forward, NULL);
		run(abba_backward, NULL);
	} else if (strcmp(k, "gated") == 0) {
		run(gated_forward, NULL);
		run(gated_backward, NULL);
	} else if (strcmp(k, "single") == 0) {
		abba_forward(NULL);
		abba_backward(NULL);
	} else if (strcmp(k, "three") == 0) {
		run(three_ab, NULL);
		run(three_bc, NULL);
		run(three_ca, NULL);
	} else if (strcmp(k, "clean") == 0) {
		run(clean_worker, NULL);
		run(clean_worker, &a);
		clean_worker(&a);
	} else {
		return 2;
	}
	return 0;
}
