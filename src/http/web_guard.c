#include "http/web_guard.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http/basic_auth.h"
#include "http/web_state.h"
#include "log.h"
#include "util/clock.h"

/* One bcrypt check waiting for, or done by, the worker. */
struct job {
	struct MHD_Connection *conn;
	char user[BASIC_AUTH_MAX + 1];
	char pass[BASIC_AUTH_MAX + 1];
	char *hash;  /* copy; NULL for an unknown user */
	bool done, ok;
	struct job *next;
};

struct web_guard {
	struct web_watch *watch;
	struct basic_auth *auth;
	bool tls;
	char *cert_pem, *key_pem; /* the daemons' start-up credentials (libmicrohttpd wants some) */
	pthread_mutex_t lock;     /* guards everything below */
	pthread_cond_t wake;
	struct job *head, *tail;
	unsigned pending;
	bool stopping, started;
	pthread_t worker;
	/* rate_limit: a token bucket like Go's rate.Limiter (full at start) */
	double tokens;
	double last; /* util_mono_now() of the last request */
	uint64_t rate_interval_ns, rate_burst;
};

static void *worker(void *arg)
{
	struct web_guard *g = arg;

	pthread_mutex_lock(&g->lock);
	for (;;) {
		struct job *j;

		while (!g->head && !g->stopping)
			pthread_cond_wait(&g->wake, &g->lock);
		if (!g->head)
			break;
		j = g->head;
		g->head = j->next;
		if (!g->head)
			g->tail = NULL;
		if (!g->stopping) {
			pthread_mutex_unlock(&g->lock);
			j->ok = basic_auth_verify(g->auth, j->user, j->hash, j->pass);
			pthread_mutex_lock(&g->lock);
		}
		j->done = true;
		g->pending--;
		MHD_resume_connection(j->conn);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int web_guard_new(const char *path, struct web_guard **out, struct strbuf *err)
{
	struct web_guard *g = calloc(1, sizeof(*g));
	struct web_state *st = NULL;
	int rc = -ENOMEM;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->wake, NULL);
	rc = web_state_load(path, &st, err);
	if (rc)
		goto out;
	g->tls = st->cfg.tls;
	if (g->tls) {
		g->cert_pem = strdup(st->cert_pem);
		g->key_pem = strdup(st->key_pem);
	}
	g->watch = web_watch_new(path, st);
	if (!g->watch) {
		web_state_free(st);
		rc = -ENOMEM;
		goto out;
	}
	g->auth = basic_auth_new();
	rc = -ENOMEM;
	if (!g->auth || (g->tls && (!g->cert_pem || !g->key_pem)))
		goto out;
	rc = -pthread_create(&g->worker, NULL, worker, g);
	if (rc)
		goto out;
	g->started = true;
	if (st->cfg.http2_given && st->cfg.http2)
		log_msg(LOG_INFO, "web config: http_server_config.http2: HTTP/2 is not offered "
				  "(libmicrohttpd serves HTTP/1.1); clients fall back to it");
	if (g->tls)
		log_msg(LOG_INFO, "TLS on, client_auth_type %s, GnuTLS priorities %s",
			web_config_client_auth_name(st->cfg.client_auth), st->priority);
out:
	if (rc) {
		web_guard_free(g);
		g = NULL;
	}
	*out = g;
	return rc;
}

void web_guard_stop(struct web_guard *g)
{
	if (!g || !g->started)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->worker, NULL);
	g->started = false;
}

void web_guard_free(struct web_guard *g)
{
	if (!g)
		return;
	web_guard_stop(g);
	web_watch_free(g->watch);
	basic_auth_free(g->auth);
	free(g->cert_pem);
	if (g->key_pem) {
		explicit_bzero(g->key_pem, strlen(g->key_pem));
		free(g->key_pem);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

bool web_guard_tls(const struct web_guard *g)
{
	return g && g->tls;
}

unsigned web_guard_mhd_flags(const struct web_guard *g)
{
	return MHD_ALLOW_SUSPEND_RESUME | (web_guard_tls(g) ? MHD_USE_TLS : 0);
}

/* Before the handshake of every TLS connection: today's credentials. */
void *web_guard_conn_started(struct web_guard *g, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	struct web_state *st;

	if (!g || !g->tls)
		return NULL;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return NULL;
	st = web_watch_current(g->watch);
	/* On failure the daemon's own credentials stay: those of the start. */
	if (web_state_setup_session(st, ci->tls_session))
		log_msg(LOG_WARN, "TLS: could not apply the current web config to a connection");
	return st;
}

void web_guard_conn_closed(struct web_guard *g, void *conn_state)
{
	if (g && conn_state)
		web_watch_put(g->watch, conn_state);
}

void web_guard_mhd_options(struct web_guard *g, struct MHD_OptionItem *opts)
{
	size_t n = 0;

	if (g && g->tls) {
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, g->cert_pem};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, g->key_pem};
	}
	opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

static enum MHD_Result refuse(struct web_guard *g, struct MHD_Connection *conn, unsigned status,
			      const char *body)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE || status == MHD_HTTP_TOO_MANY_REQUESTS)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	web_guard_headers(g, resp);
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* Go's rate.Limiter: burst tokens at most, one more every interval. */
static bool rate_allow(struct web_guard *g, const struct web_config *c)
{
	double now, elapsed;
	bool ok;

	if (!c->rate_interval_ns)
		return true;
	now = util_mono_now();
	pthread_mutex_lock(&g->lock);
	if (g->rate_interval_ns != c->rate_interval_ns || g->rate_burst != c->rate_burst) {
		g->rate_interval_ns = c->rate_interval_ns;
		g->rate_burst = c->rate_burst;
		g->tokens = (double)c->rate_burst;
		g->last = now;
	}
	elapsed = (now - g->last) * 1e9; /* ns */
	g->last = now;
	g->tokens += elapsed / (double)c->rate_interval_ns;
	if (g->tokens > (double)c->rate_burst)
		g->tokens = (double)c->rate_burst;
	ok = g->tokens >= 1;
	if (ok)
		g->tokens -= 1;
	pthread_mutex_unlock(&g->lock);
	return ok;
}

