/* tc_order.h: the lock-order detector: a graph of "B taken while A held" edges filled as the
 * program runs, and at exit the cycles in it that could deadlock in another interleaving. */
#ifndef TC_ORDER_H
#define TC_ORDER_H

#include "tc_registry.h"
#include "tc_report.h"

#include <stddef.h>

/* Internal to the library: not exported, and called directly rather than through the PLT. */
#pragma GCC visibility push(hidden)

/* ME has just taken OBJ (which it did not hold) in MODE (enum tc__hold_mode) at SITE with a
 * call that can wait forever (not a trylock, not a timed lock): notes an edge from every
 * lock ME holds to OBJ. Cheap when the same edges were seen before; never blocks for long. */
void tc__order_acquire(struct tc__thread *me, const void *obj, int mode, void *site);
/* OBJ is being initialised or was destroyed: the edges it is in no longer apply. */
void tc__order_forget(const void *obj);
/* In a forked child: forgets the parent's edges. */
void tc__order_atfork_child(void);
/* At exit: finds the cycles of the graph that could deadlock, symbolises and describes
 * them. Returns how many will be reported. */
int tc__order_analyze(void);
/* The reports of tc__order_analyze's cycles, shortest first: stores at most MAX in OUT and
 * returns how many. */
size_t tc__order_reps(const struct tc__rep **out, size_t max);
/* Notes on stderr the cycles past the reported ones and the edges a full graph dropped. */
void tc__order_notes(void);

#pragma GCC visibility pop

#endif
