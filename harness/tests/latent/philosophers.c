/* philosophers.c: 5 philosophers each take the left fork, then the right; all holding their
 * left fork at once is a cycle of 5 (deadlock, depth 5 in the worst case, 5 threads; the
 * schedule needs every thread preempted in one window). FIXED: the last one takes the right
 * fork first. */
#include "latent.h"

#define N 5
static pthread_mutex_t fork_[N];

static void *dine(void *arg)
{
	int i = (int)(long)arg, left = i, right = (i + 1) % N;
#ifdef FIXED
	if (i == N - 1) {
		left = right;
		right = i;
	}
#endif
	pthread_mutex_lock(&fork_[left]);
	pthread_mutex_lock(&fork_[right]);
	pthread_mutex_unlock(&fork_[right]);
	pthread_mutex_unlock(&fork_[left]);
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	for (int i = 0; i < N; i++)
		pthread_mutex_init(&fork_[i], NULL);
	start_all(t, N, dine);
	join_all(t, N);
	return 0;
}
