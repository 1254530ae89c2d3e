/* tc_misuse.c: a child for test_threadcheck: one pthread misuse, picked by TC_CASE
 * ("unlock-not-owner", "unlock-unlocked", "destroy-locked", "cond-wait-unlocked",
 * "join-detached", "join-twice", "exit-holding-lock"), or "clean": the correct twin of each
 * (pairs of lock and unlock, a cond wait under its mutex, one join per thread, a recursive
 * relock, a destroy after the unlock). The line of each misuse is marked for the test. */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static sem_t ready, done;
static atomic_int woke;

static void nap_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Holds m until main is done with it. */
static void *holder(void *arg)
{
	pthread_mutex_lock(&m); /* @holder-lock */
	sem_post(&ready);
	sem_wait(&done);
	pthread_mutex_unlock(&m);
	return arg;
}

/* Signals cv until main says it woke up. */
static void *waker(void *arg)
{
	while (!atomic_load(&woke)) {
		nap_ms(10);
		pthread_mutex_lock(&m);
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&m);
	}
	return arg;
}

static void *quick(void *arg)
{
	sem_post(&ready);
	return arg;
}

static void *keeps_lock(void *arg)
{
	pthread_mutex_lock(&m); /* @keeps-lock */
	return arg;
}

static void *exits_with_lock(void *arg)
{
	pthread_mutex_lock(&m2); /* @exits-lock */
	pthread_exit(arg); /* @exit-call */
}

/* Starts START; DETACHED makes it detached from the start. Exits on failure. */
static pthread_t start(void *(*fn)(void *), int detached)
{
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	if (detached)
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, fn, NULL) != 0)
		exit(2);
	pthread_attr_destroy(&attr);
	return t;
}

static void clean(void)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t rec, own;
	pthread_t t;

	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rec, &attr);
	pthread_mutex_lock(&rec);
	pthread_mutex_lock(&rec);
	pthread_mutex_unlock(&rec);
	pthread_mutex_unlock(&rec);
	pthread_mutex_destroy(&rec);
	pthread_mutex_init(&own, NULL);
	if (pthread_mutex_trylock(&own) == 0)
		pthread_mutex_unlock(&own);
	pthread_mutex_destroy(&own);
	t = start(waker, 0);
	pthread_mutex_lock(&m);
	pthread_cond_wait(&cv, &m);
	pthread_mutex_unlock(&m);
	atomic_store(&woke, 1);
	printf("join returned %d\n", pthread_join(t, NULL));
	t = start(holder, 0);
	sem_wait(&ready);
	sem_post(&done);
	pthread_join(t, NULL);
	start(quick, 1);
	sem_wait(&ready);
}

int main(void)
{
	const char *k = getenv("TC_CASE");
	pthread_t t;

	if (k == NULL)
		return 2;
	sem_init(&ready, 0, 0);
	sem_init(&done, 0, 0);
	printf("mutex object %p\n", (void *)&m);
	fflush(stdout);
	if (strcmp(k, "unlock-not-owner") == 0) {
		t = start(holder, 0);
		sem_wait(&ready);
		pthread_mutex_unlock(&m); /* @unlock-not-owner */
		sem_post(&done);
		pthread_join(t, NULL);
	} else if (strcmp(k, "unlock-unlocked") == 0) {
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
		pthread_mutex_unlock(&m); /* @unlock-unlocked */
	} else if (strcmp(k, "destroy-locked") == 0) {
		pthread_mutex_lock(&m); /* @destroy-lock */
		printf("destroy returned %d\n", pthread_mutex_destroy(&m)); /* @destroy-locked */
		pthread_mutex_unlock(&m);
	} else if (strcmp(k, "cond-wait-unlocked") == 0) {
		t = start(waker, 0);
		pthread_cond_wait(&cv, &m); /* @cond-wait-unlocked */
		/* The wait gave the mutex back locked. */
		pthread_mutex_unlock(&m);
		atomic_store(&woke, 1);
		pthread_join(t, NULL);
	} else if (strcmp(k, "join-detached") == 0) {
		t = start(quick, 1);
		sem_wait(&ready);
		nap_ms(50); /* it has finished: its handle may point to freed memory */
		printf("join returned %d\n", pthread_join(t, NULL)); /* @join-detached */
	} else if (strcmp(k, "join-twice") == 0) {
		t = start(quick, 0);
		pthread_join(t, NULL);
		printf("join returned %d\n", pthread_join(t, NULL)); /* @join-twice */
	} else if (strcmp(k, "exit-holding-lock") == 0) {
		pthread_join(start(keeps_lock, 0), NULL);
		pthread_join(start(exits_with_lock, 0), NULL);
	} else if (strcmp(k, "clean") == 0) {
		clean();
	} else {
		return 2;
	}
	return 0;
}
