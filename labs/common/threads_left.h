/* threads_left.h: the lab tests' check that a test left no thread behind (threadcheck's test API), as a cmocka failure. */
#ifndef LABS_THREADS_LEFT_H
#define LABS_THREADS_LEFT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "threadcheck.h"

/* Room for threadcheck's list of the threads left. */
#define THREADS_LEFT_REPORT 8192

/* Fails the running test when a thread that BASE did not list is still alive after a second's
 * grace (threads that are just returning): "N thread(s) still alive WHEN:" and the list, cut to
 * REPORT_LEN bytes (at most THREADS_LEFT_REPORT). Also fails when the threads cannot be listed.
 * Like cmocka's own assertions, the failure is reported at the caller's line. */
#define assert_no_thread_left_when(base, when, report_len) \
	threads_left_check((base), (when), (report_len), __FILE__, __LINE__)

static inline void threads_left_check(const struct tc_baseline *base, const char *when, size_t report_len,
				      const char *file, int line)
{
	static char report[THREADS_LEFT_REPORT];
	struct tc_options opt = {.settle_seconds = 1.0};
	if (report_len > sizeof(report))
		report_len = sizeof(report);
	report[0] = '\0';
	int left = tc_verify_none(base, &opt, report, report_len);

	if (left < 0) {
		print_error("ERROR: threadcheck could not list this process's threads\n");
		_fail(file, line);
	}
	if (left > 0) {
		print_error("ERROR: %d thread(s) still alive %s:\n%s\n", left, when, report);
		_fail(file, line);
	}
}

#endif
