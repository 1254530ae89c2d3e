/* tc_end.c: the two ways a process under threadcheck ends with a report (tc_end.h): the exit
 * report gathers the detectors' reports, the deadlock report ends the run at once. */
#include "tc_end.h"
#include "tc_leak.h"
#include "tc_misuse.h"
#include "tc_order.h"
#include "tc_sched.h"
#include "tc_util.h"

#include <unistd.h>

#define TC__DEFAULT_EXITCODE 67
#define TC__DEFAULT_DEADLOCK_EXITCODE 68
#define TC__MAX_LOG_REPS 512        /* more than the detectors keep: 256 + 64 + 16 + 1 */

/* Only the process's reporter uses these. */
static const struct tc__rep *tc__reps[TC__MAX_LOG_REPS];
static char tc__human[32768];

/* Writes REP's readable block to stderr. */
static void tc__human_write(const struct tc__rep *rep)
{
	struct tc__buf b = { tc__human, 0, sizeof tc__human };

	tc__rep_human(&b, rep);
	tc__buf_flush(&b, 2);
}

void tc__end_deadlock(const struct tc__rep *rep)
{
	size_t n = 0;
	int logfd;

	tc__human_write(rep);
	logfd = tc__open_log();
	tc__reps[n++] = rep;
	/* Misuses seen before the deadlock would otherwise be lost with the exit report. The
	 * lock-order cycles are not analysed: the deadlock is the one that happened. */
	n += tc__misuse_reps(tc__reps + n, TC__MAX_LOG_REPS - n);
	tc__log_write(logfd >= 0 ? logfd : 2, tc__reps, n);
	tc__misuse_note_lost();
	if (logfd >= 0)
		close(logfd);
	tc__sched_end("deadlock");
	tc__flush_stdio();
	_exit(tc__env_exitcode("THREADCHECK_DEADLOCK_EXITCODE", TC__DEFAULT_DEADLOCK_EXITCODE));
}

/* Writes to stderr how many findings did not fit (MORE) and how many threads were never
 * tracked (UNTRACKED). */
static void tc__end_notes(size_t more, int untracked)
{
	char text[256];
	struct tc__buf b = { text, 0, sizeof text };

	if (more > 0)
		tc__bprintf(&b, "threadcheck: %zu more findings not shown\n", more);
	if (untracked > 0)
		tc__bprintf(&b, "threadcheck: %d threads were created while the registry was full "
				"and were not checked\n", untracked);
	tc__buf_flush(&b, 2);
}

void tc__end_at_exit(struct tc__thread *caller)
{
	size_t more, nleak = tc__leak_collect(caller, &more), nmisuse, norder, total;
	int untracked = tc__registry_untracked(), logfd;

	/* The log's order: the leaks, the misuses, the lock-order cycles. */
	nmisuse = tc__misuse_reps(tc__reps + nleak, TC__MAX_LOG_REPS - nleak);
	(void)tc__order_analyze();
	norder = tc__order_reps(tc__reps + nleak + nmisuse, TC__MAX_LOG_REPS - nleak - nmisuse);
	total = nleak + nmisuse + norder;
	logfd = tc__open_log();
	tc__leak_describe(caller, nleak, tc__reps);
	if (logfd >= 0) {
		tc__log_write(logfd, tc__reps, total);
		tc__misuse_note_lost();
		close(logfd);
	}
	for (size_t i = nleak + nmisuse; i < total; i++)
		tc__human_write(tc__reps[i]);
	tc__order_notes();
	if (total == 0 && untracked == 0)
		return;
	for (size_t i = 0; i < nleak; i++)
		tc__human_write(tc__reps[i]);
	tc__end_notes(more, untracked);
	if (logfd < 0 && total > 0) {
		tc__log_write(2, tc__reps, total);
		tc__misuse_note_lost();
	}
	if (total == 0)
		return;
	tc__flush_stdio();
	_exit(tc__env_exitcode("THREADCHECK_EXITCODE", TC__DEFAULT_EXITCODE));
}
