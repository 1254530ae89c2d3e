/* broker.c: the pub/sub broker: a list of subscribers under one mutex, and a fan-out of each message to their channels. */
#include "broker.h"

#include <stdatomic.h>

#include "check.h"

struct sub {
	struct chan *ch;       /* the subscriber's bounded channel */
	atomic_ulong dropped;  /* messages it missed; publishers add to it at the same time */
	struct sub *next;      /* the next subscriber, in subscription order */
};

struct broker {
	pthread_rwlock_t lock; /* publishers read-lock the list; changes write-lock it */
	struct sub *subs;
};

struct broker *broker_new(void)
{
	struct broker *b = Malloc(sizeof(*b));

	Pthread_rwlock_init(&b->lock, NULL);
	b->subs = NULL;
	return b;
}

void broker_free(struct broker *b)
{
	Pthread_rwlock_destroy(&b->lock);
	free(b);
}

struct sub *broker_subscribe(struct broker *b, size_t buffer)
{
	struct sub *s = Malloc(sizeof(*s));
	struct sub **tail;

	s->ch = chan_new(buffer);
	atomic_init(&s->dropped, 0);
	s->next = NULL;
	Pthread_rwlock_wrlock(&b->lock);
	for (tail = &b->subs; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = s;
	Pthread_rwlock_unlock(&b->lock);
	return s;
}

struct chan *sub_chan(struct sub *s)
{
	return s->ch;
}

/* The Go original: b.mu.Lock(); for _, ch := range b.subs { ch <- msg }; b.mu.Unlock(). */
void broker_publish(struct broker *b, void *msg)
{
	Pthread_rwlock_rdlock(&b->lock);
	for (struct sub *s = b->subs; s != NULL; s = s->next) {
		/* select { case ch <- msg: default: dropped++ }: never wait with the lock held. */
		if (chan_send_timed(s->ch, msg, 0) != CHAN_OK)
			atomic_fetch_add(&s->dropped, 1);
	}
	Pthread_rwlock_unlock(&b->lock);
}

void broker_unsubscribe(struct broker *b, struct sub *s)
{
	struct sub **link;

	Pthread_rwlock_wrlock(&b->lock);
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
	Pthread_rwlock_unlock(&b->lock);
}

unsigned long sub_dropped(const struct sub *s)
{
	return atomic_load(&s->dropped);
}

void sub_free(struct sub *s)
{
	chan_free(s->ch);
	free(s);
}
