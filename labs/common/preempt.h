/* preempt.h: forced preemption for the labs' tests: a thread that arms it is stopped every few
 * microseconds, wherever it is, and gives the processor away, so that the interleavings a racy
 * read-modify-write needs happen on every run, on a busy machine and on one core as on many.
 *
 * Why: a test thread's share of the work often takes less than a time slice, so on a busy
 * machine each thread can run from start to end without being stopped, and a racy update is
 * never interrupted between its read and its write: the test passes on the handout. An armed
 * thread gets SIGUSR1 from a high-resolution timer of its own PREEMPT_NS after it starts and
 * PREEMPT_NS after each stop, and the handler calls sched_yield(). A thread stopped between a
 * read and the write that depends on it lets the others run meanwhile, so its stale write loses
 * their updates; with a lock around the update, the stop only delays the others. A thread gives
 * way PREEMPT_BUDGET times at most: enough for a racy update to go wrong on every run, few enough
 * that a thread stopped while it holds a lock does not slow the others down much.
 *
 * Limit: a stop falls between two instructions. An update that the compiler makes one
 * instruction (`addq $1, (mem)` for `n++`) cannot be split by it: on one core such an update is
 * never lost, and only threads running at the same time on two cores can lose it.
 *
 * Use (lab-owned test code only, never the student's file):
 *	preempt_install();              once, before the threads start (process-wide handler)
 *	struct preempt p;               in each thread, after its start barrier:
 *	preempt_begin(&p); ...racy work...; preempt_end(&p);
 * Only lab tests include this header: it takes SIGUSR1 for itself. */
#ifndef LABS_PREEMPT_H
#define LABS_PREEMPT_H

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PREEMPT_NS 20000L
#define PREEMPT_BUDGET 30

/* One thread's forced preemption. */
struct preempt {
	timer_t timer;
	int armed; /* 1 while the timer exists */
};

/* The calling thread's stops still to come, and its timer (for the handler to re-arm). */
static _Thread_local int preempt_stops_left;
static _Thread_local timer_t preempt_my_timer;

/* SIGUSR1: gives the processor away, then arms the timer for the next stop, if any is left.
 * timer_settime and sched_yield are async-signal-safe; errno is kept for the interrupted code. */
static inline void preempt_give_way(int sig)
{
	const struct itimerspec next = { { 0, 0 }, { 0, PREEMPT_NS } };
	int saved = errno;

	(void)sig;
	sched_yield();
	/* The next stop is counted from now, not from the last one: a periodic timer would expire
	 * again while the thread waits in sched_yield, and the pending signal would stop it at the
	 * same instruction as soon as the handler returns, spending the budget in one place. */
	if (preempt_stops_left > 0 && --preempt_stops_left > 0)
		timer_settime(preempt_my_timer, 0, &next, NULL);
	errno = saved;
}

/* Makes preempt_give_way the process's SIGUSR1 handler (SA_RESTART, so that an interrupted
 * blocking call resumes). Returns 0, or -1 with errno set; then preempt_begin must not be
 * called, as SIGUSR1's default action ends the process. */
static inline int preempt_install(void)
{
	struct sigaction way;

	memset(&way, 0, sizeof(way));
	way.sa_handler = preempt_give_way;
	way.sa_flags = SA_RESTART;
	sigemptyset(&way.sa_mask);
	return sigaction(SIGUSR1, &way, NULL);
}

/* Arms, for the calling thread, a timer that sends it SIGUSR1 PREEMPT_NS from now, and again
 * PREEMPT_NS after each stop, PREEMPT_BUDGET times in all. Returns 0, or -1 if the timer cannot be made: P is then left unarmed and the thread
 * runs without stops (a test still runs, with the timing luck it had before). */
static inline int preempt_begin(struct preempt *p)
{
	struct sigevent ev;
	const struct itimerspec first = { { 0, 0 }, { 0, PREEMPT_NS } };

	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGUSR1;
	ev._sigev_un._tid = gettid(); /* glibc's name for Linux's sigev_notify_thread_id */
	p->armed = 0;
	preempt_stops_left = PREEMPT_BUDGET;
	if (timer_create(CLOCK_MONOTONIC, &ev, &p->timer) != 0)
		return -1;
	preempt_my_timer = p->timer;
	if (timer_settime(p->timer, 0, &first, NULL) != 0) {
		timer_delete(p->timer);
		return -1;
	}
	p->armed = 1;
	return 0;
}

/* Deletes P's timer, if armed: the thread is not stopped again (a signal already sent is
 * still handled). Never fails. */
static inline void preempt_end(struct preempt *p)
{
	if (p->armed)
		timer_delete(p->timer);
	p->armed = 0;
	preempt_stops_left = 0;
}

#endif
