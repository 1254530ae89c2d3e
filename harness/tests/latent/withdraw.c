/* withdraw.c: check-then-act across two critical sections: two withdrawals both see enough
 * money (atomicity violation, depth 2, 2 threads). FIXED: check and act in one section. */
#include "latent.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int balance = 100;

static void *withdraw(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	int enough = balance >= 80;
#ifndef FIXED
	pthread_mutex_unlock(&m);
	pthread_mutex_lock(&m);
#endif
	if (enough)
		balance -= 80;
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	start_all(t, 2, withdraw);
	join_all(t, 2);
	CHECK(balance >= 0, "overdrawn: balance %d", balance);
	return 0;
}
