/* verifier.c: the __VERIFIER_* functions an SV-COMP task calls, for a native run under threadlab.
 *
 * SV-COMP's tasks are written for verifiers, which read these calls as specifications; a native
 * run needs them as code. What each one does here:
 *
 *   __VERIFIER_nondet_T()       a value drawn from SVCOMP_SEED (default 1) and the calling thread's
 *                               own generator: 0 one time in four, 1..16 two times in four, any
 *                               value of T one time in four, so "while (nondet())" loops end soon
 *                               and small bounds are met. Each thread has its own state, so no
 *                               draw makes one thread's accesses ordered before another's.
 *   __VERIFIER_assume(c)        false: the path is not one the task describes; the program ends
 *                               quietly (exit 0). The bench rewrites assume statements into
 *                               "while (!(c)) __svcomp_assume_wait(n)" (see tasks.py), which waits
 *                               for another thread to make c true, and ends the program quietly
 *                               after SVCOMP_ASSUME_MS (default 1000) of waiting.
 *   __VERIFIER_atomic_begin/end one process-wide recursive mutex; __VERIFIER_atomic_* functions
 *                               are made to take it on entry and release it on every exit. This is
 *                               atomic only against other atomic sections, not against plain
 *                               accesses (a mutex cannot give more); README.md says where that
 *                               matters.
 *   pthread_create              tasks.py makes a task's calls go to __svcomp_pthread_create,
 *                               which starts the thread SVCOMP_START_DELAY_US (default 5000)
 *                               late: the creator runs ahead first, the order a verifier also
 *                               explores and the one that shows most races of tasks where the
 *                               new thread would otherwise finish before its creator's access.
 *   (at exit)                   threads that main leaves running get SVCOMP_EXIT_GRACE_MS
 *                               (default 100) to run before the process ends: exit() lets them
 *                               run on while it works, so this is a schedule the program has,
 *                               and the one in which most tasks that never join show their race.
 *   __VERIFIER_error, reach_error, __VERIFIER_assert(0)
 *                               the task's error is reached: a message on stderr, then SIGABRT,
 *                               which every tool reports as a crash. tasks.py renames a task's
 *                               own reach_error (often empty: the task's abort() that follows it
 *                               was the signal) so that calls come here.
 *   abort()                     SV-COMP's tasks call abort() to cut a path short, the way assume
 *                               does ("if (!(c)) abort();", assume_abort_if_not), and right after
 *                               reach_error(). Neither is a failure, so the task's own abort()
 *                               ends the program quietly (exit 0). glibc's internal aborts (a
 *                               failed assert(), heap corruption) do not come here and stay
 *                               crashes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* ---- nondeterministic values ------------------------------------------------------------- */

static _Thread_local uint64_t gen_state;
static _Thread_local int gen_ready;

