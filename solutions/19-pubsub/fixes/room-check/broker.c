/* broker.c: the pub/sub broker: a list of subscribers under one mutex, and a fan-out of each message to their channels. */
#include "broker.h"

#include "check.h"

struct sub {
	struct chan *ch;       /* the subscriber's bounded channel */
	size_t buffer;         /* its capacity */
	unsigned long dropped; /* messages it missed; guarded by the broker's lock */
	struct sub *next;      /* the next subscriber, in subscription order */
};

struct broker {
	pthread_mutex_t lock; /* guards the list of subscribers and their dropped counts */
	struct sub *subs;
};

struct broker *broker_new(void)
{
	struct broker *b = Malloc(sizeof(*b));

	Pthread_mutex_init(&b->lock, NULL);
	b->subs = NULL;
	return b;
}

void broker_free(struct broker *b)
{
	Pthread_mutex_destroy(&b->lock);
	free(b);
}

struct sub *broker_subscribe(struct broker *b, size_t buffer)
{
	struct sub *s = Malloc(sizeof(*s));
	struct sub **tail;

	s->ch = chan_new(buffer);
	s->buffer = buffer;
	s->dropped = 0;
	s->next = NULL;
	Pthread_mutex_lock(&b->lock);
	for (tail = &b->subs; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = s;
	Pthread_mutex_unlock(&b->lock);
	return s;
}

struct chan *sub_chan(struct sub *s)
{
	return s->ch;
}

/* The Go original: b.mu.Lock(); for _, ch := range b.subs { ch <- msg }; b.mu.Unlock(). */
void broker_publish(struct broker *b, void *msg)
{
	Pthread_mutex_lock(&b->lock);
	for (struct sub *s = b->subs; s != NULL; s = s->next) {
		/* Readers only ever make room, and every sender holds b->lock: room seen now is
		 * still there for the send. */
		if (chan_len(s->ch) < s->buffer)
			chan_send(s->ch, msg);
		else
			s->dropped++;
	}
	Pthread_mutex_unlock(&b->lock);
}

void broker_unsubscribe(struct broker *b, struct sub *s)
{
	struct sub **link;

	Pthread_mutex_lock(&b->lock);
	for (link = &b->subs; *link != s; link = &(*link)->next) {
		if (*link == NULL) {
			fprintf(stderr, "%s:%d: broker_unsubscribe: %p is not subscribed\n",
				__FILE__, __LINE__, (void *)s);
			abort();
		}
	}
	*link = s->next;
	/* Under the lock: once it is released, no publisher can still be sending to S. */
	chan_close(s->ch);
	Pthread_mutex_unlock(&b->lock);
}

unsigned long sub_dropped(const struct sub *s)
{
	return s->dropped;
}

void sub_free(struct sub *s)
{
	chan_free(s->ch);
	free(s);
}
