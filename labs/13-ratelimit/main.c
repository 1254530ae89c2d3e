/* main.c: an API gateway limits each client; one client sends from two connections at once
 * while the janitor sweeps, and later the janitor forgets the clients that went quiet. */
#include <stdio.h>

#include "chan.h"
#include "check.h"
#include "ratelimit.h"

#define RATE 10    /* tokens per second, per client */
#define BURST 100  /* tokens a client can save up */
#define IDLE_MS 60000
#define PER_CONNECTION 150 /* requests each connection sends, all at the same instant */
#define BUSY_CLIENT 7

/* The gateway's clock, moved by hand: main writes it only while no connection thread runs (the
 * janitor never reads it; its ticks carry their own time). */
static long clock_now = 1000;

static long fake_clock(void *arg)
{
	return *(const long *)arg;
}

/* One connection of the busy client, on its own thread. */
struct connection {
	pthread_t thread;
	struct limiter *lim;
	long own_client;          /* another client this connection also serves once */
	pthread_barrier_t *start; /* both connections and main start together */
	int admitted;             /* the busy client's requests admitted on this connection */
	long retry_after_ms;      /* what the last refused request was told */
};

static void *connection_main(void *arg)
{
	struct connection *conn = arg;
	long retry;

	Pthread_barrier_wait(conn->start);
	limiter_allow(conn->lim, conn->own_client, &retry);
	for (int i = 0; i < PER_CONNECTION; i++) {
		if (limiter_allow(conn->lim, BUSY_CLIENT, &retry))
			conn->admitted++;
		else
			conn->retry_after_ms = retry;
	}
	return NULL;
}

int main(void)
{
	struct chan *ticks = chan_new(0);
	struct limiter_config cfg = { .rate = RATE, .burst = BURST, .idle_ms = IDLE_MS,
				      .now_ms = fake_clock, .clock_arg = &clock_now,
				      .ticks = ticks };
	struct limiter *lim = limiter_new(&cfg);
	pthread_barrier_t start;
	struct connection conns[2];
	long retry;
	int admitted;

	Pthread_barrier_init(&start, NULL, 3);
	for (int i = 0; i < 2; i++) {
		conns[i] = (struct connection){ .lim = lim, .own_client = i + 1, .start = &start };
		Pthread_create(&conns[i].thread, NULL, connection_main, &conns[i]);
	}
	Pthread_barrier_wait(&start);
	chan_send(ticks, TICK_AT(clock_now)); /* the janitor sweeps while the connections send */
	for (int i = 0; i < 2; i++)
		Pthread_join(conns[i].thread, NULL);
	Pthread_barrier_destroy(&start);
	admitted = conns[0].admitted + conns[1].admitted;
	printf("client %d: %d requests at one instant, %d admitted (burst %d), told to retry after "
	       "%ld ms\n",
	       BUSY_CLIENT, 2 * PER_CONNECTION, admitted, BURST, conns[0].retry_after_ms);

	/* Two minutes later a new client arrives, and the janitor runs again. Its second tick is
	 * taken only once the first sweep is over. */
	clock_now += 2 * IDLE_MS;
	limiter_allow(lim, 42, &retry);
	chan_send(ticks, TICK_AT(clock_now));
	chan_send(ticks, TICK_AT(clock_now));
	printf("after the sweep: %d client(s) tracked (expected 1)\n", limiter_clients(lim));

	limiter_free(lim);
	chan_free(ticks);
	return 0;
}
