/* threadlab_canary.c: linked into every graded program and test: a data race and a leaked thread that TSan, Helgrind and threadcheck must each report, proving the tool was alive for the whole run. */
/* The grader takes these findings out of what it shows (they are recognised by this file's
 * name) and treats a run that ended without them as one the program interfered with: a
 * detector switched off, or its report cut or rewritten, from inside the process. Nothing
 * here is the student's code, and nothing here affects the lab's own threads. */
#include <pthread.h>
#include <stdlib.h>

/* The raced-on word. Not static, so that no compiler reasons the accesses away. */
int threadlab_canary_word;

static pthread_mutex_t threadlab_canary_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t threadlab_canary_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t threadlab_canary_started = PTHREAD_COND_INITIALIZER;
static int threadlab_canary_waiting;

static void *threadlab_canary_racer(void *arg)
{
	threadlab_canary_word++; /* races with the same line in the constructor's thread */
	return arg;
}

/* Blocks for ever on a condition nobody signals: the leaked thread threadcheck must find. */
static void *threadlab_canary_sleeper(void *arg)
{
	pthread_mutex_lock(&threadlab_canary_mutex);
	threadlab_canary_waiting = 1;
	pthread_cond_signal(&threadlab_canary_started);
	for (;;)
		pthread_cond_wait(&threadlab_canary_cond, &threadlab_canary_mutex);
	return arg;
}

/* At exit, before threadcheck's own exit analysis (threadcheck registers its handler first,
 * so it runs last): leaves one thread blocked. Returns once that thread is inside its wait:
 * this wait gets the mutex back only then. It waits rather than polls, because under
 * threadcheck's schedule explorer, still running here, a poll that yields keeps the turn and
 * the new thread would never start. */
static void threadlab_canary_leak(void)
{
	pthread_t t;
	pthread_mutex_lock(&threadlab_canary_mutex);
	if (pthread_create(&t, NULL, threadlab_canary_sleeper, NULL) == 0)
		while (!threadlab_canary_waiting)
			pthread_cond_wait(&threadlab_canary_started, &threadlab_canary_mutex);
	pthread_mutex_unlock(&threadlab_canary_mutex);
}

/* Before main: the race, between two threads that nothing orders, then the exit hook. */
__attribute__((constructor)) static void threadlab_canary_start(void)
{
	pthread_t t[2];
	int made[2];
	for (int i = 0; i < 2; i++)
		made[i] = pthread_create(&t[i], NULL, threadlab_canary_racer, NULL) == 0;
	for (int i = 0; i < 2; i++)
		if (made[i])
			pthread_join(t[i], NULL);
	(void)atexit(threadlab_canary_leak);
}
