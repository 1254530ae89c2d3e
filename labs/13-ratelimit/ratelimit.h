/* ratelimit.h: a per-client rate limiter (one token bucket per client) with a janitor thread
 * that forgets idle clients (lab-owned). */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stdint.h>

#include "chan.h"

/* The most clients a limiter tracks at once. */
#define LIMITER_MAX_CLIENTS 64

/* A clock: returns the current time in milliseconds, never less than it returned before.
 * ARG is the config's clock_arg. Tests and main.c pass a fake clock they move by hand. */
typedef long (*clock_fn)(void *arg);

struct limiter_config {
	long rate;        /* tokens a client earns per second, 1 to 1000 */
	long burst;       /* the most tokens a client can save up (its bucket's size), >= 1 */
	long idle_ms;     /* the janitor forgets a client whose last request is older than this */
	clock_fn now_ms;  /* the limiter's only source of time */
	void *clock_arg;
	struct chan *ticks; /* the janitor sweeps once per tick it receives here; NULL: no janitor */
};

/* A tick is a clock time carried in the value itself, as Go's ticker sends a time.Time: the
 * janitor that receives TICK_AT(ms) sweeps as of that time. */
#define TICK_AT(ms) ((void *)(intptr_t)(ms))
#define TICK_TIME(tick) ((long)(intptr_t)(tick))

struct limiter;

/* Returns a new limiter with no clients and, when CFG->ticks is not NULL, starts its janitor
 * thread (Go's `go janitor()`): for each tick it receives, until the channel is closed, it
 * forgets every client whose last request is more than idle_ms older than the tick. CFG is
 * copied. Aborts (file:line) on a bad config, out of memory or a pthread error. */
struct limiter *limiter_new(const struct limiter_config *cfg);

/* Decides one request of CLIENT at the clock's current time. A client seen for the first time
 * (or again after the janitor forgot it) starts with a full bucket. A request takes one token:
 * returns 1 (admitted) and sets *RETRY_AFTER_MS to 0 when the client has one, else returns 0
 * (refused) and sets *RETRY_AFTER_MS to the smallest number of milliseconds after which the
 * same request would be admitted. When the table is full of other clients, the request is
 * refused with *RETRY_AFTER_MS set to idle_ms. Any number of threads may call it at once. */
int limiter_allow(struct limiter *lim, long client, long *retry_after_ms);

/* Returns how many clients LIM tracks now. Any thread may call it at any time. */
int limiter_clients(struct limiter *lim);

/* Stops the janitor (closes the ticks channel, which stays the caller's to free, and joins the
 * thread) and frees LIM. No other thread may be using LIM. */
void limiter_free(struct limiter *lim);

#endif
