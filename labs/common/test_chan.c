/* test_chan.c: cmocka tests of the Go-style channel (chan.h): rendezvous, buffering, close, timeouts, many threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "chan.h"
#include "check.h"

/* Values travel as pointers; these never point anywhere, they only carry a number (never 0,
 * so that a value can be told from the NULL of a failed receive). */
#define VAL(n) ((void *)(uintptr_t)(n))
#define NUM(p) ((uintptr_t)(p))

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* A sender thread that records, under a lock, whether its send has returned. */
struct sender {
	struct chan *c;
	void *v;
	pthread_mutex_t lock;
	int done;
	int status;
};

static void *sender_main(void *p)
{
	struct sender *s = p;
	int status = chan_send(s->c, s->v);

	Pthread_mutex_lock(&s->lock);
	s->done = 1;
	s->status = status;
	Pthread_mutex_unlock(&s->lock);
	return NULL;
}

static int sender_done(struct sender *s)
{
	int done;

	Pthread_mutex_lock(&s->lock);
	done = s->done;
	Pthread_mutex_unlock(&s->lock);
	return done;
}

/* Unbuffered: a send with nobody receiving does not complete, and a timed one withdraws its
 * value. */
static void test_unbuffered_send_waits_for_receiver(void **state)
{
	struct chan *c = chan_new(0);
	struct sender s = {.c = c, .v = VAL(7)};
	pthread_t t;
	void *v;

	(void)state;
	assert_int_equal(chan_send_timed(c, VAL(1), 50), CHAN_TIMEOUT);
	assert_int_equal(chan_recv_timed(c, &v, 0), CHAN_TIMEOUT); /* the offer was withdrawn */
	assert_null(v);
	assert_int_equal(chan_len(c), 0);

	Pthread_mutex_init(&s.lock, NULL);
	Pthread_create(&t, NULL, sender_main, &s);
	/* The pause gives a broken channel the chance to let the send return early; a correct
	 * one passes whatever the timing. */
	sleep_ms(50);
	assert_false(sender_done(&s));
	assert_int_equal(chan_recv(c, &v), CHAN_OK);
	assert_ptr_equal(v, VAL(7));
	Pthread_join(t, NULL);
	assert_true(s.done);
	assert_int_equal(s.status, CHAN_OK);
	Pthread_mutex_destroy(&s.lock);
	chan_free(c);
}

/* Unbuffered: a timed receive and a timed send meet when both are in time. */
static void *timed_sender_main(void *p)
{
	return (void *)(intptr_t)chan_send_timed(p, VAL(99), 5000);
}

static void test_unbuffered_timed_rendezvous(void **state)
{
	struct chan *c = chan_new(0);
	pthread_t t;
	void *v;
	void *ret;

	(void)state;
	Pthread_create(&t, NULL, timed_sender_main, c);
	assert_int_equal(chan_recv_timed(c, &v, 5000), CHAN_OK);
	assert_ptr_equal(v, VAL(99));
	Pthread_join(t, &ret);
	assert_int_equal((intptr_t)ret, CHAN_OK);
	chan_free(c);
}

/* Buffered: CAPACITY sends complete without a receiver, the next one waits, order is FIFO. */
static void test_buffered_fifo_and_full(void **state)
{
	struct chan *c = chan_new(3);
	void *v;
	uintptr_t i;

	(void)state;
	for (i = 1; i <= 3; i++)
		assert_int_equal(chan_send_timed(c, VAL(i), 0), CHAN_OK);
	assert_int_equal(chan_len(c), 3);
	assert_int_equal(chan_send_timed(c, VAL(4), 20), CHAN_TIMEOUT);
	assert_int_equal(chan_len(c), 3);
	for (i = 1; i <= 3; i++) {
		assert_int_equal(chan_recv(c, &v), CHAN_OK);
		assert_int_equal(NUM(v), i);
	}
	assert_int_equal(chan_len(c), 0);
	/* The ring wraps around correctly. */
	for (i = 10; i < 20; i++) {
		assert_int_equal(chan_send(c, VAL(i)), CHAN_OK);
		assert_int_equal(chan_recv(c, &v), CHAN_OK);
		assert_int_equal(NUM(v), i);
	}
	chan_free(c);
}

