/* tc_dl_quiet_edeadlk.c: a child for test_threadcheck that must stay silent: while another
 * thread exists, main makes the calls that glibc refuses with EDEADLK instead of blocking
 * (a join of itself, an errorcheck mutex and a write lock relocked by their owner, a read
 * lock asked by the writer). Each would close a cycle of one thread, so a detector that
 * believed the wait it publishes before the call would report a deadlock that never forms. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static sem_t go;

static void *parked(void *arg)
{
	sem_wait(&go);
	return arg;
}

int main(void)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t m;
	pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
	pthread_t t;
	int bad = 0;

	sem_init(&go, 0, 0);
	if (pthread_create(&t, NULL, parked, NULL) != 0)
		return 2;
	bad |= pthread_join(pthread_self(), NULL) != EDEADLK;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &attr);
	pthread_mutex_lock(&m);
	bad |= pthread_mutex_lock(&m) != EDEADLK;
	pthread_mutex_unlock(&m);
	pthread_rwlock_wrlock(&l);
	bad |= pthread_rwlock_wrlock(&l) != EDEADLK;
	bad |= pthread_rwlock_rdlock(&l) != EDEADLK;
	pthread_rwlock_unlock(&l);
	sem_post(&go);
	pthread_join(t, NULL);
	if (bad)
		printf("a call did not return EDEADLK\n");
	return bad;
}
