/* threadcheck.c: the top of libthreadcheck.so: its constructor, the exit hook that settles
 * the threads and reports, the fork handler, and what the test API asks the library
 * (threadcheck.h). The interposers are in tc_wrap_thread.c and tc_wrap_lock.c. */
#include "tc_deadlock.h"
#include "tc_end.h"
#include "tc_glibc.h"
#include "tc_misuse.h"
#include "tc_order.h"
#include "tc_real.h"
#include "tc_registry.h"
#include "tc_sched.h"
#include "tc_symbolize.h"
#include "tc_util.h"
#include "tc_wrap.h"
#include "threadcheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the test API's view (threadcheck.h) ------------------------------------------- */

int threadcheck_active(void)
{
	return tc__active();
}

int threadcheck_internal_tid(pid_t tid)
{
	return tc__active() && tc__watchdog_tid(tid);
}

/* Copies the wait W of a described thread, symbolised as WHERE, into INFO. */
static void tc__describe_wait(struct tc_thread_info *info, const struct tc__wait *w,
			      const struct tc__sym *where)
{
	info->wait_op[0] = '\0';
	info->wait_fn[0] = '\0';
	info->wait_site[0] = '\0';
	info->wait_obj = NULL;
	info->wait_timed = 0;
	if (w->op == TC__OP_NONE)
		return;
	snprintf(info->wait_op, sizeof info->wait_op, "%s", tc__op_name(w->op));
	info->wait_obj = w->obj;
	info->wait_timed = w->timed;
	snprintf(info->wait_fn, sizeof info->wait_fn, "%s", where->function);
	snprintf(info->wait_site, sizeof info->wait_site, "%s", where->fileline);
}

int threadcheck_describe_tid(pid_t tid, struct tc_thread_info *info)
{
	struct tc__thread *t;
	struct tc__wait w;
	void *addrs[3];
	struct tc__sym sym[3];

	if (info == NULL || info->size != sizeof *info)
		return -1;
	if (!tc__active() || (t = tc__find_tid(tid)) == NULL)
		return 0;
	if (tc__wait_read(t, &w, NULL) != 0)
		w.op = TC__OP_NONE;
	info->label = t->label;
	info->creator = t->creator;
	addrs[0] = t->start_fn;
	addrs[1] = tc__call_addr(t->create_site);
	addrs[2] = w.op != TC__OP_NONE ? tc__call_addr(w.site) : NULL;
	tc__symbolize(addrs, sym, 3);
	snprintf(info->start_fn, sizeof info->start_fn, "%s", sym[0].function);
	snprintf(info->start_site, sizeof info->start_site, "%s", sym[0].fileline);
	snprintf(info->created_fn, sizeof info->created_fn, "%s", sym[1].function);
	snprintf(info->created_site, sizeof info->created_site, "%s", sym[1].fileline);
	tc__describe_wait(info, &w, &sym[2]);
	return 1;
}

/* ---- exit and fork ------------------------------------------------------------------ */

/* Runs after the program's own atexit handlers (it is registered first). Settles, then
 * reports; when it reports anything it ends the process with THREADCHECK_EXITCODE. */
static void tc__at_exit(void)
{
	struct tc__thread *caller = tc__me;
	int saved_errno = errno;
	enum tc__reporter owner;

	if (!tc__active())
		return;
	/* The schedule explorer lets every thread run freely from here on, as without it; the
	 * threads it held blocked for good need no time to settle. */
	int stuck = tc__sched_at_exit();
	if (tc__report_claim(TC__REPORT_EXIT, &owner) != 0) {
		/* The deadlock reporter owns the end of the process and will _exit it; leaving
		 * now would cut its report short. */
		if (owner == TC__REPORT_DEADLOCK)
			for (;;)
				tc__sleep_ms(1000);
		return;
	}
	/* Settle: a thread that is just finishing, or about to wake from a signal sent right
	 * before exit, gets up to ~200 ms (1, 2, 4, ... ms) before it is declared leaked. */
	for (long slept = 0, step = 1; slept < 200 && tc__count_alive(caller) > stuck; step *= 2) {
		long ms = step < 200 - slept ? step : 200 - slept;

		tc__sleep_ms(ms);
		slept += ms;
	}
	tc__end_at_exit(caller);
	errno = saved_errno;
}

/* In a forked child only the forking thread exists: the others' records (and a symboliser
 * lock another thread may have held) belong to the parent. */
static void tc__atfork_child(void)
{
	tc__registry_atfork_child();
	tc__symbolize_atfork_child();
	tc__watchdog_atfork_child();
	tc__order_atfork_child();
	tc__misuse_atfork_child();
	tc__sched_atfork_child();
}

/* Notes on stderr that the library is passive, and why. */
static void tc__say_passive(void)
{
	static const char pre[] = "threadcheck: passive (";
	const char *why = tc__passive_why();

	(void)tc__write_all(2, pre, sizeof pre - 1);
	(void)tc__write_all(2, why, strlen(why));
	(void)tc__write_all(2, "); no thread-leak reports\n", 26);
}

/* Runs before the program's own constructors: resolves the real functions, decides the
 * mode, registers the main thread as T0 and the exit hook. Failing to register the hook
 * is reported on stderr; the library then only tracks. */
__attribute__((constructor)) static void tc__init(void)
{
	/* First, outside any interposed call, so that dlsym's own locking and allocation never
	 * happen while a program lock is being taken. */
	tc__real_resolve_all();
	if (!tc__active()) {
		tc__say_passive();
		return;
	}
	tc__registry_init_main();
	tc__wrap_thread_init();
	tc__sched_init();
	tc__symbolize_init();
	tc__misuse_init();
	tc__glibc_init();
	tc__deadlock_init(tc__end_deadlock);
	(void)pthread_atfork(NULL, NULL, tc__atfork_child);
	/* Registered before main runs, so it runs after every handler the program adds. */
	if (atexit(tc__at_exit) != 0) {
		static const char msg[] = "threadcheck: atexit failed; no exit report\n";

		(void)tc__write_all(2, msg, sizeof msg - 1);
	}
}
