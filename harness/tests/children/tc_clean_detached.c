/* tc_clean_detached.c: a child for test_threadcheck: one thread detached through its
 * attributes and one through pthread_detach finish on their own, main does not wait for
 * them to end: after the settle threadcheck stays silent. */
#include <pthread.h>

static _Atomic int work;

static void *brief(void *arg)
{
	for (int i = 0; i < 1000; i++)
		work += i;
	return arg;
}

int main(void)
{
	pthread_attr_t attr;
	pthread_t a, b;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&a, &attr, brief, NULL) != 0)
		return 2;
	pthread_attr_destroy(&attr);
	if (pthread_create(&b, NULL, brief, NULL) != 0)
		return 2;
	pthread_detach(b);
	return 0;
}
