/* tc_misuse.c: a child for test_threadcheck: one pthread misuse, picked by TC_CASE
 * ("unlock-not-owner", "unlock-unlocked", "destroy-locked", "cond-wait-unlocked",
 * "join-detached", "join-twice", "exit-holding-lock", "init-twice", "init-held",
 * "detach-joined", "detach-detached", "detach-invalid", "cond-invalid"), or "clean": the
 * correct twin of each (pairs of lock and unlock, a cond wait under its mutex, one join per
 * thread, a recursive relock, a destroy after the unlock, a mutex freed or gone out of scope
 * without a destroy and a new one initialised at its address, a C11 thread detached with
 * pthread_detach, a signal on a zeroed cond),
 * or a correct program that looked like a misuse: "exit-cleanup" (pthread_exit with a lock
 * that a cleanup handler releases), "exit-destructor" (a thread-specific destructor
 * releases it). The line of each misuse is marked for the test. */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t global;  /* set up with pthread_mutex_init only */
static pthread_mutex_t *heap_mutex;
static pthread_key_t key;
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

static void unlock_it(void *mutex)
{
	pthread_mutex_unlock(mutex);
}

/* Leaves through pthread_exit with m2 held; its cleanup handler releases it. */
static void *exits_cleanly(void *arg)
{
	pthread_mutex_lock(&m2);
	pthread_cleanup_push(unlock_it, &m2);
	pthread_exit(arg);
	pthread_cleanup_pop(0);
	return arg;
}

/* Returns with m2 held; the destructor of a key it set releases it. */
static void *leaves_to_destructor(void *arg)
{
	pthread_mutex_lock(&m2);
	pthread_setspecific(key, &m2);
	return arg;
}

/* Holds *heap_mutex until main is done with it. */
static void *holds_heap(void *arg)
{
	pthread_mutex_lock(heap_mutex); /* @holds-heap */
	sem_post(&ready);
	sem_wait(&done);
	pthread_mutex_unlock(heap_mutex);
	return arg;
}

/* Waits on cv once, so that it is a condvar in use. */
static void *waits_once(void *arg)
{
	pthread_mutex_lock(&m);
	sem_post(&ready);
	while (!atomic_load(&woke))
		pthread_cond_wait(&cv, &m);
	pthread_mutex_unlock(&m);
	return arg;
}

/* Says whether MUTEX is free (trylock returned 0), and leaves it free. */
static void relock(pthread_mutex_t *mutex)
{
	int rc = pthread_mutex_trylock(mutex);

	printf("relock returned %d\n", rc);
	if (rc == 0)
		pthread_mutex_unlock(mutex);
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

/* A mutex on the stack, initialised and used but never destroyed: the next call puts a new
 * one at the same address. */
static void scoped_mutex(void)
{
	pthread_mutex_t local;

	pthread_mutex_init(&local, NULL);
	pthread_mutex_lock(&local);
	pthread_mutex_unlock(&local);
}

static int c11_thread(void *arg)
{
	(void)arg;
	return 0;
}

static atomic_int quick_tid;

static void *quick_tid_fn(void *arg)
{
	atomic_store(&quick_tid, (int)gettid());
	return arg;
}

/* A C11 thread, which glibc starts without going through pthread_create's symbol, detached
 * with pthread_detach (glibc's thrd_t is its pthread_t): a thread threadcheck never saw, and
 * no misuse. It is started once a detached thread has ended, so that glibc gives it that
 * thread's descriptor, and handle, again. */
static void detach_c11(void)
{
	pthread_t old = start(quick_tid_fn, 1);
	char path[64];
	thrd_t t;

	for (int i = 0; i < 5000; i++) {
		snprintf(path, sizeof path, "/proc/self/task/%d", atomic_load(&quick_tid));
		if (atomic_load(&quick_tid) != 0 && access(path, F_OK) != 0)
			break;
		nap_ms(1);
	}
	if (thrd_create(&t, c11_thread, NULL) != thrd_success)
		exit(2);
	printf("c11 thread %s a detached thread's handle\n",
	       (pthread_t)t == old ? "reuses" : "does not reuse");
	printf("c11 detach returned %d\n", pthread_detach((pthread_t)t));
}

/* Mutexes that are initialised again at the same address, each time correctly. */
static void clean_inits(void)
{
	pthread_mutex_t *heap = malloc(sizeof *heap), *again;

	scoped_mutex();
	scoped_mutex();
	pthread_mutex_init(heap, NULL);
	pthread_mutex_lock(heap);
	pthread_mutex_unlock(heap);
	free(heap); /* no destroy: glibc's destroy does nothing, and programs skip it */
	again = malloc(sizeof *again);
	pthread_mutex_init(again, NULL);
	printf("heap mutex %s\n", again == heap ? "reused" : "moved");
	free(again);
	pthread_mutex_init(&global, NULL);
	pthread_mutex_destroy(&global);
	pthread_mutex_init(&global, NULL);
}

static void clean(void)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t rec, own;
	pthread_cond_t zeroed;
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
	clean_inits();
	detach_c11();
	/* All zeros is what PTHREAD_COND_INITIALIZER is: a valid condvar with no waiter. */
	memset(&zeroed, 0, sizeof zeroed);
	printf("zeroed signal returned %d\n", pthread_cond_signal(&zeroed));
}

