/* broker.h: the in-process pub/sub broker of lab 19: every published message goes to every subscriber's own bounded channel. */
#ifndef LAB19_BROKER_H
#define LAB19_BROKER_H

#include <stddef.h>

#include "chan.h"

struct broker;
struct sub;

/* Returns a broker with no subscribers. Never returns NULL: on out of memory or a pthread
 * error it prints file:line and aborts. */
struct broker *broker_new(void);

/* Frees B. Every subscription must have been unsubscribed, and no call on B may be running. */
void broker_free(struct broker *b);

/* Adds a subscriber whose channel buffers up to BUFFER messages (at least 1) and returns it.
 * Messages published from now on are delivered to it, in the order they are published, until
 * it is unsubscribed. Aborts with file:line on out of memory or a pthread error. */
struct sub *broker_subscribe(struct broker *b, size_t buffer);

/* The channel that S's reader receives its messages from (with chan_recv). */
struct chan *sub_chan(struct sub *s);

/* Offers MSG to every current subscriber. A subscriber whose buffer is full does not get MSG:
 * the broker counts it as dropped for that subscriber and goes on. So broker_publish never
 * waits for a subscriber, and a subscriber that stops reading, however long, delays neither
 * the publisher nor the other subscribers. Several threads may publish at once. */
void broker_publish(struct broker *b, void *msg);

/* Removes S from B and closes its channel: S's reader still receives the messages already
 * buffered, then CHAN_CLOSED. No message is delivered to S afterwards. Returns promptly,
 * whatever S's reader and the publishers are doing. S must be subscribed to B. */
void broker_unsubscribe(struct broker *b, struct sub *s);

/* How many messages were dropped for S because its buffer was full. Call it only once
 * broker_unsubscribe(S) has returned. */
unsigned long sub_dropped(const struct sub *s);

/* Frees S. Call it once broker_unsubscribe(S) has returned and S's reader has stopped using
 * its channel. */
void sub_free(struct sub *s);

#endif
