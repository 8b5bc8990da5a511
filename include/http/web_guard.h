/* http/web_guard: what --web.config.file asks of every connection and
 * request, for http/server to call.
 *
 * Per connection (libmicrohttpd's connection-start callback, before the TLS
 * handshake): the session gets the credentials, priorities and client
 * certificate policy of the current web_state, so a rotated certificate, key
 * or client CA is used from the next connection on; the connection holds that
 * state until it closes.
 *
 * Per request: the rate limit (429, as the toolkit's rate_limit), then
 * client_allowed_sans (403), then basic auth (401 with WWW-Authenticate). A password that is not in the cache of
 * successful verifications is checked by bcrypt on one worker thread while
 * the connection is suspended, so neither a wrong password nor a first
 * scrape holds an event-loop thread for bcrypt's ~50-100 ms: other clients
 * on that thread are served meanwhile. At most WEB_GUARD_MAX_PENDING checks
 * wait at a time, and at most WEB_GUARD_MAX_PENDING_PER_CLIENT of one client
 * address (IPv6: one /64); more get 503. The worker takes the clients' checks
 * in turn (fair queueing), so a client arriving during another's flood waits
 * for one check of each other client, not for the flood.
 *
 * The users, headers and rate limit come from the current web_state, re-read
 * at most once a second when the files change (see http/web_state). */
#ifndef NETSTAT_HTTP_WEB_GUARD_H
#define NETSTAT_HTTP_WEB_GUARD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

#define WEB_GUARD_MAX_PENDING 64
#define WEB_GUARD_MAX_PENDING_PER_CLIENT 8
/* Options web_guard_mhd_options() may add, plus the terminator. */
#define WEB_GUARD_MAX_OPTIONS 3

enum web_verdict {
	WEB_ALLOW = 0, /* serve the request */
	WEB_ANSWERED,  /* a refusal was queued; return rc */
	WEB_WAIT,      /* the connection is suspended; return MHD_YES */
	WEB_VERDICT_COUNT
};

struct web_guard;

/* Loads path (see web_state_load: exit status 2 material on error, one line
 * in err naming the key) and starts the bcrypt worker. */
int web_guard_new(const char *path, struct web_guard **out, struct strbuf *err);
/* Stops the worker, resuming every suspended connection with a refusal:
 * call before MHD_stop_daemon() (which must not find suspended ones). */
void web_guard_stop(struct web_guard *g);
/* After every daemon is stopped. Accepts NULL. */
void web_guard_free(struct web_guard *g);

/* Whether the daemons serve TLS (fixed at start). */
bool web_guard_tls(const struct web_guard *g);
/* MHD_USE_* flags the daemons need. */
unsigned web_guard_mhd_flags(const struct web_guard *g);
/* Fills opts (room for WEB_GUARD_MAX_OPTIONS) with the options for
 * MHD_OPTION_ARRAY, terminated by MHD_OPTION_END. */
void web_guard_mhd_options(struct web_guard *g, struct MHD_OptionItem *opts);

/* libmicrohttpd's connection start, before the TLS handshake: applies the
 * current web config to the session. Returns what to pass to
 * web_guard_conn_closed() (NULL without TLS). */
void *web_guard_conn_started(struct web_guard *g, struct MHD_Connection *conn);
void web_guard_conn_closed(struct web_guard *g, void *conn_state);

/* Checks one request (call once its headers are complete; again after a
 * WEB_WAIT resume). slot is the request's own pointer, NULL at first;
 * release it with web_guard_request_done() when the request completes. On
 * WEB_ANSWERED *rc is what the access handler returns. */
enum web_verdict web_guard_check(struct web_guard *g, struct MHD_Connection *conn, void **slot,
				 enum MHD_Result *rc);
void web_guard_request_done(struct web_guard *g, void **slot);
/* Adds http_server_config.headers to a response; call it on every response,
 * after the response's own headers. A Content-Security-Policy is added even
 * when the response has its own (browsers enforce both: the intersection);
 * any other header the response already has keeps the response's value.
 * Accepts a NULL g (no web config: nothing to add). */
void web_guard_headers(struct web_guard *g, struct MHD_Response *resp);
/* SIGHUP: re-read the files now. */
void web_guard_reload(struct web_guard *g);

#endif
