#include "http/server.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http/conn_guard.h"
#include "http/connections.h"
#include "http/gzip.h"
#include "util/listen_addr.h"
#include "util/clock.h"
#include "log.h"
#include "http/negotiate.h"
#include "http/web_guard.h"

/* Event-loop threads per listen address. A scrape waiting for its collection
 * is suspended and holds no thread; these render and compress answers, and
 * idle connections cost none. */
#define HTTP_THREADS 4

/* How long http_stop() lets answers to waiting scrapes (503) go out. */
#define HTTP_STOP_DRAIN_MS 1000

/* Headers beyond this much memory per connection get 431 from libmicrohttpd. */
#define CONNECTION_MEMORY_LIMIT (32 * 1024)

/* The /healthz-only listener: a probe needs one connection at a time. */
#define HEALTHZ_CONNECTIONS 16
#define HEALTHZ_CONNECTIONS_PER_IP 4

/* Beyond its scrape's deadline, how long a response may take to be read. */
#define REQUEST_GRACE_SECONDS 30

/* What libmicrohttpd's connection callbacks get: which listener. */
struct listener {
	struct http_server *srv;
	unsigned pool; /* for conn_guard */
};

/* A connection's own state (libmicrohttpd's socket context). */
struct conn_state {
	struct conn_entry *watch; /* conn_guard's */
	void *web;                /* web_guard's */
};

struct http_server {
	const struct config *cfg;
	struct scrape *scrape;
	atomic_uint in_flight;
	atomic_uint submitted;  /* scrapes submitted and not yet done with */
	struct MHD_Daemon *daemons[CONFIG_MAX_LISTEN];
	size_t n;
	struct web_guard *guard;       /* --web.config.file; NULL: plain, open */
	struct MHD_Daemon *healthz;    /* --web.healthz-listen-address */
	struct conn_guard *deadlines;  /* header and request deadlines */
	struct listener listeners[CONN_GUARD_MAX_POOLS];
	struct http_conns *conns; /* NULL unless --web.enable-connections */
};

/* Listener index of the /healthz-only one. */
#define HEALTHZ_POOL CONFIG_MAX_LISTEN

static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	struct listener *l = cls;
	struct conn_state *cs = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (cs) {
			conn_guard_closed(l->srv->deadlines, cs->watch);
			web_guard_conn_closed(l->srv->guard, cs->web);
			free(cs);
		}
		*socket_context = NULL;
		return;
	}
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci) {
		int fd = ci->connect_fd;

		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		cs->watch = conn_guard_started(l->srv->deadlines, l->pool, fd,
					       ci ? ci->client_addr : NULL);
	}
	if (l->pool != HEALTHZ_POOL)
		cs->web = web_guard_conn_started(l->srv->guard, conn);
	*socket_context = cs;
}

static struct conn_state *conn_state_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* The headers of a request are in: its connection is past the header deadline. */
static void headers_done(struct http_server *srv, struct MHD_Connection *conn)
{
	struct conn_state *cs = conn_state_of(conn);

	if (cs)
		conn_guard_headers(srv->deadlines, cs->watch);
}

/* The framing headers of a request, as sent. */
struct framing {
	const char *length[2]; /* the first Content-Length, and a differing one */
	const char *te;        /* the first Transfer-Encoding */
	unsigned nte;          /* how many Transfer-Encoding headers */
};

static enum MHD_Result scan_framing(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (!f->length[0])
			f->length[0] = value;
		else if (strcmp(f->length[0], value) != 0)
			f->length[1] = value;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		if (!f->nte++)
			f->te = value;
	}
	return MHD_YES;
}

/* RFC 9112 6.1 and 6.3: a request whose length a proxy in front could frame
 * otherwise than libmicrohttpd (0.9.75 prefers a chunked body to a
 * Content-Length, and waits for the end of a body of unknown coding until
 * the timeout) is refused before its body is read, and its connection
 * closed, so no second request can be smuggled in it. Returns 0, or the
 * status with *why. */
