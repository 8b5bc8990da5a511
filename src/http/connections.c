/* http/connections: the connections page and its JSON API. See http/connections.h. */
#include "http/connections.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connections/explorer.h"
#include "http/assets.h"
#include "http/web_guard.h"
#include "http/gzip.h"
#include "http/negotiate.h"
#include "log.h"

#define API_PATH "/api/v1/connections"
#define MAX_PARAMS 32

struct http_conns {
	struct conn_explorer *x;
	atomic_uint *in_flight;
	unsigned limit;
	struct web_guard *guard; /* the server's; NULL without --web.config.file */
};

/* One API request; lives from its first handler call to completion. */
struct api_req {
	struct conn_request r;   /* first: done() gets &r */
	struct http_conns *hc;
	struct MHD_Connection *conn;
	atomic_bool answered;    /* the explorer called done() */
	bool counted;            /* holds an in-flight slot */
};

int http_conns_new(const struct config *cfg, atomic_uint *in_flight, unsigned limit,
		   struct web_guard *guard, struct http_conns **out, struct strbuf *err)
{
	struct http_conns *hc = calloc(1, sizeof(*hc));
	int ret = -ENOMEM;

	*out = NULL;
	if (hc == NULL)
		goto out;
	hc->in_flight = in_flight;
	hc->limit = limit;
	hc->guard = guard;
	ret = conn_explorer_new(cfg, &hc->x, err);
	if (ret < 0)
		goto out;
	*out = hc;
	hc = NULL;
out:
	free(hc);
	return ret;
}

void http_conns_close(struct http_conns *hc)
{
	if (hc == NULL)
		return;
	conn_explorer_close(hc->x);
}

void http_conns_free(struct http_conns *hc)
{
	if (hc == NULL)
		return;
	conn_explorer_free(hc->x);
	free(hc);
}

bool http_conns_route(const char *url)
{
	return strcmp(url, API_PATH) == 0 || http_asset_find(url) != NULL;
}

size_t http_conns_no_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return strlen(s);
}

/* The page's own, then the web config's (a second Content-Security-Policy,
 * which browsers intersect with this one; see web_guard_headers). */
static void security_headers(const struct http_conns *hc, struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", HTTP_ASSET_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	web_guard_headers(hc->guard, resp);
}

static enum MHD_Result send_buf(const struct http_conns *hc, struct MHD_Connection *conn, unsigned status, const char *type,
				void *buf, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, buf, mode);
	enum MHD_Result rc;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	security_headers(hc, resp);
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result send_error(const struct http_conns *hc, struct MHD_Connection *conn,
				  unsigned status, const char *msg)
{
	size_t len = strlen(msg);
	char *buf = malloc(len + 2);

	if (!buf)
		return MHD_NO;
	memcpy(buf, msg, len);
	buf[len] = '\n';
	buf[len + 1] = '\0';
	return send_buf(hc, conn, status, "text/plain; charset=utf-8", buf, len + 1, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result serve_asset(const struct http_conns *hc, struct MHD_Connection *conn,
				   const struct http_asset *a)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	security_headers(hc, resp);
	rc = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return rc;
}

struct args {
	struct conn_query *q;
	struct strbuf *err;
	uint32_t seen;
	unsigned n;
	int ret;
};

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				size_t key_size, const char *value, size_t value_size)
{
	struct args *a = cls;

	(void)kind;
	if (++a->n > MAX_PARAMS) {
		sb_printf(a->err, "more than %d query parameters", MAX_PARAMS);
		a->ret = -EINVAL;
		return MHD_NO;
	}
	/* A NUL inside a key or value arrives as a shorter C string. */
	if (strlen(key) != key_size || (value && strlen(value) != value_size)) {
		sb_puts(a->err, "bad query string: NUL byte");
		a->ret = -EINVAL;
		return MHD_NO;
	}
	a->ret = conn_query_add(a->q, key, key_size, value, value_size, &a->seen, a->err);
	return a->ret < 0 ? MHD_NO : MHD_YES;
}

static void req_done(struct conn_request *r)
{
	struct api_req *req = (struct api_req *)r;

	atomic_store(&req->answered, true);
	MHD_resume_connection(req->conn);
}

static void release(struct api_req *req)
{
	if (req->counted)
		atomic_fetch_sub(req->hc->in_flight, 1);
	req->counted = false;
}

/* The answer's entity tag: a hash of the body without the JSON's dump
 * number, which changes every time when nothing else does. */
static uint64_t body_tag(const char *b, size_t len)
{
	static const char dump[] = "\"dump\":";
	const char *d = memmem(b, len < 200 ? len : 200, dump, sizeof(dump) - 1);
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		if (d && b + i == d + sizeof(dump) - 1)
			while (i < len && b[i] >= '0' && b[i] <= '9')
				i++;
		h = (h ^ (unsigned char)b[i]) * 0x100000001b3ull;
	}
	return h;
}

