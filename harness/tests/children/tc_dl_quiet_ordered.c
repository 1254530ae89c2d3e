/* tc_dl_quiet_ordered.c: a child for test_threadcheck that must stay silent: four threads
 * take two mutexes always in the same order, a recursive mutex twice, a rwlock, and hand
 * work over a condition variable, under heavy contention. */
#include <pthread.h>

static pthread_mutex_t first = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t second = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rec;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t qmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcv = PTHREAD_COND_INITIALIZER;
static long counter, counter_rec, items;

static void *worker(void *arg)
{
	for (int i = 0; i < 20000; i++) {
		pthread_mutex_lock(&first);
		pthread_mutex_lock(&second);
		counter++;
		pthread_mutex_unlock(&second);
		pthread_mutex_unlock(&first);
		pthread_mutex_lock(&rec);
		pthread_mutex_lock(&rec);
		counter_rec++;
		pthread_mutex_unlock(&rec);
		pthread_mutex_unlock(&rec);
		if (i % 2) {
			pthread_rwlock_rdlock(&rw);
			pthread_rwlock_unlock(&rw);
		} else {
			pthread_rwlock_wrlock(&rw);
			pthread_rwlock_unlock(&rw);
		}
		if (i % 100 == 0) {
			pthread_mutex_lock(&qmu);
			items++;
			pthread_cond_signal(&qcv);
			pthread_mutex_unlock(&qmu);
		}
	}
	return arg;
}

int main(void)
{
	pthread_mutexattr_t attr;
	pthread_t t[4];

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rec, &attr);
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0)
			return 2;
	pthread_mutex_lock(&qmu);
	while (items < 4 * 200)
		pthread_cond_wait(&qcv, &qmu);
	pthread_mutex_unlock(&qmu);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return counter == 4L * 20000 && counter_rec == counter ? 0 : 1;
}
