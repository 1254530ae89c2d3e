/* server.h: the request server of lab 09, the student's code: it runs each accepted request's handler on a thread of its own. */
#ifndef LAB09_SERVER_H
#define LAB09_SERVER_H

#include "service.h"

/* The limits the operators configured. */
struct server_config {
	request_handler_fn handler; /* runs each accepted request */
	void *handler_arg;
	int workers;                /* at most this many requests are handled at once (>= 1) */
	int queue_len;              /* at most this many accepted requests wait for a handler (>= 1) */
	long retry_after_ms;        /* what a refused client is told to wait before it retries */
};

struct server;

/* Starts a server with the configuration CFG (copied). Never returns NULL: on out of memory or
 * a pthread error it prints file:line and aborts. */
struct server *server_new(const struct server_config *cfg);

/* Takes REQ in and returns at once, without waiting for the handler. Returns 0 when REQ was
 * accepted: the handler will answer it on another thread, and REQ must stay valid until
 * server_stop returns. When cfg.workers requests are being handled and cfg.queue_len more
 * are waiting, REQ is refused instead: it is answered with request_refuse(REQ,
 * cfg.retry_after_ms) before the call returns -EBUSY. However many requests arrive, the server
 * never has more than cfg.workers threads. Must not be called during or after server_stop.
 * Aborts with file:line on a pthread error. */
int server_submit(struct server *s, struct request *req);

/* Waits until every accepted request has been answered and the server's threads have ended,
 * then frees S. Aborts with file:line on a pthread error. */
void server_stop(struct server *s);

#endif
