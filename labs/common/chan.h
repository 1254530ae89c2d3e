/* chan.h: a Go-style channel of void * values for the labs: buffered or unbuffered, closable, with timed send and receive. */
#ifndef LABS_CHAN_H
#define LABS_CHAN_H

#include <stddef.h>

/* What a channel operation did. Every function that can fail returns one of these. */
enum chan_status {
	CHAN_OK = 0,       /* the value was sent or received */
	CHAN_CLOSED = -1,  /* the channel is closed (and, for a receive, drained) */
	CHAN_TIMEOUT = -2, /* the deadline passed first; nothing was sent or received */
};

struct chan;

/* Returns a new open channel that buffers up to CAPACITY values. CAPACITY 0 makes an unbuffered
 * channel, a rendezvous: a send completes only once a receiver has taken its value. Never
 * returns NULL: on out of memory or a pthread error it prints file:line and aborts. */
struct chan *chan_new(size_t capacity);

/* Frees C. The caller must be the last user: no thread may be blocked in, or later call, any
 * operation on C. Values still buffered are dropped (they are not freed). C may be NULL. */
void chan_free(struct chan *c);

/* Sends V on C, waiting as long as it takes for buffer room or, when C is unbuffered, for a
 * receiver to take V. Returns CHAN_OK, or CHAN_CLOSED if C is closed before V could be
 * delivered; sending on a closed channel is an error the caller sees, not undefined
 * behaviour (Go panics). After CHAN_CLOSED, V was not delivered. */
int chan_send(struct chan *c, void *v);

/* Receives the oldest value from C into *OUT, waiting as long as it takes for one. Returns
 * CHAN_OK, or CHAN_CLOSED once C is closed and every value sent before the close has been
 * received; *OUT is then set to NULL (like Go's v, ok := <-c with ok false). */
int chan_recv(struct chan *c, void **out);

/* Like chan_send, but gives up TIMEOUT_MS milliseconds from now (CLOCK_MONOTONIC, so a change
 * of the wall clock does not matter) and returns CHAN_TIMEOUT; V was then not delivered. A
 * TIMEOUT_MS of 0 or less does not wait: on an unbuffered channel such a send almost always
 * times out, because the receiver gets no time to take the value. */
int chan_send_timed(struct chan *c, void *v, long timeout_ms);

/* Like chan_recv, but gives up TIMEOUT_MS milliseconds from now (CLOCK_MONOTONIC) and returns
 * CHAN_TIMEOUT with *OUT set to NULL. A TIMEOUT_MS of 0 or less only polls. */
int chan_recv_timed(struct chan *c, void **out, long timeout_ms);

/* Closes C: no more values can be sent, and every blocked sender and receiver wakes up.
 * Receivers still get the values buffered before the close. A sender blocked on an unbuffered
 * channel returns CHAN_CLOSED unless a receiver took its value first. Returns CHAN_OK, or
 * CHAN_CLOSED if C was already closed (Go panics; here the second close changes nothing). */
int chan_close(struct chan *c);

/* Returns how many values C holds in its buffer right now: always 0 for an unbuffered channel,
 * where a waiting sender's value is offered, not buffered. Only a snapshot: other threads may
 * change it before the caller looks at the result. */
size_t chan_len(struct chan *c);

#endif
