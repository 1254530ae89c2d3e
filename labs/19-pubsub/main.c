/* main.c: a price feed publishes 10 ticks to a dashboard and to a phone whose connection stalls
 * at tick 3; the health checker then unsubscribes the phone. */
#include <stdint.h>
#include <stdio.h>

#include "broker.h"
#include "check.h"
#include "gate.h"

#define TICKS 10
#define DASHBOARD_BUFFER 16 /* more than TICKS: the dashboard's buffer never fills */
#define STUCK_AT 3          /* the phone stops reading while it handles tick 3 */
#define PHONE_BUFFER 3      /* ticks 4, 5 and 6 fit in its buffer after that; 7 does not */
#define FIRST_UNDELIVERABLE (STUCK_AT + PHONE_BUFFER + 1)

static struct broker *broker;
static struct sub *dashboard, *phone;
static struct gate phone_stuck;      /* the phone has taken tick STUCK_AT and stopped reading */
static struct gate phone_released;   /* its connection is torn down: it reads again */
static struct gate dashboard_caught; /* the dashboard has received tick FIRST_UNDELIVERABLE */

/* What each subscriber's reader got. Each is written only by its reader and read by main after
 * the join. */
static int dashboard_got, phone_got;

/* The dashboard: reads every tick until its subscription is closed. */
static void *dashboard_main(void *arg)
{
	void *msg;

	(void)arg;
	while (chan_recv(sub_chan(dashboard), &msg) == CHAN_OK) {
		dashboard_got++;
		if ((intptr_t)msg == FIRST_UNDELIVERABLE)
			gate_open(&dashboard_caught);
	}
	return NULL;
}

/* The phone: a push gateway whose client stops reading in the middle of tick STUCK_AT (its TCP
 * window is full). It reads again once the health checker has given up on it. */
static void *phone_main(void *arg)
{
	void *msg;

	(void)arg;
	while (chan_recv(sub_chan(phone), &msg) == CHAN_OK) {
		phone_got++;
		if ((intptr_t)msg == STUCK_AT) {
			gate_open(&phone_stuck);
			gate_wait(&phone_released);
		}
	}
	return NULL;
}

/* The price feed. It pauses after tick STUCK_AT until the phone is stuck, so that each run
 * sees the same thing: the phone's buffer empty at that moment, and ticks STUCK_AT+1 to
 * STUCK_AT+PHONE_BUFFER the last ones that fit in it. */
static void *feed_main(void *arg)
{
	(void)arg;
	for (intptr_t tick = 1; tick <= TICKS; tick++) {
		broker_publish(broker, (void *)tick);
		if (tick == STUCK_AT)
			gate_wait(&phone_stuck);
	}
	return NULL;
}

int main(void)
{
	pthread_t feed, dash, ph;
	unsigned long dropped;

	gate_init(&phone_stuck);
	gate_init(&phone_released);
	gate_init(&dashboard_caught);
	broker = broker_new();
	dashboard = broker_subscribe(broker, DASHBOARD_BUFFER);
	phone = broker_subscribe(broker, PHONE_BUFFER);
	Pthread_create(&dash, NULL, dashboard_main, NULL);
	Pthread_create(&ph, NULL, phone_main, NULL);
	Pthread_create(&feed, NULL, feed_main, NULL);

	/* The health checker: the phone has stopped reading, and the feed has moved past what its
	 * buffer can hold (the dashboard already has tick FIRST_UNDELIVERABLE). Kick it out. */
	gate_wait(&phone_stuck);
	gate_wait(&dashboard_caught);
	printf("health check: the phone stopped at tick %d, the dashboard is at tick %d: "
	       "unsubscribing the phone\n",
	       STUCK_AT, FIRST_UNDELIVERABLE);
	fflush(stdout);
	broker_unsubscribe(broker, phone);
	dropped = sub_dropped(phone);
	gate_open(&phone_released);

	Pthread_join(feed, NULL);
	broker_unsubscribe(broker, dashboard);
	Pthread_join(dash, NULL);
	Pthread_join(ph, NULL);
	printf("dashboard: %d of %d ticks; phone: %d ticks before it was unsubscribed, %lu dropped\n",
	       dashboard_got, TICKS, phone_got, dropped);

	sub_free(phone);
	sub_free(dashboard);
	broker_free(broker);
	gate_destroy(&dashboard_caught);
	gate_destroy(&phone_released);
	gate_destroy(&phone_stuck);
	return dashboard_got == TICKS ? 0 : 1;
}
