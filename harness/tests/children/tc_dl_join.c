/* tc_dl_join.c: a child for test_threadcheck: main joins T1 while T1 joins main: a join
 * cycle. */
#include <pthread.h>

static pthread_t main_thread;

static void *join_main(void *arg)
{
	pthread_join(main_thread, NULL); /* @t1-join */
	return arg;
}

int main(void)
{
	pthread_t t;

	main_thread = pthread_self();
	if (pthread_create(&t, NULL, join_main, NULL) != 0)
		return 2;
	pthread_join(t, NULL); /* @main-join */
	return 0;
}
