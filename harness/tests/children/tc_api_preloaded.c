/* tc_api_preloaded.c: a child for test_threadcheck that runs the test API (tc_api.c, built
 * into this program) under libthreadcheck.so: the report must then name the leaked thread's
 * start function, creation site and wait, and the ignore lists must work. Exit 0 when every
 * check holds, 1 (with the failed check on stderr) when one does not. */
#include "../../threadcheck/tc_api.c"

#include <stdio.h>
#include <string.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int parked_now, released;

static void *parked(void *arg)
{
	pthread_mutex_lock(&mu);
	parked_now = 1;
	pthread_cond_broadcast(&cv);
	while (!released)
		pthread_cond_wait(&cv, &mu); /* @wait */
	pthread_mutex_unlock(&mu);
	return arg;
}

#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			return 1;                                                           \
		}                                                                           \
	} while (0)

int main(void)
{
	static char report[8192];
	static const char *const by_start[] = { "parked", NULL };
	static const char *const by_creator[] = { "main", NULL };
	struct tc_options quick = { 0.1, NULL, NULL };
	struct tc_options skip_start = { 0.1, by_start, NULL };
	struct tc_options skip_creator = { 0.1, NULL, by_creator };
	pthread_t t;

	CHECK(tc_preloaded() == 1);
	CHECK(pthread_create(&t, NULL, parked, NULL) == 0); /* @create */
	pthread_mutex_lock(&mu);
	while (!parked_now)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);

	CHECK(tc_verify_none(NULL, &quick, report, sizeof report) == 1);
	fputs(report, stdout);
	CHECK(strstr(report, "T1 runs parked") != NULL);
	CHECK(strstr(report, "blocked on cond") != NULL);
	CHECK(tc_verify_none(NULL, &skip_start, report, sizeof report) == 0);
	CHECK(tc_verify_none(NULL, &skip_creator, report, sizeof report) == 0);

	pthread_mutex_lock(&mu);
	released = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(tc_verify_none(NULL, &quick, report, sizeof report) == 0);
	CHECK(report[0] == '\0');
	return 0;
}
