/* check.c: the part of the checked wrappers that annotates for Helgrind, kept out of check.h. */
#include "check.h"

/* Helgrind 3.19 does not model pthread_once, and would otherwise report the once-initialised
 * data as raced in a correct program; the annotations say what pthread_once orders. They are
 * no-ops outside Valgrind. They stay in this file, lab-owned code: the anti-tamper scan refuses
 * Valgrind's headers and client requests in a student's file, which could otherwise order any
 * two accesses and hide a real race. */
#if defined(__has_include)
#if __has_include(<valgrind/helgrind.h>)
#include <valgrind/helgrind.h>
#endif
#endif
#ifndef ANNOTATE_HAPPENS_BEFORE
#define ANNOTATE_HAPPENS_BEFORE(obj) ((void)(obj))
#define ANNOTATE_HAPPENS_AFTER(obj) ((void)(obj))
#endif

/* The init routine and its once object, for the thread that runs the routine: pthread_once
 * passes no argument, and only the calling thread ever runs it. */
static _Thread_local void (*check_once_fn_)(void);
static _Thread_local pthread_once_t *check_once_obj_;

static void check_once_trampoline_(void)
{
	check_once_fn_();
	ANNOTATE_HAPPENS_BEFORE(check_once_obj_);
}

void check_once_(pthread_once_t *once, void (*fn)(void), const char *file, int line)
{
	check_once_fn_ = fn;
	check_once_obj_ = once;
	int rc = pthread_once(once, check_once_trampoline_);
	if (rc != 0) {
		fprintf(stderr, "%s:%d: pthread_once failed: %s\n", file, line, strerror(rc));
		abort();
	}
	ANNOTATE_HAPPENS_AFTER(once);
}