/* The next 64 bits of this thread's generator (splitmix64), seeded on first use. */
static uint64_t draw(void)
{
	if (!gen_ready) {
		const char *s = getenv("SVCOMP_SEED");
		uint64_t seed = s != NULL ? strtoull(s, NULL, 10) : 1;
		gen_state = seed * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)pthread_self();
		gen_ready = 1;
	}
	uint64_t z = (gen_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* A value as described at the top: 0, 1..16, or all 64 drawn bits, which the caller truncates. */
static uint64_t pick(void)
{
	uint64_t r = draw();
	switch (r & 3) {
	case 0:
		return 0;
	case 1:
	case 2:
		return 1 + (r >> 2) % 16;
	}
	return r >> 2 ^ r << 62;
}

#define NONDET(name, type) \
	type __VERIFIER_nondet_##name(void); \
	type __VERIFIER_nondet_##name(void) { return (type)pick(); }

NONDET(int, int)
NONDET(uint, unsigned int)
NONDET(unsigned_int, unsigned int)
NONDET(long, long)
NONDET(ulong, unsigned long)
NONDET(longlong, long long)
NONDET(ulonglong, unsigned long long)
NONDET(short, short)
NONDET(ushort, unsigned short)
NONDET(char, char)
NONDET(uchar, unsigned char)
NONDET(bool, _Bool)
NONDET(_Bool, _Bool)
NONDET(size_t, size_t)
NONDET(u32, uint32_t)
NONDET(loff_t, long long)

/* A pointer: NULL or the address of a static cell, never memory the task does not own. */
void *__VERIFIER_nondet_pointer(void);
void *__VERIFIER_nondet_pointer(void)
{
	static _Thread_local char cell[64];
	return pick() == 0 ? NULL : cell;
}

float __VERIFIER_nondet_float(void);
float __VERIFIER_nondet_float(void) { return (float)(int)pick(); }

double __VERIFIER_nondet_double(void);
double __VERIFIER_nondet_double(void) { return (double)(int)pick(); }

/* ---- atomic sections ---------------------------------------------------------------------- */

static pthread_mutex_t atomic_mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static _Thread_local int atomic_depth;

void __VERIFIER_atomic_begin(void);
void __VERIFIER_atomic_begin(void)
{
	pthread_mutex_lock(&atomic_mu);
	atomic_depth++;
}

void __VERIFIER_atomic_end(void);
void __VERIFIER_atomic_end(void)
{
	atomic_depth--;
	pthread_mutex_unlock(&atomic_mu);
}

/* The cleanup handler the rewritten __VERIFIER_atomic_* functions attach to a local variable:
 * it runs on every way out of the function, return statements included. */
void __svcomp_atomic_leave(int *unused);
void __svcomp_atomic_leave(int *unused)
{
	(void)unused;
	__VERIFIER_atomic_end();
}

/* ---- assumptions -------------------------------------------------------------------------- */

void __VERIFIER_assume(int cond);
void __VERIFIER_assume(int cond)
{
	if (!cond)
		exit(0);
}

static _Thread_local struct timespec wait_start;

static long ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* One failed check of a rewritten assume (ROUND counts from 0): lets other threads run, with the
 * atomic section released for the while if this thread is in one, and ends the program quietly
 * once the condition has stayed false for SVCOMP_ASSUME_MS. */
void __svcomp_assume_wait(unsigned long round);
void __svcomp_assume_wait(unsigned long round)
{
	if (round == 0)
		clock_gettime(CLOCK_MONOTONIC, &wait_start);
	const char *s = getenv("SVCOMP_ASSUME_MS");
	if (ms_since(&wait_start) > (s != NULL ? atol(s) : 1000))
		exit(0);
	int depth = atomic_depth;
	for (int i = 0; i < depth; i++)
		__VERIFIER_atomic_end();
	struct timespec nap = {0, 100000};
	nanosleep(&nap, NULL);
	sched_yield();
	for (int i = 0; i < depth; i++)
		__VERIFIER_atomic_begin();
}

/* ---- thread start ----------------------------------------------------------------------------- */

struct start {
	void *(*fn)(void *);
	void *arg;
};

/* The new thread's first function: waits out the start delay, then runs the task's routine. */
static void *delayed_start(void *p)
{
	struct start st = *(struct start *)p;
	free(p);
	const char *s = getenv("SVCOMP_START_DELAY_US");
	long us = s != NULL ? atol(s) : 5000;
	struct timespec nap = {us / 1000000, (us % 1000000) * 1000};
	nanosleep(&nap, NULL);
	return st.fn(st.arg);
}

/* pthread_create for the task's calls: the same contract, the thread started late (see top). */
int __svcomp_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int __svcomp_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	struct start *st = malloc(sizeof *st);
	if (st == NULL)
		return EAGAIN;
	st->fn = fn;
	st->arg = arg;
	int rc = pthread_create(t, attr, delayed_start, st);
	if (rc != 0)
		free(st);
	return rc;
}

/* ---- exit ------------------------------------------------------------------------------------ */

/* The atexit handler: sleeps for the grace period, so that threads main did not join run now. */
static void exit_grace(void)
{
	const char *s = getenv("SVCOMP_EXIT_GRACE_MS");
	long ms = s != NULL ? atol(s) : 100;
	struct timespec nap = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&nap, NULL);
}

/* Registered when the program starts, after the tools' own handlers, so it runs before them. */
__attribute__((constructor)) static void register_exit_grace(void)
{
	atexit(exit_grace);
}

/* ---- failures ------------------------------------------------------------------------------ */

/* The task's error: says so on stderr and ends the program with SIGABRT, as abort() would. */
static void error_reached(const char *how)
{
	fprintf(stderr, "svcomp: %s reached\n", how);
	signal(SIGABRT, SIG_DFL);
	raise(SIGABRT);
	_exit(134);
}

void __VERIFIER_error(void);
void __VERIFIER_error(void)
{
	error_reached("__VERIFIER_error");
}

__attribute__((weak)) void reach_error(void);
__attribute__((weak)) void reach_error(void)
{
	error_reached("reach_error");
}

__attribute__((weak)) void __VERIFIER_assert(int cond);
__attribute__((weak)) void __VERIFIER_assert(int cond)
{
	if (!cond)
		error_reached("__VERIFIER_assert");
}

/* The task's abort(): a path SV-COMP cuts short, not a failure (see the top of this file). */
void abort(void)
{
	exit(0);
}
