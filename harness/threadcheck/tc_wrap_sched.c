/* tc_wrap_sched.c: the calls interposed only for the schedule explorer (tc_sched.h): posts and
 * tries of semaphores, barrier inits, yields and sleeps, pthread_once, signal waits. With the explorer off each one is
 * the real call behind one predictable branch. */
#include "tc_real.h"
#include "tc_sched.h"

#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

int sem_post(sem_t *s)
{
	int rc;

	if (__builtin_expect(!tc__sched_on, 1))
		return tc__real_sem_post()(s);
	tc__sched_point(TC__SOP_SEM_POST, s, __builtin_return_address(0));
	rc = tc__real_sem_post()(s);
	tc__sched_wake(s, 1);
	return rc;
}

int sem_trywait(sem_t *s)
{
	if (__builtin_expect(tc__sched_on, 0))
		tc__sched_point(TC__SOP_TRYLOCK, s, __builtin_return_address(0));
	return tc__real_sem_trywait()(s);
}

/* The explorer models barriers itself and needs each one's count. */
int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr, unsigned count)
{
	int rc = tc__real_pthread_barrier_init()(b, attr, count);

	if (__builtin_expect(tc__sched_on, 0) && rc == 0)
		tc__sched_barrier_init(b, count);
	return rc;
}

/* Yields and sleeps are scheduling points under the explorer, and take no time: a schedule
 * runs as fast as the program computes, and the same schedule whatever the clock says. A
 * thread the explorer does not drive sleeps for real. */
int sched_yield(void)
{
	if (__builtin_expect(tc__sched_on, 0) && tc__sched_driving()) {
		tc__sched_point(TC__SOP_YIELD, NULL, __builtin_return_address(0));
		return 0;
	}
	return tc__real_sched_yield()();
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (__builtin_expect(tc__sched_on, 0) && tc__sched_driving()) {
		tc__sched_point(TC__SOP_SLEEP, NULL, __builtin_return_address(0));
		if (rem != NULL)
			*rem = (struct timespec){ 0, 0 };
		return 0;
	}
	return tc__real_nanosleep()(req, rem);
}

int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
	if (__builtin_expect(tc__sched_on, 0) && tc__sched_driving()) {
		tc__sched_point(TC__SOP_SLEEP, NULL, __builtin_return_address(0));
		return 0;
	}
	return tc__real_clock_nanosleep()(clk, flags, req, rem);
}

int usleep(useconds_t usec)
{
	if (__builtin_expect(tc__sched_on, 0) && tc__sched_driving()) {
		tc__sched_point(TC__SOP_SLEEP, NULL, __builtin_return_address(0));
		return 0;
	}
	return tc__real_usleep()(usec);
}

unsigned sleep(unsigned seconds)
{
	if (__builtin_expect(tc__sched_on, 0) && tc__sched_driving()) {
		tc__sched_point(TC__SOP_SLEEP, NULL, __builtin_return_address(0));
		return 0;
	}
	return tc__real_sleep()(seconds);
}

/* pthread_once: a second caller would wait inside glibc while the first runs the routine,
 * where the explorer cannot see it; the explorer runs the routine itself. */
int pthread_once(pthread_once_t *once, void (*init)(void))
{
	if (__builtin_expect(tc__sched_on, 0) && tc__sched_once(once, init, __builtin_return_address(0)) == 0)
		return 0;
	return tc__real_pthread_once()(once, init);
}

/* Waits for signals: they block for as long as nobody signals, unseen by the explorer, which
 * gives the turn away meanwhile. */
int sigwait(const sigset_t *set, int *sig)
{
	int rc;

	if (__builtin_expect(!tc__sched_on, 1))
		return tc__real_sigwait()(set, sig);
	tc__sched_leave(set, __builtin_return_address(0));
	rc = tc__real_sigwait()(set, sig);
	tc__sched_back();
	return rc;
}

int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	int rc;

	if (__builtin_expect(!tc__sched_on, 1))
		return tc__real_sigwaitinfo()(set, info);
	tc__sched_leave(set, __builtin_return_address(0));
	rc = tc__real_sigwaitinfo()(set, info);
	tc__sched_back();
	return rc;
}

int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
	int rc;

	if (__builtin_expect(!tc__sched_on, 1))
		return tc__real_sigtimedwait()(set, info, timeout);
	tc__sched_leave(set, __builtin_return_address(0));
	rc = tc__real_sigtimedwait()(set, info, timeout);
	tc__sched_back();
	return rc;
}
