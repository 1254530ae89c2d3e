/* ratelimit.c: per-client token buckets in a fixed table, and the janitor that empties idle
 * slots. */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "ratelimit.h"

/* Tokens are counted in thousandths, so that RATE tokens per second is exactly RATE
 * thousandths per millisecond and no arithmetic needs floating point. */
#define TOKEN 1000L

/* A token bucket: TOKEN per token, refilled at the limiter's rate up to its burst. */
struct bucket {
	long tokens;    /* thousandths of a token */
	long refilled;  /* clock time of the last refill */
};

/* One slot of the client table. */
struct client {
	int used;       /* 0: the slot is free */
	long id;
	long last_seen; /* clock time of the client's last request */
	struct bucket bucket;
};

struct limiter {
	struct limiter_config cfg;
	pthread_mutex_t lock; /* guards clients, buckets included */
	struct client clients[LIMITER_MAX_CLIENTS];
	pthread_t janitor;
};

/* Adds the tokens earned since B was last refilled, up to BURST. */
static void bucket_refill(struct bucket *b, long rate, long burst, long now)
{
	if (now <= b->refilled)
		return;
	b->tokens += (now - b->refilled) * rate;
	if (b->tokens > burst * TOKEN)
		b->tokens = burst * TOKEN;
	b->refilled = now;
}

/* Takes one token from B: returns 1, or 0 with *RETRY_AFTER_MS set when B has none. */
static int bucket_take(struct bucket *b, long rate, long *retry_after_ms)
{
	if (b->tokens >= TOKEN) {
		b->tokens -= TOKEN;
		*retry_after_ms = 0;
		return 1;
	}
	/* The time the missing part takes to earn, rounded up: any less and it is still missing. */
	*retry_after_ms = (TOKEN - b->tokens) / rate;
	return 0;
}

/* Returns CLIENT's slot, taking a free one (with a full bucket) if it has none, or NULL when
 * the table is full. */
static struct client *client_lookup(struct limiter *lim, long id, long now)
{
	struct client *free_slot = NULL;

	for (int i = 0; i < LIMITER_MAX_CLIENTS; i++) {
		struct client *c = &lim->clients[i];

		if (c->used && c->id == id)
			return c;
		if (!c->used && free_slot == NULL)
			free_slot = c;
	}
	if (free_slot != NULL) {
		free_slot->used = 1;
		free_slot->id = id;
		free_slot->bucket = (struct bucket){ .tokens = lim->cfg.burst * TOKEN, .refilled = now };
	}
	return free_slot;
}

int limiter_allow(struct limiter *lim, long client, long *retry_after_ms)
{
	long now;
	struct client *c;
	int admitted = 0;

	/* Lookup, refill, take and the retry-after must all see one state of the table. */
	Pthread_mutex_lock(&lim->lock);
	now = lim->cfg.now_ms(lim->cfg.clock_arg);
	c = client_lookup(lim, client, now);
	if (c == NULL) {
		*retry_after_ms = lim->cfg.idle_ms;
	} else {
		c->last_seen = now;
		bucket_refill(&c->bucket, lim->cfg.rate, lim->cfg.burst, now);
		admitted = bucket_take(&c->bucket, lim->cfg.rate, retry_after_ms);
	}
	Pthread_mutex_unlock(&lim->lock);
	return admitted;
}

int limiter_clients(struct limiter *lim)
{
	int n = 0;

	Pthread_mutex_lock(&lim->lock);
	for (int i = 0; i < LIMITER_MAX_CLIENTS; i++)
		n += lim->clients[i].used;
	Pthread_mutex_unlock(&lim->lock);
	return n;
}

/* Forgets every client whose last request is more than idle_ms older than NOW. */
static void sweep(struct limiter *lim, long now)
{
	Pthread_mutex_lock(&lim->lock);
	for (int i = 0; i < LIMITER_MAX_CLIENTS; i++) {
		struct client *c = &lim->clients[i];

		if (c->used && now - c->last_seen > lim->cfg.idle_ms)
			c->used = 0;
	}
	Pthread_mutex_unlock(&lim->lock);
}

/* The janitor thread: for now := range ticker.C { sweep(now) } in the Go original. */
static void *janitor_main(void *arg)
{
	struct limiter *lim = arg;
	void *tick;

	while (chan_recv(lim->cfg.ticks, &tick) == CHAN_OK)
		sweep(lim, TICK_TIME(tick));
	return NULL;
}

struct limiter *limiter_new(const struct limiter_config *cfg)
{
	struct limiter *lim;

	if (cfg->rate < 1 || cfg->rate > 1000 || cfg->burst < 1 || cfg->now_ms == NULL) {
		fprintf(stderr, "%s:%d: bad limiter config (rate %ld, burst %ld)\n", __FILE__,
			__LINE__, cfg->rate, cfg->burst);
		abort();
	}
	lim = Malloc(sizeof(*lim));
	lim->cfg = *cfg;
	Pthread_mutex_init(&lim->lock, NULL);
	for (int i = 0; i < LIMITER_MAX_CLIENTS; i++)
		lim->clients[i] = (struct client){ .used = 0 };
	if (cfg->ticks != NULL)
		Pthread_create(&lim->janitor, NULL, janitor_main, lim);
	return lim;
}

void limiter_free(struct limiter *lim)
{
	if (lim->cfg.ticks != NULL) {
		chan_close(lim->cfg.ticks);
		Pthread_join(lim->janitor, NULL);
	}
	Pthread_mutex_destroy(&lim->lock);
	free(lim);
}
