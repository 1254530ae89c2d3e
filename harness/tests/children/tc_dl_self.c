/* tc_dl_self.c: a child for test_threadcheck: the only thread locks a normal mutex it
 * already holds (and, before that, relocks a recursive one, which is fine): threadcheck must
 * report a self-deadlock even though no thread was ever created. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER;

int main(void)
{
	pthread_mutex_t rec;
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rec, &attr);
	pthread_mutex_lock(&rec);
	pthread_mutex_lock(&rec);
	pthread_mutex_unlock(&rec);
	pthread_mutex_unlock(&rec);
	printf("mutex object %p\n", (void *)&plain);
	fflush(stdout);
	pthread_mutex_lock(&plain); /* @first */
	pthread_mutex_lock(&plain); /* @again */
	return 0;
}
