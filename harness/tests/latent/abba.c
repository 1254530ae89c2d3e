/* abba.c: a latent ABBA deadlock: transfer() locks its two accounts in argument order, and
 * two transfers go opposite ways; the window between the two locks is a few instructions
 * (depth 2, 2 threads). FIXED: lock in address order. */
#include "latent.h"

static pthread_mutex_t acct[2] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER };
static int money[2] = { 50, 50 };

static void transfer(int from, int to, int amount)
{
	int first = from, second = to;
#ifdef FIXED
	if (first > second) {
		first = to;
		second = from;
	}
#endif
	pthread_mutex_lock(&acct[first]);
	pthread_mutex_lock(&acct[second]);
	money[from] -= amount;
	money[to] += amount;
	pthread_mutex_unlock(&acct[second]);
	pthread_mutex_unlock(&acct[first]);
}

static void *mover(void *arg)
{
	long i = (long)arg;
	transfer((int)i, (int)(1 - i), 5);
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	start_all(t, 2, mover);
	join_all(t, 2);
	CHECK(money[0] + money[1] == 100, "money lost");
	return 0;
}
