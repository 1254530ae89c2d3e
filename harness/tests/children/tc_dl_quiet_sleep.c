/* tc_dl_quiet_sleep.c: a child for test_threadcheck that must stay silent: main joins, T1
 * sleeps in nanosleep, T2 is blocked reading a pipe that T1 writes after its nap. Nobody is
 * in a blocking call of the tracked kind except main, so this is no deadlock. */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static int fds[2];

static void *napper(void *arg)
{
	struct timespec ts = { 0, 400 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	if (write(fds[1], "x", 1) != 1)
		return (void *)1;
	return arg;
}

static void *reader(void *arg)
{
	char c;

	if (read(fds[0], &c, 1) != 1)
		return (void *)1;
	return arg;
}

int main(void)
{
	pthread_t t1, t2;
	void *r1, *r2;

	if (pipe(fds) != 0)
		return 2;
	if (pthread_create(&t1, NULL, napper, NULL) != 0 ||
	    pthread_create(&t2, NULL, reader, NULL) != 0)
		return 2;
	pthread_join(t2, &r2);
	pthread_join(t1, &r1);
	return r1 == NULL && r2 == NULL ? 0 : 1;
}