/* Close: buffered values are still received, then CHAN_CLOSED for ever; sending and closing
 * again are reported errors. */
static void test_close_drains_then_reports_closed(void **state)
{
	struct chan *c = chan_new(4);
	void *v;
	uintptr_t i;

	(void)state;
	for (i = 1; i <= 3; i++)
		assert_int_equal(chan_send(c, VAL(i)), CHAN_OK);
	assert_int_equal(chan_close(c), CHAN_OK);
	assert_int_equal(chan_send(c, VAL(4)), CHAN_CLOSED);
	assert_int_equal(chan_send_timed(c, VAL(4), 10), CHAN_CLOSED);
	assert_int_equal(chan_close(c), CHAN_CLOSED);
	for (i = 1; i <= 3; i++) {
		assert_int_equal(chan_recv(c, &v), CHAN_OK);
		assert_int_equal(NUM(v), i);
	}
	assert_int_equal(chan_recv(c, &v), CHAN_CLOSED);
	assert_null(v);
	assert_int_equal(chan_recv_timed(c, &v, 10), CHAN_CLOSED);
	assert_int_equal(chan_recv(c, &v), CHAN_CLOSED);
	chan_free(c);
}

/* Timeouts: each timed operation waits about as long as asked, then reports CHAN_TIMEOUT. */
static void test_timeouts(void **state)
{
	struct chan *unbuf = chan_new(0);
	struct chan *full = chan_new(1);
	double t0;
	void *v = VAL(1);

	(void)state;
	t0 = now_ms();
	assert_int_equal(chan_recv_timed(unbuf, &v, 60), CHAN_TIMEOUT);
	assert_true(now_ms() - t0 >= 59.0);
	assert_null(v);

	t0 = now_ms();
	assert_int_equal(chan_send_timed(unbuf, VAL(1), 60), CHAN_TIMEOUT);
	assert_true(now_ms() - t0 >= 59.0);

	assert_int_equal(chan_send(full, VAL(1)), CHAN_OK);
	t0 = now_ms();
	assert_int_equal(chan_send_timed(full, VAL(2), 60), CHAN_TIMEOUT);
	assert_true(now_ms() - t0 >= 59.0);

	/* Zero and negative timeouts only poll. */
	assert_int_equal(chan_send_timed(full, VAL(2), 0), CHAN_TIMEOUT);
	assert_int_equal(chan_recv_timed(full, &v, -5), CHAN_OK);
	assert_ptr_equal(v, VAL(1));
	assert_int_equal(chan_recv_timed(full, &v, 0), CHAN_TIMEOUT);
	chan_free(unbuf);
	chan_free(full);
}

/* Close wakes every blocked receiver and a blocked unbuffered sender. */
struct blocked {
	struct chan *c;
	pthread_barrier_t *started;
	int status;
	void *v;
};

static void *blocked_recv_main(void *p)
{
	struct blocked *b = p;

	Pthread_barrier_wait(b->started);
	b->status = chan_recv(b->c, &b->v);
	return NULL;
}

static void *blocked_send_main(void *p)
{
	struct blocked *b = p;

	Pthread_barrier_wait(b->started);
	b->status = chan_send(b->c, VAL(5));
	return NULL;
}

#define NBLOCKED 4

static void test_close_wakes_blocked(void **state)
{
	struct chan *rc = chan_new(0);
	struct chan *sc = chan_new(0);
	pthread_barrier_t started;
	struct blocked b[NBLOCKED + 1];
	pthread_t t[NBLOCKED + 1];
	int i;

	(void)state;
	Pthread_barrier_init(&started, NULL, NBLOCKED + 2);
	for (i = 0; i < NBLOCKED; i++) {
		b[i] = (struct blocked){.c = rc, .started = &started, .status = 99, .v = VAL(1)};
		Pthread_create(&t[i], NULL, blocked_recv_main, &b[i]);
	}
	b[NBLOCKED] = (struct blocked){.c = sc, .started = &started, .status = 99};
	Pthread_create(&t[NBLOCKED], NULL, blocked_send_main, &b[NBLOCKED]);
	Pthread_barrier_wait(&started);
	/* Give them time to block; whether they had or not, close must end every wait. */
	sleep_ms(30);
	assert_int_equal(chan_close(rc), CHAN_OK);
	assert_int_equal(chan_close(sc), CHAN_OK);
	for (i = 0; i <= NBLOCKED; i++)
		Pthread_join(t[i], NULL);
	for (i = 0; i < NBLOCKED; i++) {
		assert_int_equal(b[i].status, CHAN_CLOSED);
		assert_null(b[i].v);
	}
	assert_int_equal(b[NBLOCKED].status, CHAN_CLOSED);
	/* The closed sender's value was withdrawn, not left for a receiver. */
	{
		void *v;

		assert_int_equal(chan_recv(sc, &v), CHAN_CLOSED);
	}
	Pthread_barrier_destroy(&started);
	chan_free(rc);
	chan_free(sc);
}