/* 200 with the body (gzip when Accept-Encoding allows it), or 304 when
 * If-None-Match names its ETag. Takes body (malloc'd). */
static enum MHD_Result send_answer(const struct http_conns *hc, struct MHD_Connection *conn, bool csv,
				   char *body, size_t len)
{
	const char *enc = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
	const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
	struct MHD_Response *resp;
	struct strbuf zipped;
	enum MHD_Result rc;
	unsigned status = MHD_HTTP_OK;
	bool gz = neg_gzip(enc);
	char etag[32], plain[24];

	sb_init(&zipped);
	/* One tag per encoding (the bytes differ); either one in
	 * If-None-Match means the client has this answer. */
	snprintf(plain, sizeof(plain), "%016llx", (unsigned long long)body_tag(body, len));
	if (gz && gzip_compress(body, len, &zipped) != 0)
		gz = false;
	snprintf(etag, sizeof(etag), "\"%s%s\"", plain, gz ? "-gz" : "");
	if (inm && strstr(inm, plain)) {
		status = MHD_HTTP_NOT_MODIFIED;
		free(body);
		body = NULL;
		len = 0;
	} else if (gz) {
		free(body);
		body = sb_steal(&zipped, &len);
	}
	resp = MHD_create_response_from_buffer(len, body ? body : (void *)"",
					       body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	sb_fini(&zipped);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				csv ? "text/csv; charset=utf-8" : "application/json");
	if (csv)
		MHD_add_response_header(resp, "Content-Disposition", "attachment; filename=\"connections.csv\"");
	/* no-cache, not no-store: the browser may keep the answer to revalidate. */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (gz && status == MHD_HTTP_OK)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	security_headers(hc, resp);
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result answer(struct api_req *req)
{
	struct MHD_Connection *conn = req->conn;
	char msg[160];
	size_t len;
	char *body;

	release(req);
	switch (req->r.ret) {
	case 0:
		body = sb_steal(&req->r.body, &len);
		if (body == NULL)
			return MHD_NO;
		return send_answer(req->hc, conn, req->r.query.csv, body, len);
	case -ENOTSUP:
		return send_error(req->hc, conn, MHD_HTTP_BAD_REQUEST,
				  "country filters, sorting and grouping need --geoip.database; "
				  "AS filters and grouping --geoip.asn-database too");
	case -ECANCELED:
		return send_error(req->hc, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "Shutting down.");
	default:
		snprintf(msg, sizeof(msg), "Cannot list connections: %s.", strerror(-req->r.ret));
		return send_error(req->hc, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, msg);
	}
}

static enum MHD_Result start_api(struct http_conns *hc, struct MHD_Connection *conn, void **state)
{
	struct api_req *req = calloc(1, sizeof(*req));
	struct strbuf err;
	struct args a;
	enum MHD_Result rc;

	if (req == NULL)
		return MHD_NO;
	*state = req;
	req->hc = hc;
	req->conn = conn;
	atomic_init(&req->answered, false);
	sb_init(&req->r.body);
	sb_init(&err);
	conn_query_init(&req->r.query);
	a = (struct args){.q = &req->r.query, .err = &err};
	MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, each_arg, &a);
	if (a.ret < 0) {
		rc = send_error(hc, conn, MHD_HTTP_BAD_REQUEST, err.buf ? err.buf : "bad query string");
		goto out;
	}
	if (hc->limit && atomic_fetch_add(hc->in_flight, 1) >= hc->limit) {
		atomic_fetch_sub(hc->in_flight, 1);
		rc = send_error(hc, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				"Too many requests in flight; see --web.max-requests.");
		goto out;
	}
	req->counted = hc->limit != 0;
	req->r.done = req_done;
	/* Suspended before the explorer can answer, so done() always resumes
	 * a suspended connection. */
	MHD_suspend_connection(conn);
	conn_explorer_submit(hc->x, &req->r);
	rc = MHD_YES;
out:
	sb_fini(&err);
	return rc;
}

enum MHD_Result http_conns_handle(struct http_conns *hc, struct MHD_Connection *conn,
				  const char *url, void **state)
{
	const struct http_asset *asset;

	if (*state) { /* resumed */
		struct api_req *req = *state;
		if (!atomic_load(&req->answered))
			return MHD_YES;
		return answer(req);
	}
	if (strcmp(url, API_PATH) == 0)
		return start_api(hc, conn, state);
	asset = http_asset_find(url);
	if (asset == NULL)
		return send_error(hc, conn, MHD_HTTP_NOT_FOUND, "Not found.");
	return serve_asset(hc, conn, asset);
}

void http_conns_completed(void *state)
{
	struct api_req *req = state;

	if (req == NULL)
		return;
	release(req);
	sb_fini(&req->r.body);
	free(req);
}
