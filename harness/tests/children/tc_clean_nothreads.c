/* tc_clean_nothreads.c: a child for test_threadcheck: a program without threads (it still
 * takes a lock): threadcheck stays silent and the exit status is the program's own. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

int main(void)
{
	pthread_mutex_lock(&mu);
	puts("no threads here");
	pthread_mutex_unlock(&mu);
	return 0;
}
