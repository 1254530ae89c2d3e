/* rw_upgrade.c: a reservation checks for a free seat under the read lock and takes it under
 * the write lock (check-then-act, depth 2, 2 threads). FIXED: check again under the write
 * lock. */
#include "latent.h"

static pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
static int seats = 1, sold;

static void *reserve(void *arg)
{
	(void)arg;
	pthread_rwlock_rdlock(&l);
	int free_seat = seats > 0;
	pthread_rwlock_unlock(&l);
	if (!free_seat)
		return NULL;
	pthread_rwlock_wrlock(&l);
#ifdef FIXED
	if (seats > 0) {
#else
	{
#endif
		seats--;
		sold++;
	}
	pthread_rwlock_unlock(&l);
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	start_all(t, 2, reserve);
	join_all(t, 2);
	CHECK(sold <= 1, "sold %d tickets for one seat", sold);
	return 0;
}
