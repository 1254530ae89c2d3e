/* stall_pipe.c: not a latent bug but the explorer's blind spot: the main thread blocks in
 * read() on a pipe that a second thread fills, a call the explorer does not see. The run must
 * still end (its stall fallback hands the turn on). Not in expect.txt. */
#include "latent.h"

#include <unistd.h>

static int fds[2];
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *writer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	CHECK(write(fds[1], "x", 1) == 1, "write failed");
	return NULL;
}

int main(void)
{
	pthread_t t;
	char c;
	CHECK(pipe(fds) == 0, "pipe failed");
	start_all(&t, 1, writer);
	CHECK(read(fds[0], &c, 1) == 1, "read failed");
	join_all(&t, 1);
	return 0;
}
