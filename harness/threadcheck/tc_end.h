/* tc_end.h: how a process under threadcheck ends with a report: the exit report and the
 * deadlock report, both written with the one log writer. */
#ifndef TC_END_H
#define TC_END_H

#include "tc_registry.h"
#include "tc_report.h"

/* Internal to the library: not exported, and called directly rather than through the PLT. */
#pragma GCC visibility push(hidden)

/* Ends the process with the deadlock REP: its readable block on stderr, then the log (the
 * deadlock record and the misuses found before it; the exit report never runs), then
 * _exit(THREADCHECK_DEADLOCK_EXITCODE). The caller owns the process's end
 * (tc__report_claim). Does not return. */
void tc__end_deadlock(const struct tc__rep *rep);
/* The exit report, made by CALLER (the thread that called exit) once the threads settled:
 * leaks, the misuses seen while the program ran and the lock-order cycles. With
 * THREADCHECK_LOG set the log file is always written (header and summary even when clean)
 * so that the harness can tell a clean run from a killed one; the records go to stderr
 * instead when it is unset. The readable blocks always go to stderr (a misuse's went there
 * when it happened). Returns only when there is nothing to report; otherwise it ends the
 * process with _exit(THREADCHECK_EXITCODE). */
void tc__end_at_exit(struct tc__thread *caller);

#pragma GCC visibility pop

#endif
