/* chan.c: the Go-style channel of chan.h, one mutex and three condition variables per channel. */
#include "chan.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"

/* An impossible state of a channel: print where and the values, then abort. Never compiled out. */
#define CHAN_ASSERT(cond, fmt, ...)                                                         \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: chan: assertion '%s' failed: " fmt "\n",    \
				__FILE__, __LINE__, #cond, __VA_ARGS__);                    \
			abort();                                                            \
		}                                                                           \
	} while (0)

struct chan {
	pthread_mutex_t lock;     /* guards every field below */
	pthread_cond_t can_recv;  /* a value was put in the buffer, or the channel was closed */
	pthread_cond_t can_send;  /* a slot was freed, or the channel was closed */
	pthread_cond_t taken;     /* unbuffered only: a receiver took the offered value */
	void **buf;               /* ring of nslots values, oldest at head */
	size_t nslots;            /* the capacity, or 1 for an unbuffered channel (the offer slot) */
	size_t head;
	size_t len;
	int unbuffered;
	int closed;
	/* Values put in and taken out so far. An unbuffered sender whose value was the Nth put in
	 * knows it was delivered once taken_count >= N. */
	unsigned long long put_count;
	unsigned long long taken_count;
};

struct chan *chan_new(size_t capacity)
{
	size_t nslots = capacity == 0 ? 1 : capacity;
	struct chan *c;
	pthread_condattr_t attr;

