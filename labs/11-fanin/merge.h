/* merge.h: the fan-in of N channels into one, the student's functions (lab-owned). */
#ifndef LAB11_MERGE_H
#define LAB11_MERGE_H

#include <stddef.h>

#include "chan.h"

/* One fan-in: N input channels merged into one output channel. */
struct merge;

/* Starts merging the N channels in INPUTS (N at least 1) into one new unbuffered channel, with
 * one forwarding thread per input, and returns the merge. The merged channel carries every
 * value received from every input: the values of one input in the order they were sent, those
 * of different inputs interleaved in any order. It is closed as soon as every input is closed
 * and all their values have been delivered, so the caller can receive from it until chan_recv
 * returns CHAN_CLOSED, like Go's `for v := range merged`. The inputs stay the caller's: the
 * merge never closes them, and stops using them once the merged channel is closed. Aborts
 * with file:line when N is 0, on out of memory or on a pthread error. */
struct merge *merge_start(struct chan *const *inputs, size_t n);

/* Returns M's merged channel, the one to receive from. */
struct chan *merge_output(const struct merge *m);

/* Waits until M's forwarding threads have ended, then frees M and its merged channel. Call it
 * once every input is closed and every value has been received from the merged channel;
 * before that, a forwarder may still be waiting to deliver a value, and this waits with it. */
void merge_free(struct merge *m);

#endif