enum web_verdict web_guard_check(struct web_guard *g, struct MHD_Connection *conn, void **slot,
				 enum MHD_Result *rc)
{
	struct web_state *st;
	struct job *j = *slot;
	const char *hash;
	enum web_verdict v = WEB_ALLOW;

	if (j) { /* resumed: the worker has answered */
		bool ok = j->done && j->ok;

		web_guard_request_done(g, slot);
		if (ok)
			return WEB_ALLOW;
		*rc = refuse(g, conn, MHD_HTTP_UNAUTHORIZED, "Unauthorized.\n");
		return WEB_ANSWERED;
	}
	st = web_watch_current(g->watch);
	if (!rate_allow(g, &st->cfg)) {
		*rc = refuse(g, conn, MHD_HTTP_TOO_MANY_REQUESTS, "Too many requests.\n");
		v = WEB_ANSWERED;
		goto out;
	}
	if (st->cfg.nsans) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);

		if (!ci || !ci->tls_session || web_state_check_sans(st, ci->tls_session)) {
			*rc = refuse(g, conn, MHD_HTTP_FORBIDDEN,
				     "The client certificate has none of the names in "
				     "client_allowed_sans.\n");
			v = WEB_ANSWERED;
			goto out;
		}
	}
	if (!st->cfg.nusers)
		goto out;
	j = calloc(1, sizeof(*j));
	if (!j) {
		*rc = MHD_NO;
		v = WEB_ANSWERED;
		goto out;
	}
	if (basic_auth_parse(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_AUTHORIZATION),
			     j->user, j->pass)) {
		free(j);
		*rc = refuse(g, conn, MHD_HTTP_UNAUTHORIZED, "Unauthorized.\n");
		v = WEB_ANSWERED;
		goto out;
	}
	hash = basic_auth_hash_of(st->cfg.users, st->cfg.nusers, j->user);
	if (basic_auth_cached(g->auth, j->user, hash, j->pass)) {
		explicit_bzero(j, sizeof(*j));
		free(j);
		goto out;
	}
	j->conn = conn;
	j->hash = hash ? strdup(hash) : NULL;
	pthread_mutex_lock(&g->lock);
	if ((hash && !j->hash) || g->pending >= WEB_GUARD_MAX_PENDING || g->stopping) {
		pthread_mutex_unlock(&g->lock);
		free(j->hash);
		explicit_bzero(j, sizeof(*j));
		free(j);
		*rc = refuse(g, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
			     "Too many password checks at once; retry.\n");
		v = WEB_ANSWERED;
		goto out;
	}
	/* Suspended before the worker can see the job, so its resume always
	 * follows this suspend. */
	MHD_suspend_connection(conn);
	if (g->tail)
		g->tail->next = j;
	else
		g->head = j;
	g->tail = j;
	g->pending++;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	*slot = j;
	v = WEB_WAIT;
out:
	web_watch_put(g->watch, st);
	return v;
}

void web_guard_request_done(struct web_guard *g, void **slot)
{
	struct job *j = *slot;

	(void)g;
	if (!j)
		return;
	free(j->hash);
	explicit_bzero(j, sizeof(*j));
	free(j);
	*slot = NULL;
}

void web_guard_headers(struct web_guard *g, struct MHD_Response *resp)
{
	struct web_state *st;

	if (!g)
		return;
	st = web_watch_current(g->watch);
	for (int h = 0; h < WEB_HDR_COUNT; h++)
		if (st->cfg.headers[h])
			MHD_add_response_header(resp, web_config_header_name(h), st->cfg.headers[h]);
	web_watch_put(g->watch, st);
}

void web_guard_reload(struct web_guard *g)
{
	if (g)
		web_watch_reload(g->watch);
}
