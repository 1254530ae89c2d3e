/* test_pubsub.c: cmocka tests of broker.c: every subscriber gets every message, a subscriber that
 * stops reading stalls nobody, and unsubscribing it returns at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "broker.h"
#include "check.h"
#include "gate.h"
#include "threadcheck.h"
#include "threads_left.h"

#define MESSAGES 10
#define FAST_BUFFER 16 /* more than MESSAGES: a fast subscriber's buffer never fills */
#define STUCK_BUFFER 2 /* nobody reads it: messages 1 and 2 fit, 3 is the first that cannot */
/* How long a test waits for something a correct broker does at once. */
#define PATIENCE_MS 1000

/* A publisher thread: publishes messages 1..MESSAGES, then opens done. */
struct feed {
	pthread_t thread;
	struct broker *b;
	struct gate done;
};

static void *feed_main(void *arg)
{
	struct feed *f = arg;

	for (intptr_t m = 1; m <= MESSAGES; m++)
		broker_publish(f->b, (void *)m);
	gate_open(&f->done);
	return NULL;
}

static void feed_start(struct feed *f, struct broker *b)
{
	f->b = b;
	gate_init(&f->done);
	Pthread_create(&f->thread, NULL, feed_main, f);
}

/* Receives from S for at most PATIENCE_MS. Returns the message number, 0 on a timeout, or -1
 * once the channel is closed and drained. */
static intptr_t recv_within(struct sub *s)
{
	void *msg;

	switch (chan_recv_timed(sub_chan(s), &msg, PATIENCE_MS)) {
	case CHAN_OK:
		return (intptr_t)msg;
	case CHAN_TIMEOUT:
		return 0;
	case CHAN_CLOSED:
		return -1;
	}
	return 0;
}

/* Reads STUCK, the subscriber nobody else reads, until the feed is done, so that a publisher
 * waiting for it goes on (and, with it, anything waiting for the broker's lock). Then joins the
 * feed. Used to clean up after a broken broker, and harmless with a correct one. */
static void unstick_and_join(struct feed *f, struct sub *stuck)
{
	void *msg;

	while (!gate_wait_ms(&f->done, 1))
		chan_recv_timed(sub_chan(stuck), &msg, 1);
	Pthread_join(f->thread, NULL);
	gate_destroy(&f->done);
}

/* Asserts that every thread started since BASE has ended. */
static void assert_no_thread_left(const struct tc_baseline *base)
{
	assert_no_thread_left_when(base, "at the end of the test", 4096);
}

/* Two subscribers that keep up get every message, in order, then CHAN_CLOSED. */
static void test_every_subscriber_gets_every_message(void **state)
{
	struct broker *b = broker_new();
	struct sub *s[2] = {broker_subscribe(b, FAST_BUFFER), broker_subscribe(b, FAST_BUFFER)};

	(void)state;
	for (intptr_t m = 1; m <= MESSAGES; m++)
		broker_publish(b, (void *)m);
	for (int i = 0; i < 2; i++) {
		broker_unsubscribe(b, s[i]);
		for (intptr_t m = 1; m <= MESSAGES; m++)
			assert_int_equal(recv_within(s[i]), m);
		assert_int_equal(recv_within(s[i]), -1);
		assert_int_equal(sub_dropped(s[i]), 0);
		sub_free(s[i]);
	}
	broker_free(b);
}

/* Nothing published after an unsubscribe reaches that subscriber; the others go on. */
static void test_unsubscribe_stops_delivery(void **state)
{
	struct broker *b = broker_new();
	struct sub *gone = broker_subscribe(b, FAST_BUFFER);
	struct sub *stays = broker_subscribe(b, FAST_BUFFER);

	(void)state;
	broker_publish(b, (void *)(intptr_t)1);
	broker_unsubscribe(b, gone);
	broker_publish(b, (void *)(intptr_t)2);
	assert_int_equal(recv_within(gone), 1);
	assert_int_equal(recv_within(gone), -1);
	broker_unsubscribe(b, stays);
	assert_int_equal(recv_within(stays), 1);
	assert_int_equal(recv_within(stays), 2);
	assert_int_equal(recv_within(stays), -1);
	sub_free(gone);
	sub_free(stays);
	broker_free(b);
}

