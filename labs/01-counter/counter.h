/* counter.h: the request statistics that a server's handler threads share (lab-owned). */
#ifndef COUNTER_H
#define COUNTER_H

/* Serves one request. handler_loop() calls it once per request, passing ARG through. */
typedef void (*serve_fn)(unsigned long request, void *arg);

/* Statistics of one server; the fields are private to counter.c. */
struct server_stats;

/* Returns new statistics with every count at zero. Aborts (file:line) if out of memory. */
struct server_stats *stats_create(void);

/* Frees STATS. No handler may still be using it. */
void stats_destroy(struct server_stats *stats);

/* Returns how many requests have been served so far. May be called while handlers run. */
unsigned long stats_requests(struct server_stats *stats);

/* The body of one handler thread: serves NREQUESTS requests with SERVE and counts each one in
 * STATS. Many handler threads run this at the same time on the same STATS. */
void handler_loop(struct server_stats *stats, unsigned long nrequests, serve_fn serve, void *arg);

#endif