/* Many producers and consumers: every value arrives exactly once. */
#define NPROD 4
#define NCONS 4
#define PER_PRODUCER 3000

struct worker {
	struct chan *c;
	int id;
	unsigned long long sum;
	unsigned long count;
	unsigned long failed; /* producer: sends that did not return CHAN_OK */
	unsigned char *seen; /* consumer: seen[n] counts receipts of value n */
};

static void *producer_main(void *p)
{
	struct worker *w = p;
	uintptr_t i;

	for (i = 0; i < PER_PRODUCER; i++) {
		uintptr_t n = (uintptr_t)w->id * PER_PRODUCER + i + 1;

		/* cmocka's asserts may only run on the test's own thread: count, check later. */
		if (chan_send(w->c, VAL(n)) != CHAN_OK) {
			w->failed++;
			continue;
		}
		w->sum += n;
		w->count++;
	}
	return NULL;
}

static void *consumer_main(void *p)
{
	struct worker *w = p;
	void *v;

	while (chan_recv(w->c, &v) == CHAN_OK) {
		w->sum += NUM(v);
		w->count++;
		w->seen[NUM(v)]++;
	}
	return NULL;
}

static void run_many(size_t capacity)
{
	struct chan *c = chan_new(capacity);
	struct worker prod[NPROD], cons[NCONS];
	pthread_t pt[NPROD], ct[NCONS];
	unsigned long long sent = 0, got = 0;
	unsigned long nsent = 0, ngot = 0;
	size_t nvalues = NPROD * PER_PRODUCER + 1;
	size_t n;
	int i;

	for (i = 0; i < NCONS; i++) {
		cons[i] = (struct worker){.c = c, .id = i, .seen = test_calloc(nvalues, 1)};
		Pthread_create(&ct[i], NULL, consumer_main, &cons[i]);
	}
	for (i = 0; i < NPROD; i++) {
		prod[i] = (struct worker){.c = c, .id = i};
		Pthread_create(&pt[i], NULL, producer_main, &prod[i]);
	}
	for (i = 0; i < NPROD; i++) {
		Pthread_join(pt[i], NULL);
		assert_int_equal(prod[i].failed, 0);
		sent += prod[i].sum;
		nsent += prod[i].count;
	}
	assert_int_equal(chan_close(c), CHAN_OK);
	for (i = 0; i < NCONS; i++) {
		Pthread_join(ct[i], NULL);
		got += cons[i].sum;
		ngot += cons[i].count;
	}
	assert_int_equal(nsent, NPROD * PER_PRODUCER);
	assert_int_equal(ngot, nsent);
	assert_int_equal(got, sent);
	for (n = 1; n < nvalues; n++) {
		unsigned total = 0;

		for (i = 0; i < NCONS; i++)
			total += cons[i].seen[n];
		assert_int_equal(total, 1);
	}
	for (i = 0; i < NCONS; i++)
		test_free(cons[i].seen);
	chan_free(c);
}

static void test_many_unbuffered(void **state)
{
	(void)state;
	run_many(0);
}

static void test_many_buffered(void **state)
{
	(void)state;
	run_many(8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unbuffered_send_waits_for_receiver),
		cmocka_unit_test(test_unbuffered_timed_rendezvous),
		cmocka_unit_test(test_buffered_fifo_and_full),
		cmocka_unit_test(test_close_drains_then_reports_closed),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_close_wakes_blocked),
		cmocka_unit_test(test_many_unbuffered),
		cmocka_unit_test(test_many_buffered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