/* A subscriber that never reads: the feed goes on, the fast subscriber gets all the messages,
 * and the stuck one loses those that did not fit in its buffer, counted. */
static void test_stuck_subscriber_stalls_nobody(void **state)
{
	struct tc_baseline base;
	struct broker *b = broker_new();
	struct sub *fast = broker_subscribe(b, FAST_BUFFER);
	struct sub *stuck = broker_subscribe(b, STUCK_BUFFER);
	struct feed f;
	intptr_t m, got = 0;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	feed_start(&f, b);
	while (got < MESSAGES && (m = recv_within(fast)) > 0)
		got = m;
	if (got < MESSAGES) {
		unstick_and_join(&f, stuck);
		fail_msg("stall: the fast subscriber got %d of %d messages and then nothing for %d ms; "
			 "the feed is waiting for the subscriber that stopped reading, whose buffer of "
			 "%d is full",
			 (int)got, MESSAGES, PATIENCE_MS, STUCK_BUFFER);
	}
	if (!gate_wait_ms(&f.done, PATIENCE_MS)) {
		unstick_and_join(&f, stuck);
		fail_msg("broker_publish has not returned after %d ms", PATIENCE_MS);
	}
	Pthread_join(f.thread, NULL);
	gate_destroy(&f.done);
	broker_unsubscribe(b, fast);
	broker_unsubscribe(b, stuck);
	assert_int_equal(sub_dropped(fast), 0);
	assert_int_equal(sub_dropped(stuck), MESSAGES - STUCK_BUFFER);
	assert_int_equal(recv_within(stuck), 1);
	assert_int_equal(recv_within(stuck), 2);
	assert_int_equal(recv_within(stuck), -1);
	sub_free(stuck);
	sub_free(fast);
	broker_free(b);
	assert_no_thread_left(&base);
}

/* Runs broker_unsubscribe(b, s) on its own thread, so that the test can give up on it. */
struct unsubscriber {
	pthread_t thread;
	struct broker *b;
	struct sub *s;
	struct gate done;
};

static void *unsubscriber_main(void *arg)
{
	struct unsubscriber *u = arg;

	broker_unsubscribe(u->b, u->s);
	gate_open(&u->done);
	return NULL;
}

/* The health checker's move: unsubscribing the subscriber that stopped reading, while the feed
 * has a message for it that does not fit, must return at once. */
static void test_unsubscribe_stuck_subscriber_returns(void **state)
{
	struct tc_baseline base;
	struct broker *b = broker_new();
	struct sub *fast = broker_subscribe(b, FAST_BUFFER);
	struct sub *stuck = broker_subscribe(b, STUCK_BUFFER);
	struct unsubscriber u = {.b = b, .s = stuck};
	struct feed f;
	intptr_t m;

	(void)state;
	assert_int_equal(tc_baseline_take(&base), 0);
	feed_start(&f, b);
	/* Once the fast subscriber has message STUCK_BUFFER + 1, the feed has tried to hand the
	 * stuck subscriber a message that its full buffer cannot take. */
	while ((m = recv_within(fast)) > 0 && m < STUCK_BUFFER + 1)
		;
	assert_int_equal(m, STUCK_BUFFER + 1);
	gate_init(&u.done);
	Pthread_create(&u.thread, NULL, unsubscriber_main, &u);
	if (!gate_wait_ms(&u.done, PATIENCE_MS)) {
		unstick_and_join(&f, stuck);
		Pthread_join(u.thread, NULL);
		fail_msg("deadlock: broker_unsubscribe of the subscriber that stopped reading has not "
			 "returned after %d ms; it waits for the broker's lock, which broker_publish "
			 "holds while it waits for room in that same subscriber's buffer",
			 PATIENCE_MS);
	}
	Pthread_join(u.thread, NULL);
	gate_destroy(&u.done);
	unstick_and_join(&f, stuck);
	broker_unsubscribe(b, fast);
	sub_free(stuck);
	sub_free(fast);
	broker_free(b);
	assert_no_thread_left(&base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_subscriber_gets_every_message),
		cmocka_unit_test(test_unsubscribe_stops_delivery),
		cmocka_unit_test(test_stuck_subscriber_stalls_nobody),
		cmocka_unit_test(test_unsubscribe_stuck_subscriber_returns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
