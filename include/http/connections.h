/* http/connections: the /connections page and /api/v1/connections, when
 * --web.enable-connections is on.
 *
 * An API request is parsed (400 with one line on a bad query), counted
 * against the same in-flight limit as scrapes (503 past it), then
 * suspended while the explorer (connections/explorer.h) answers it on its
 * own thread, so a waiting request holds no HTTP thread; the explorer's
 * answer resumes it. The page's three files are served from the binary
 * with a strict Content-Security-Policy. Every response also carries the web
 * config's headers (http_server_config.headers). */
#ifndef NETSTAT_HTTP_CONNECTIONS_H
#define NETSTAT_HTTP_CONNECTIONS_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "cli/config.h"
#include "util/strbuf.h"

struct http_conns;

struct web_guard;

/* in_flight and limit are the server's scrape limit (0: none); in_flight
 * must outlive the result. guard (NULL: none) adds the web config's headers
 * to every response; it must outlive the result. -EINVAL with one line in
 * err on a bad GeoIP database. */
int http_conns_new(const struct config *cfg, atomic_uint *in_flight, unsigned limit,
		   struct web_guard *guard, struct http_conns **out, struct strbuf *err);
/* Answers waiting requests, and any later one, with 503 and stops the
 * explorer; call before the daemons stop, free after. Accepts NULL. */
void http_conns_close(struct http_conns *hc);
void http_conns_free(struct http_conns *hc);

/* Whether url is one of ours. */
bool http_conns_route(const char *url);
/* Handles a request for one of our urls. *state is NULL the first time;
 * the server passes back what we left there on later calls, and calls
 * http_conns_completed() with it when the request ends. */
enum MHD_Result http_conns_handle(struct http_conns *hc, struct MHD_Connection *conn,
				  const char *url, void **state);
void http_conns_completed(void *state);

/* For MHD_OPTION_UNESCAPE_CALLBACK: leaves query arguments form-encoded,
 * so the query parser sees the bytes the client sent. libmicrohttpd calls
 * it on the path too, which the server's request handler then decodes. */
size_t http_conns_no_unescape(void *cls, struct MHD_Connection *conn, char *s);

#endif