	CHAN_ASSERT(nslots <= SIZE_MAX / sizeof(void *), "capacity %zu is too large", capacity);
	c = Malloc(sizeof(*c));
	c->buf = Malloc(nslots * sizeof(void *));
	c->nslots = nslots;
	c->head = 0;
	c->len = 0;
	c->unbuffered = capacity == 0;
	c->closed = 0;
	c->put_count = 0;
	c->taken_count = 0;
	Pthread_mutex_init(&c->lock, NULL);
	/* Timed waits measure against CLOCK_MONOTONIC, so setting the wall clock cannot stretch or
	 * cut short a timeout. */
	CHECK_PT(pthread_condattr_init(&attr));
	CHECK_PT(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
	Pthread_cond_init(&c->can_recv, &attr);
	Pthread_cond_init(&c->can_send, &attr);
	Pthread_cond_init(&c->taken, &attr);
	CHECK_PT(pthread_condattr_destroy(&attr));
	return c;
}

void chan_free(struct chan *c)
{
	if (c == NULL)
		return;
	Pthread_cond_destroy(&c->taken);
	Pthread_cond_destroy(&c->can_send);
	Pthread_cond_destroy(&c->can_recv);
	Pthread_mutex_destroy(&c->lock);
	free(c->buf);
	free(c);
}

/* Fills *DEADLINE with the CLOCK_MONOTONIC time TIMEOUT_MS milliseconds from now (now itself
 * if TIMEOUT_MS is 0 or less). */
static void deadline_in(struct timespec *deadline, long timeout_ms)
{
	int rc = clock_gettime(CLOCK_MONOTONIC, deadline);

	CHAN_ASSERT(rc == 0, "clock_gettime(CLOCK_MONOTONIC) returned %d", rc);
	if (timeout_ms <= 0)
		return;
	deadline->tv_sec += timeout_ms / 1000;
	deadline->tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

/* Waits on COND with C->lock held, until DEADLINE if it is not NULL. Returns 0 when woken (or
 * spuriously), ETIMEDOUT when the deadline has passed. Callers re-check their predicate either
 * way: a value may have arrived just as the time ran out. */
static int chan_wait(struct chan *c, pthread_cond_t *cond, const struct timespec *deadline)
{
	int rc;

	if (deadline == NULL) {
		Pthread_cond_wait(cond, &c->lock);
		return 0;
	}
	/* A deadline already past (a zero timeout: Go's select with a default) returns without
	 * waiting. glibc's timed wait that times out at once may signal the condition variable
	 * internally before it retakes the mutex, which Helgrind reports as a dubious signal
	 * ("associated lock is not held by any thread") in a correct program. */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > deadline->tv_sec || (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec))
		return ETIMEDOUT;
	rc = pthread_cond_timedwait(cond, &c->lock, deadline);
	if (rc != 0 && rc != ETIMEDOUT)
		CHECK_PT(rc);
	return rc;
}

/* Every change of state is announced with a broadcast, not a signal: waiters with different
 * deadlines share each condition variable, and waking them all (each re-checks its predicate
 * under the lock) can never strand a value with nobody woken to take it. */
static int send_locked(struct chan *c, void *v, const struct timespec *deadline)
{
	unsigned long long mine;

	while (c->len == c->nslots && !c->closed) {
		if (chan_wait(c, &c->can_send, deadline) == ETIMEDOUT &&
		    c->len == c->nslots && !c->closed)
			return CHAN_TIMEOUT;
	}
	if (c->closed)
		return CHAN_CLOSED;
	c->buf[(c->head + c->len) % c->nslots] = v;
	c->len++;
	mine = ++c->put_count;
	Pthread_cond_broadcast(&c->can_recv);
	if (!c->unbuffered)
		return CHAN_OK;

	/* Rendezvous: the value sits in the single offer slot until a receiver takes it. */
	while (c->taken_count < mine && !c->closed) {
		if (chan_wait(c, &c->taken, deadline) == ETIMEDOUT)
			break;
	}
	if (c->taken_count >= mine)
		return CHAN_OK;
	/* Nobody took it in time, or the channel closed: withdraw the offer. Nobody else can
	 * have put a value meanwhile, since the offer slot was full the whole time. */
	CHAN_ASSERT(c->len == 1 && c->put_count == mine, "len %zu, put %llu, mine %llu", c->len,
		    c->put_count, mine);
	c->len = 0;
	c->put_count--;
	Pthread_cond_broadcast(&c->can_send);
	return c->closed ? CHAN_CLOSED : CHAN_TIMEOUT;
}

static int recv_locked(struct chan *c, void **out, const struct timespec *deadline)
{
	*out = NULL;
	while (c->len == 0 && !c->closed) {
		if (chan_wait(c, &c->can_recv, deadline) == ETIMEDOUT && c->len == 0 &&
		    !c->closed)
			return CHAN_TIMEOUT;
	}
	if (c->len == 0)
		return CHAN_CLOSED; /* closed and drained */
	*out = c->buf[c->head];
	c->head = (c->head + 1) % c->nslots;
	c->len--;
	c->taken_count++;
	Pthread_cond_broadcast(&c->can_send);
	if (c->unbuffered)
		Pthread_cond_broadcast(&c->taken);
	return CHAN_OK;
}

int chan_send(struct chan *c, void *v)
{
	int status;

	Pthread_mutex_lock(&c->lock);
	status = send_locked(c, v, NULL);
	Pthread_mutex_unlock(&c->lock);
	return status;
}

int chan_send_timed(struct chan *c, void *v, long timeout_ms)
{
	struct timespec deadline;
	int status;

	deadline_in(&deadline, timeout_ms);
	Pthread_mutex_lock(&c->lock);
	status = send_locked(c, v, &deadline);
	Pthread_mutex_unlock(&c->lock);
	return status;
}

int chan_recv(struct chan *c, void **out)
{
	int status;

	Pthread_mutex_lock(&c->lock);
	status = recv_locked(c, out, NULL);
	Pthread_mutex_unlock(&c->lock);
	return status;
}

int chan_recv_timed(struct chan *c, void **out, long timeout_ms)
{
	struct timespec deadline;
	int status;

	deadline_in(&deadline, timeout_ms);
	Pthread_mutex_lock(&c->lock);
	status = recv_locked(c, out, &deadline);
	Pthread_mutex_unlock(&c->lock);
	return status;
}

int chan_close(struct chan *c)
{
	int status = CHAN_OK;

	Pthread_mutex_lock(&c->lock);
	if (c->closed) {
		status = CHAN_CLOSED;
	} else {
		c->closed = 1;
		Pthread_cond_broadcast(&c->can_recv);
		Pthread_cond_broadcast(&c->can_send);
		Pthread_cond_broadcast(&c->taken);
	}
	Pthread_mutex_unlock(&c->lock);
	return status;
}

size_t chan_len(struct chan *c)
{
	size_t n;

	Pthread_mutex_lock(&c->lock);
	n = c->unbuffered ? 0 : c->len;
	Pthread_mutex_unlock(&c->lock);
	return n;
}
