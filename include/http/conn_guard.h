/* http/conn_guard: slow clients cannot starve the exporter.
 *
 * libmicrohttpd's --web.timeout counts idle time only, so a client that
 * sends its headers a byte a second keeps a connection forever, and a few
 * such clients fill --web.max-connections. conn_guard watches every
 * connection of a listener (from libmicrohttpd's connection callbacks) and
 * ends, with shutdown(2) on its socket (libmicrohttpd then sees the end and
 * closes it itself: the fd is never closed under it), a connection that
 *   - has not completed the headers of a request within the header timeout
 *     of its start or of the end of its previous request (idle keep-alive
 *     time counts), or
 *   - has not finished a request within the request timeout of its headers
 *     (a reader that takes a response a byte at a time).
 * And it keeps capacity for clients that are prompt: at most max_pending
 * connections of a listener may be waiting for headers at once; a new one
 * beyond that ends the oldest waiting connection of the client address with
 * the most waiting connections. A flood of idle or trickling connections so
 * holds at most max_pending slots, the rest of --web.max-connections stays
 * for scrapers that send their request at once, and the churn of a flood
 * from a few addresses ends their own connections, not a scraper's
 * handshake in progress. One watchdog thread checks four times a second. */
#ifndef NETSTAT_HTTP_CONN_GUARD_H
#define NETSTAT_HTTP_CONN_GUARD_H

#include <stdint.h>

#define CONN_GUARD_MAX_POOLS 17 /* listeners: CONFIG_MAX_LISTEN + the probe one */

struct conn_guard;
struct conn_entry;

struct conn_guard_stats {
	uint64_t header_timeouts;  /* ended: no complete headers in time */
	uint64_t request_timeouts; /* ended: request not finished in time */
	uint64_t evicted;          /* ended: oldest waiting beyond max_pending */
};

/* Timeouts in seconds. NULL means ENOMEM (or no thread). */
struct conn_guard *conn_guard_new(double header_timeout, double request_timeout,
				  unsigned max_pending);
/* After every listener is stopped (no entry may be left). Accepts NULL. */
void conn_guard_free(struct conn_guard *g);

/* A connection of listener pool (0 .. CONN_GUARD_MAX_POOLS-1) from peer
 * (may be NULL) started on fd. NULL means ENOMEM: it is then not watched. */
struct sockaddr;
struct conn_entry *conn_guard_started(struct conn_guard *g, unsigned pool, int fd,
				      const struct sockaddr *peer);
/* The headers of its current request are complete. */
void conn_guard_headers(struct conn_guard *g, struct conn_entry *e);
/* Its current request is done: the next one's header clock starts. */
void conn_guard_request_done(struct conn_guard *g, struct conn_entry *e);
/* It is closed (before its fd is). Frees e. Accepts NULL. */
void conn_guard_closed(struct conn_guard *g, struct conn_entry *e);

void conn_guard_get_stats(struct conn_guard *g, struct conn_guard_stats *st);

#endif