static unsigned bad_framing(struct MHD_Connection *conn, const char **why)
{
	struct framing f = {{NULL, NULL}, NULL, 0};
	size_t n;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_framing, &f);
	if (f.length[1]) {
		*why = "Conflicting Content-Length headers.\n";
		return MHD_HTTP_BAD_REQUEST;
	}
	if (!f.nte)
		return 0;
	if (f.length[0]) {
		*why = "Both Transfer-Encoding and Content-Length.\n";
		return MHD_HTTP_BAD_REQUEST;
	}
	/* Only "chunked", once (optional whitespace around it). */
	while (*f.te == ' ' || *f.te == '\t')
		f.te++;
	n = strlen(f.te);
	while (n && (f.te[n - 1] == ' ' || f.te[n - 1] == '\t'))
		n--;
	if (f.nte > 1 || n != 7 || strncasecmp(f.te, "chunked", 7) != 0) {
		*why = "Transfer-Encoding not implemented (only chunked is).\n";
		return MHD_HTTP_NOT_IMPLEMENTED;
	}
	return 0;
}

static enum MHD_Result send_text(struct http_server *srv, struct MHD_Connection *conn,
				 unsigned status, const char *type, const char *body)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	/* Only bad_framing()'s refusals are 400 or 501 here: the request's end
	 * is unknowable, so is the start of the next. */
	if (status == MHD_HTTP_BAD_REQUEST || status == MHD_HTTP_NOT_IMPLEMENTED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	web_guard_headers(srv->guard, resp);
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result serve_landing(struct http_server *srv, struct MHD_Connection *conn)
{
	struct strbuf sb;
	struct MHD_Response *resp;
	enum MHD_Result rc = MHD_NO;
	char *body;
	size_t len;

	sb_init(&sb);
	sb_puts(&sb, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		     "<title>netstat_exporter</title></head><body>\n"
		     "<h1>netstat_exporter</h1>\n"
		     "<p>Socket states, ports, processes and TCP health for Prometheus.</p>\n"
		     "<ul><li><a href=\"");
	/* The path is ours (validated flag), but escape it anyway. */
	for (const char *p = srv->cfg->telemetry_path; *p; p++) {
		if (*p == '"' || *p == '<' || *p == '>' || *p == '&')
			sb_printf(&sb, "&#%d;", *p);
		else
			sb_putc(&sb, *p);
	}
	sb_puts(&sb, "\">Metrics</a></li><li><a href=\"/healthz\">Health</a></li>");
	if (srv->conns)
		sb_puts(&sb, "<li><a href=\"/connections\">Connections</a></li>");
	sb_puts(&sb, "</ul>\n</body></html>\n");
	if (sb.err)
		goto out;
	body = sb_steal(&sb, &len);
	resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	if (!resp) {
		free(body);
		goto out;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
	web_guard_headers(srv->guard, resp);
	rc = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
out:
	sb_fini(&sb);
	return rc;
}

/* A metrics request, from its headers until libmicrohttpd is done with it. */
struct request {
	struct scrape_waiter w;        /* first: done() gets &w */
	struct http_server *srv;
	struct MHD_Connection *conn;
	bool counted;                  /* holds one of --web.max-requests */
	bool waiting;                  /* suspended until the scrape says done */
	bool allowed;                  /* passed the web config's checks */
	void *guard;                   /* web_guard_check()'s */
	void *conns;                   /* http/connections' state of an API request */
	bool submitted;                /* counted in srv->submitted */
};

static void request_free(struct request *req)
{
	scrape_result_put(req->w.result);
	http_conns_completed(req->conns);
	if (req->counted)
		atomic_fetch_sub(&req->srv->in_flight, 1);
	web_guard_request_done(req->srv->guard, &req->guard);
	if (req->submitted)
		atomic_fetch_sub(&req->srv->submitted, 1);
	free(req);
}

/* From a scrape thread: the collection is done (or the deadline passed);
 * libmicrohttpd calls the handler again on one of its threads. */
static void request_done(struct scrape_waiter *w)
{
	struct request *req = (struct request *)w;

	MHD_resume_connection(req->conn);
}

static enum MHD_Result send_metrics(struct request *req, struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
	const char *enc = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
	enum expo_format fmt = neg_format(accept);
	bool gz = neg_gzip(enc);
	struct MHD_Response *resp;
	struct strbuf text, zipped, *body = &text;
	enum MHD_Result rc = MHD_NO;
	char *buf;
	size_t len;

	sb_init(&text);
	sb_init(&zipped);
	if (expo_render(scrape_result_expo(req->w.result), fmt, &text)) {
		rc = send_text(req->srv, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			       "text/plain; charset=utf-8", "Out of memory rendering metrics.\n");
		goto out;
	}
	if (gz && gzip_compress(text.buf, text.len, &zipped) == 0)
		body = &zipped;
	else
		gz = false;
	buf = sb_steal(body, &len);
	resp = MHD_create_response_from_buffer_with_free_callback(len, buf, free);
	if (!resp) {
		free(buf);
		goto out;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, expo_content_type(fmt));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	web_guard_headers(req->srv->guard, resp);
	rc = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
out:
	sb_fini(&text);
	sb_fini(&zipped);
	return rc;
}

/* The answer once the scrape has said done. */
static enum MHD_Result answer_metrics(struct request *req, struct MHD_Connection *conn)
{
	const char *type = "text/plain; charset=utf-8";
	struct MHD_Response *resp;
	enum MHD_Result rc;
	char msg[160];

	switch (req->w.status) {
	case 0:
		return send_metrics(req, conn);
	case -ETIMEDOUT:
		if (req->w.stuck)
			snprintf(msg, sizeof(msg), "Collector %s did not finish within the scrape's "
				 "deadline (--web.scrape-timeout=%us or "
				 "X-Prometheus-Scrape-Timeout-Seconds).\n", req->w.stuck,
				 req->srv->cfg->scrape_timeout_seconds);
		else
			snprintf(msg, sizeof(msg), "No collection finished within the scrape's deadline "
				 "(--web.scrape-timeout=%us or X-Prometheus-Scrape-Timeout-Seconds).\n",
				 req->srv->cfg->scrape_timeout_seconds);
		break;
	case -ECANCELED:
		snprintf(msg, sizeof(msg), "Shutting down.\n");
		break;
	default:
		return send_text(req->srv, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, type,
				 "Out of memory collecting metrics.\n");
	}
	resp = MHD_create_response_from_buffer(strlen(msg), msg, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	web_guard_headers(req->srv->guard, resp);
	rc = MHD_queue_response(conn, MHD_HTTP_SERVICE_UNAVAILABLE, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* Parks the request until the collection is done: the thread goes back to
 * serving other connections meanwhile. */
static enum MHD_Result serve_metrics(struct request *req, struct MHD_Connection *conn)
{
	struct http_server *srv = req->srv;
	unsigned limit = srv->cfg->max_requests;
	int rc;

	if (req->waiting) { /* resumed */
		req->waiting = false;
		return answer_metrics(req, conn);
	}
	if (limit) {
		if (atomic_fetch_add(&srv->in_flight, 1) >= limit) {
			atomic_fetch_sub(&srv->in_flight, 1);
			return send_text(srv, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
					 "text/plain; charset=utf-8",
					 "Too many scrapes in flight; see --web.max-requests.\n");
		}
		req->counted = true;
	}
	req->conn = conn;
	req->w.done = request_done;
	req->w.deadline = util_mono_now() +
		neg_scrape_timeout(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							       "X-Prometheus-Scrape-Timeout-Seconds"),
				   (double)srv->cfg->scrape_timeout_seconds);
	req->waiting = true;
	/* Suspended before the scrape can say done, so done() always resumes a
	 * suspended connection. */
	MHD_suspend_connection(conn);
	req->submitted = true;
	atomic_fetch_add(&srv->submitted, 1);
	rc = scrape_submit(srv->scrape, &req->w);
	if (rc < 0) {
		req->w.status = rc;
		MHD_resume_connection(conn);
	}
	return MHD_YES;
}

/* Longest path routed; a longer one is answered 404 (no route is that long). */
#define MAX_PATH 1024

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *raw_url,
			      const char *method, const char *version,
			      const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	char url[MAX_PATH];
	const char *why;
	unsigned bad;

	(void)version;
	(void)upload_data;
	if (!*con_cls && (bad = bad_framing(conn, &why)))
		return send_text(srv, conn, bad, "text/plain; charset=utf-8", why);
	/* Refused before any body is read; libmicrohttpd then closes. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return send_text(srv, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
				 "Method not allowed.\n");
	/* Answering on the first call (headers only) makes libmicrohttpd close
	 * the connection; answering on the next one keeps it alive for the
	 * scraper's next request. A GET body, if any, is discarded. */
	if (!*con_cls) {
		struct request *req;

		headers_done(srv, conn);
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->srv = srv;
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	/* The web config's rate limit and users, for every path. */
	if (srv->guard && !((struct request *)*con_cls)->allowed) {
		struct request *req = *con_cls;
		enum MHD_Result rc = MHD_NO;

		switch (web_guard_check(srv->guard, conn, &req->guard, &rc)) {
		case WEB_ANSWERED:
			return rc;
		case WEB_WAIT:
			return MHD_YES;
		default:
			req->allowed = true;
			break;
		}
	}
	/* The unescape callback leaves everything raw, for the query arguments
	 * the connections API decodes itself; the path is decoded here, as
	 * libmicrohttpd's default would (/metric%73 is /metrics). */
	if (strlen(raw_url) >= sizeof(url))
		return send_text(srv, conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", "Not found.\n");
	strcpy(url, raw_url);
	/* A %00 would cut the path short: no route has one. */
	if (MHD_http_unescape(url) != strlen(url))
		return send_text(srv, conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", "Not found.\n");
	if (srv->conns && http_conns_route(url))
		return http_conns_handle(srv->conns, conn, url, &((struct request *)*con_cls)->conns);
	if (strcmp(url, srv->cfg->telemetry_path) == 0)
		return serve_metrics(*con_cls, conn);
	if (strcmp(url, "/") == 0)
		return serve_landing(srv, conn);
	if (strcmp(url, "/healthz") == 0)
		return send_text(srv, conn, MHD_HTTP_OK, "text/plain; charset=utf-8", "OK\n");
	return send_text(srv, conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", "Not found.\n");
}

/* --web.healthz-listen-address: /healthz and nothing else, for probes that
 * cannot authenticate. It says the process serves HTTP; it opens nothing. */
static enum MHD_Result handle_healthz(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	const char *why;
	unsigned bad;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)con_cls;
	headers_done(srv, conn);
	if ((bad = bad_framing(conn, &why)))
		return send_text(srv, conn, bad, "text/plain; charset=utf-8", why);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return send_text(srv, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
				 "Method not allowed.\n");
	if (strcmp(url, "/healthz") == 0)
		return send_text(srv, conn, MHD_HTTP_OK, "text/plain; charset=utf-8", "OK\n");
	return send_text(srv, conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", "Not found.\n");
}

/* libmicrohttpd is done with a request (answered, failed or closed). */
static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode why)
{
	struct http_server *srv = cls;
	struct conn_state *cs = conn_state_of(conn);

	(void)why;
	if (cs)
		conn_guard_request_done(srv->deadlines, cs->watch);
	if (*con_cls)
		request_free(*con_cls);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_msg(LOG_DEBUG, "http: %s", msg);
}

/* Our own listen socket, so a taken port is reported with its errno. */
static int open_listener(const char *spec, struct strbuf *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, zero = 0;

	if (listen_addr_parse(spec, &ss, &len)) {
		sb_printf(err, "--web.listen-address: invalid address '%s'", spec);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 128))
		goto fail;
	return fd;
fail:
	{
		int e = errno;

		sb_printf(err, "cannot listen on %s: %s%s", spec, strerror(e),
			  e == EADDRINUSE ? " (is another exporter running? see --web.listen-address)" : "");
		if (fd >= 0)
			close(fd);
		return -e;
	}
}

int http_start(const struct config *cfg, struct scrape *scrape,
	       struct http_server **out, struct strbuf *err)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	struct MHD_OptionItem guard_opts[WEB_GUARD_MAX_OPTIONS];
	int rc = -ENOMEM;

	*out = NULL;
	if (!srv)
		goto out;
	srv->cfg = cfg;
	srv->scrape = scrape;
	atomic_init(&srv->in_flight, 0);
	atomic_init(&srv->submitted, 0);
	for (unsigned i = 0; i < CONN_GUARD_MAX_POOLS; i++)
		srv->listeners[i] = (struct listener){srv, i};
	/* Half the connections for clients still to send their headers; a
	 * request may take its scrape's deadline and then some to be sent. */
	srv->deadlines = conn_guard_new(cfg->header_timeout_seconds,
					cfg->scrape_timeout_seconds + REQUEST_GRACE_SECONDS,
					cfg->max_connections / 2);
	if (!srv->deadlines)
		goto out;
	if (cfg->web_config_file) {
		rc = web_guard_new(cfg->web_config_file, &srv->guard, err);
		if (rc)
			goto out;
	}
	web_guard_mhd_options(srv->guard, guard_opts);
	if (cfg->enable_connections) {
		rc = http_conns_new(cfg, &srv->in_flight, cfg->max_requests, srv->guard, &srv->conns,
				    err);
		if (rc)
			goto out;
	}
	for (size_t i = 0; i < cfg->nlisten; i++) {
		int fd = open_listener(cfg->listen[i], err);

		if (fd < 0) {
			rc = fd;
			goto out;
		}
		srv->daemons[srv->n] = MHD_start_daemon(
			MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
				web_guard_mhd_flags(srv->guard),
			0, NULL, NULL, handle, srv,
			MHD_OPTION_ARRAY, guard_opts,
			MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
			MHD_OPTION_NOTIFY_CONNECTION, notify_connection, &srv->listeners[i],
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			MHD_OPTION_UNESCAPE_CALLBACK, http_conns_no_unescape, NULL,
			MHD_OPTION_LISTEN_SOCKET, fd,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_connections_per_ip,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout_seconds,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_LIMIT,
			MHD_OPTION_END);
		if (!srv->daemons[srv->n]) {
			close(fd);
			sb_printf(err, "cannot start HTTP server on %s", cfg->listen[i]);
			rc = -EIO;
			goto out;
		}
		srv->n++;
		log_msg(LOG_INFO, "listening on %s%s", cfg->listen[i],
			web_guard_tls(srv->guard) ? " (TLS)" : "");
	}
	if (cfg->healthz_listen) {
		int fd = open_listener(cfg->healthz_listen, err);

		if (fd < 0) {
			rc = fd;
			goto out;
		}
		srv->healthz = MHD_start_daemon(
			MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			handle_healthz, srv,
			MHD_OPTION_NOTIFY_CONNECTION, notify_connection, &srv->listeners[HEALTHZ_POOL],
			MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			MHD_OPTION_LISTEN_SOCKET, fd,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)HEALTHZ_CONNECTIONS,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HEALTHZ_CONNECTIONS_PER_IP,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout_seconds,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_LIMIT,
			MHD_OPTION_END);
		if (!srv->healthz) {
			close(fd);
			sb_printf(err, "cannot start HTTP server on %s", cfg->healthz_listen);
			rc = -EIO;
			goto out;
		}
		log_msg(LOG_INFO, "listening on %s for /healthz only", cfg->healthz_listen);
	}
	rc = 0;
out:
	if (rc) {
		http_stop(srv);
		srv = NULL;
	}
	*out = srv;
	return rc;
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	/* No new connections; then every waiting scrape is resumed with 503
	 * (libmicrohttpd must not be stopped with suspended connections), and
	 * given a moment to be sent before the connections are closed. */
	for (size_t i = 0; i < srv->n; i++) {
		int fd = (int)MHD_quiesce_daemon(srv->daemons[i]);

		if (fd >= 0)
			close(fd);
	}
	scrape_close(srv->scrape);
	web_guard_stop(srv->guard); /* resumes connections waiting for bcrypt */
	http_conns_close(srv->conns); /* answers waiting API requests (503) */
	for (int i = 0; i < HTTP_STOP_DRAIN_MS / 10 && atomic_load(&srv->submitted) > 0; i++)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	for (size_t i = 0; i < srv->n; i++)
		MHD_stop_daemon(srv->daemons[i]);
	if (srv->healthz)
		MHD_stop_daemon(srv->healthz);
	web_guard_free(srv->guard);
	conn_guard_free(srv->deadlines);
	http_conns_free(srv->conns);
	free(srv);
}

void http_reload(struct http_server *srv)
{
	if (srv)
		web_guard_reload(srv->guard);
}
