/* tc_leak.h: the exit detector: threads still alive when the process ends, and joinable
 * threads that finished but were never joined. */
#ifndef TC_LEAK_H
#define TC_LEAK_H

#include "tc_registry.h"
#include "tc_report.h"

#include <stddef.h>

/* Internal to the library: not exported, and called directly rather than through the PLT. */
#pragma GCC visibility push(hidden)

/* Gathers what the registry shows now, leaving out CALLER (the thread that called exit), in
 * label order. Returns how many findings (at most 256; *MORE receives how many did not fit).
 * A RUNNING record is checked against the kernel first: a thread that ended by a raw exit
 * system call counts as finished (reported only if it was joinable). */
size_t tc__leak_collect(const struct tc__thread *caller, size_t *more);
/* Symbolises and explains the N findings tc__leak_collect gathered and stores a report of
 * each in REPS[0..n). The reports live until the next collect. */
void tc__leak_describe(const struct tc__thread *caller, size_t n, const struct tc__rep **reps);

#pragma GCC visibility pop

#endif
