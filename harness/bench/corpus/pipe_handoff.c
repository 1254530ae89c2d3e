/* pipe_handoff.c: a worker fills a buffer and tells main through a pipe that it may read it. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int fds[2];
static char buffer[32];

static void *worker(void *arg)
{
	(void)arg;
	snprintf(buffer, sizeof buffer, "ready");
	char c = 1;
	if (write(fds[1], &c, 1) != 1)
		return NULL;
	return NULL;
}

int main(void)
{
	pthread_t t;
	char c;
	if (pipe(fds) != 0)
		return 1;
	pthread_create(&t, NULL, worker, NULL);
	if (read(fds[0], &c, 1) == 1)
		puts(buffer);
	pthread_join(t, NULL);
	return 0;
}
