/* wake_exit.c: not a latent bug but a trap for the explorer: main opens a gate that a
 * detached helper waits on, and returns at once; the helper, woken but not yet run when the
 * explorer stops at exit, must finish freely (no thread leak). Not in expect.txt. */
#include "latent.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
static int open_;

static void *helper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	while (!open_)
		pthread_cond_wait(&gate, &m);
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_t t;
	start_all(&t, 1, helper);
	pthread_detach(t);
	pthread_mutex_lock(&m);
	open_ = 1;
	pthread_cond_broadcast(&gate);
	pthread_mutex_unlock(&m);
	return 0;
}