/* The misuses of pthread_mutex_init, pthread_detach and a cond's bytes; K names one. Returns
 * 0, or 2 for an unknown K. */
static int misuse_more(const char *k)
{
	pthread_t t;

	if (strcmp(k, "init-twice") == 0) {
		pthread_mutex_init(&global, NULL); /* @init-first */
		pthread_mutex_lock(&global);
		pthread_mutex_unlock(&global);
		pthread_mutex_init(&global, NULL); /* @init-twice */
	} else if (strcmp(k, "init-held") == 0) {
		heap_mutex = malloc(sizeof *heap_mutex);
		pthread_mutex_init(heap_mutex, NULL);
		printf("heap object %p\n", (void *)heap_mutex);
		t = start(holds_heap, 0);
		sem_wait(&ready);
		pthread_mutex_init(heap_mutex, NULL); /* @init-held */
		sem_post(&done);
		pthread_join(t, NULL);
	} else if (strcmp(k, "detach-joined") == 0) {
		t = start(quick, 0);
		pthread_join(t, NULL);
		printf("detach returned %d\n", pthread_detach(t)); /* @detach-joined */
	} else if (strcmp(k, "detach-detached") == 0) {
		t = start(holder, 1);
		sem_wait(&ready);
		printf("detach returned %d\n", pthread_detach(t)); /* @detach-detached */
		sem_post(&done);
	} else if (strcmp(k, "detach-invalid") == 0) {
		/* Not a handle pthread_create ever gave out: glibc would follow it and crash. */
		printf("detach returned %d\n", pthread_detach((pthread_t)0x1234)); /* @detach-invalid */
	} else if (strcmp(k, "cond-invalid") == 0) {
		t = start(waits_once, 0);
		sem_wait(&ready);
		pthread_mutex_lock(&m);
		atomic_store(&woke, 1);
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&m);
		pthread_join(t, NULL);
		/* Stray writes over the condvar, each breaking one thing glibc keeps true. */
		memset(&cv, 0xa5, sizeof cv);
		printf("signal returned %d\n", pthread_cond_signal(&cv)); /* @cond-signal */
		memset(&cv, 0, sizeof cv);
		cv.__data.__g1_orig_size = 3;
		printf("broadcast returned %d\n", pthread_cond_broadcast(&cv)); /* @cond-broadcast */
		memset(&cv, 0, sizeof cv);
		memset((char *)&cv + offsetof(pthread_cond_t, __data.__g1_start), 0x04, 1);
		printf("signal returned %d\n", pthread_cond_signal(&cv)); /* @cond-order */
	} else {
		return 2;
	}
	return 0;
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
	} else if (strcmp(k, "exit-cleanup") == 0) {
		pthread_join(start(exits_cleanly, 0), NULL);
		relock(&m2);
	} else if (strcmp(k, "exit-destructor") == 0) {
		pthread_key_create(&key, unlock_it);
		pthread_join(start(leaves_to_destructor, 0), NULL);
		relock(&m2);
	} else if (strcmp(k, "clean") == 0) {
		clean();
	} else {
		return misuse_more(k);
	}
	return 0;
}
