/* connections/explorer: answers connection queries from live sock_diag dumps.
 *
 * One thread of its own runs the dumps. Requests queue up; the thread takes
 * every queued request, runs one dump for all of them (listeners first, for
 * the direction, then the other TCP states and UDP on two workers), feeds
 * each socket to every request's view (connections/view.h), renders each
 * answer as JSON and calls its done(). So concurrent requests share a dump,
 * and a request costs at most one. Nothing per socket is kept beyond each
 * view's `limit` rows.
 *
 * Rows carry the program (comm, pid) from an owner cache of the explorer's
 * own (owners/cache.h), the socket's uid and user, and with --geoip.database
 * the remote country and, with --geoip.asn-database, the AS. With
 * --collector.sockets.tcp-info the TCP dump asks INET_DIAG_INFO too (the
 * explorer follows the sockets collector's flag: one switch for tcp_info's
 * cost), and rows of full TCP sockets carry RTT and retransmissions; else
 * those are null. Network namespace, pod and container are in every row as
 * null until the dump collects them. */
#ifndef NETSTAT_CONNECTIONS_EXPLORER_H
#define NETSTAT_CONNECTIONS_EXPLORER_H

#include "cli/config.h"
#include "connections/query.h"
#include "util/strbuf.h"

struct conn_explorer;

/* One request. The caller owns it and must keep it alive until done() is
 * called (from the explorer's thread). */
struct conn_request {
	struct conn_query query;       /* in */
	int ret;                       /* out: 0, or a negative errno */
	struct strbuf body;            /* out: the JSON answer when ret == 0; caller frees */
	void (*done)(struct conn_request *r);
	struct conn_request *next;     /* the explorer's */
};

/* Opens the GeoIP databases of cfg (a bad one is -EINVAL with one line in
 * err) and starts the thread. cfg must outlive the explorer. */
int conn_explorer_new(const struct config *cfg, struct conn_explorer **out, struct strbuf *err);
/* How long conn_explorer_close() waits for a running dump. */
#define CONN_EXPLORER_STOP_GRACE_SECONDS 2

/* Lets the running dump finish (waiting at most
 * CONN_EXPLORER_STOP_GRACE_SECONDS, then leaving it, logged), answers every
 * queued request and every later one with -ECANCELED, stops the thread.
 * Accepts NULL; may be called twice. */
void conn_explorer_close(struct conn_explorer *x);
/* Closes and frees; when closing left a dump running, frees nothing (its
 * thread still uses it: the process is exiting). Accepts NULL. */
void conn_explorer_free(struct conn_explorer *x);

/* Queues r; r->done() follows, from the explorer's thread, or from this call
 * for an immediate answer: -ENOTSUP for a query that needs a country without
 * a GeoIP database, -ECANCELED after conn_explorer_close(). */
void conn_explorer_submit(struct conn_explorer *x, struct conn_request *r);

#endif
