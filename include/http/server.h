/* http/server: the libmicrohttpd front end.
 *
 * Routes: the telemetry path (metrics), "/" (an HTML landing page), "/healthz";
 * 404 elsewhere; 405 with Allow for methods other than GET and HEAD; 503 when
 * --web.max-requests scrapes are already in flight (waiting for their
 * collection or being answered), and to a scrape whose collection is not done
 * within --web.timeout. A waiting scrape is suspended (libmicrohttpd's
 * suspend/resume) and holds no thread, so /healthz and "/" answer at once
 * however long collections take. One daemon per listen address, each with a
 * small pool of epoll threads and the connection limits of the config. */
#ifndef NETSTAT_HTTP_SERVER_H
#define NETSTAT_HTTP_SERVER_H

#include "cli/config.h"
#include "scrape.h"
#include "util/strbuf.h"

struct http_server;

/* Binds every listen address and starts serving. On failure writes one line
 * naming the address to err (e.g. the port is taken) and returns a negative
 * errno. cfg and scrape must outlive the server. */
int http_start(const struct config *cfg, struct scrape *scrape,
	       struct http_server **out, struct strbuf *err);
/* Closes the scrape (waiting scrapes get 503 at once), stops accepting,
 * waits for running requests, frees. Accepts NULL. */
void http_stop(struct http_server *srv);
/* SIGHUP: re-reads --web.config.file now (it is also re-read when it
 * changes). A broken file is logged and the old one stays in use. */
void http_reload(struct http_server *srv);

#endif
