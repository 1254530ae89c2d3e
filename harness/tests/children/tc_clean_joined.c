/* tc_clean_joined.c: a child for test_threadcheck: workers use a mutex, a condition variable,
 * a rwlock, a semaphore and a barrier, and main joins them all: threadcheck stays silent. */
#include <pthread.h>
#include <semaphore.h>

#define NW 4

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t bar;
static sem_t sem;
static int arrived, total;

static void *worker(void *arg)
{
	pthread_barrier_wait(&bar);
	sem_wait(&sem);
	pthread_mutex_lock(&mu);
	arrived++;
	pthread_cond_broadcast(&cv);
	while (arrived < NW)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	pthread_rwlock_wrlock(&rw);
	total++;
	pthread_rwlock_unlock(&rw);
	pthread_rwlock_rdlock(&rw);
	pthread_rwlock_unlock(&rw);
	return arg;
}

int main(void)
{
	pthread_t t[NW];
	void *ret;

	pthread_barrier_init(&bar, NULL, NW);
	sem_init(&sem, 0, 0);
	for (int i = 0; i < NW; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0)
			return 2;
	for (int i = 0; i < NW; i++)
		sem_post(&sem);
	pthread_join(t[0], &ret);
	while (pthread_tryjoin_np(t[1], &ret) != 0)
		;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	if (pthread_timedjoin_np(t[2], &ret, &until) != 0)
		return 3;
	pthread_join(t[3], &ret);
	return total == NW ? 0 : 4;
}
