#include "http/web_state.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/x509.h>
#include <fcntl.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util/clock.h"

/* The config file and the three files it may name. */
enum watched {
	W_CONFIG = 0,
	W_CERT,
	W_KEY,
	W_CA,
	W_COUNT
};

/* What says that a file changed. */
struct stamp {
	bool present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct web_state_ref {
	struct web_state st;
	unsigned refs;               /* guarded by the watch's lock */
	char *paths[W_COUNT];        /* resolved; NULL when not used */
	struct stamp stamps[W_COUNT];
	struct web_state_ref *next;  /* the watch's list of older states */
};

struct web_watch {
	pthread_mutex_t lock;
	char *path;
	struct web_state_ref *cur;
	struct web_state_ref *old;   /* retired states, freed when unused */
	double checked;              /* util_mono_now() of the last look at the files */
	struct stamp failed[W_COUNT]; /* the file set that last failed: logged once */
};

static void stamp_of(const struct stat *sb, struct stamp *s)
{
	s->present = true;
	s->dev = sb->st_dev;
	s->ino = sb->st_ino;
	s->size = sb->st_size;
	s->mtime = sb->st_mtim;
	s->ctime = sb->st_ctim;
}

static bool stamp_eq(const struct stamp *a, const struct stamp *b)
{
	return a->present == b->present && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* Reads a whole small file that nobody but its owner and group can change.
 * what names it in messages (a key of the config, or the flag). The stamp is
 * taken from the open file, so it describes exactly the bytes read. */
static int read_file(const char *path, const char *what, char **out, size_t *len,
		     struct stamp *st, struct strbuf *err)
{
	struct stat sb;
	char *buf = NULL;
	size_t n = 0;
	int fd, rc = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &sb)) {
		rc = -errno;
		sb_printf(err, "%s: cannot read %s: %s", what, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = -EINVAL;
		sb_printf(err, "%s: %s is not a regular file", what, path);
		goto out;
	}
	if (sb.st_mode & S_IWOTH) {
		rc = -EACCES;
		sb_printf(err, "%s: %s is world-writable; refusing it (chmod o-w)", what, path);
		goto out;
	}
	if (sb.st_size > WEB_CONFIG_MAX_BYTES) {
		rc = -EFBIG;
		sb_printf(err, "%s: %s is larger than %d bytes", what, path, WEB_CONFIG_MAX_BYTES);
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	while (n < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)sb.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			sb_printf(err, "%s: cannot read %s: %s", what, path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	stamp_of(&sb, st);
	*out = buf;
	*len = n;
	buf = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* A path of the config, relative to the config file's directory. */
static char *resolve(const char *config_path, const char *p)
{
	char *dir, *copy, *out = NULL;

	if (p[0] == '/')
		return strdup(p);
	copy = strdup(config_path);
	if (!copy)
		return NULL;
	dir = dirname(copy);
	if (asprintf(&out, "%s/%s", dir, p) < 0)
		out = NULL;
	free(copy);
	return out;
}

static const char *const version_tokens[WEB_TLS_VERSION_COUNT] = {
	[WEB_TLS10] = "VERS-TLS1.0", [WEB_TLS11] = "VERS-TLS1.1",
	[WEB_TLS12] = "VERS-TLS1.2", [WEB_TLS13] = "VERS-TLS1.3",
};

static const char *const curve_tokens[WEB_CURVE_COUNT] = {
	[WEB_CURVE_P256] = "GROUP-SECP256R1", [WEB_CURVE_P384] = "GROUP-SECP384R1",
	[WEB_CURVE_P521] = "GROUP-SECP521R1", [WEB_CURVE_X25519] = "GROUP-X25519",
};

/* GnuTLS's NORMAL, narrowed to what the config allows. The versions are
 * listed newest first, so the newest allowed one is preferred. */
static void priority_string(const struct web_config *c, struct strbuf *sb)
{
	sb_puts(sb, "NORMAL:-VERS-ALL");
	for (int v = (int)c->max_version; v >= (int)c->min_version; v--)
		sb_printf(sb, ":+%s", version_tokens[v]);
	if (c->ncurves) {
		sb_puts(sb, ":-GROUP-ALL");
		for (size_t i = 0; i < c->ncurves; i++)
			sb_printf(sb, ":+%s", curve_tokens[c->curves[i]]);
	}
	if (c->prefer_server_cipher_suites)
		sb_puts(sb, ":%SERVER_PRECEDENCE");
}

static int gnutls_fail(struct strbuf *err, const char *what, const char *path, int e)
{
	sb_printf(err, "%s: %s%s%s", what, path ? path : "", path ? ": " : "", gnutls_strerror(e));
	return -EINVAL;
}

static void ref_free(struct web_state_ref *r)
{
	if (!r)
		return;
	if (r->st.creds)
		gnutls_certificate_free_credentials(r->st.creds);
	if (r->st.prio)
		gnutls_priority_deinit(r->st.prio);
	free(r->st.priority);
	free(r->st.cert_pem);
	if (r->st.key_pem) {
		explicit_bzero(r->st.key_pem, strlen(r->st.key_pem));
		free(r->st.key_pem);
	}
	web_config_fini(&r->st.cfg);
	for (int i = 0; i < W_COUNT; i++)
		free(r->paths[i]);
	free(r);
}

/* During the handshake, once the client's certificate is in: a certificate
 * given must chain to the client CA (and be valid now: expiry, not-before,
 * signatures); none given is fine here, GNUTLS_CERT_REQUIRE refuses that
 * where the config requires one. Non-zero ends the handshake. */
static int verify_peer(gnutls_session_t session)
{
	unsigned int status = 0, n = 0;

	if (!gnutls_certificate_get_peers(session, &n) || n == 0)
		return 0;
	if (gnutls_certificate_verify_peers2(session, &status) < 0 || status != 0)
		return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
	return 0;
}

/* The TLS half of a load: files, credentials, priorities. */
static int load_tls(struct web_state_ref *r, const char *config_path, struct strbuf *err)
{
	struct web_config *c = &r->st.cfg;
	char *ca_pem = NULL;
	size_t len;
	struct strbuf prio;
	const char *errpos = NULL;
	gnutls_datum_t cert, key, ca;
	int rc, e;

	sb_init(&prio);
	/* Inline PEM or a file, per item. */
	struct {
		enum watched w;
		const char *file, *inl, *key;
		char **pem;
	} items[] = {
		{W_CERT, c->cert_file, c->cert, "tls_server_config.cert_file", &r->st.cert_pem},
		{W_KEY, c->key_file, c->key, "tls_server_config.key_file", &r->st.key_pem},
		{W_CA, c->client_ca_file, c->client_ca, "tls_server_config.client_ca_file", &ca_pem},
	};
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		if (items[i].file) {
			r->paths[items[i].w] = resolve(config_path, items[i].file);
			if (!r->paths[items[i].w]) {
				rc = -ENOMEM;
				goto out;
			}
			rc = read_file(r->paths[items[i].w], items[i].key, items[i].pem, &len,
				       &r->stamps[items[i].w], err);
			if (rc)
				goto out;
		} else if (items[i].inl) {
			*items[i].pem = strdup(items[i].inl);
			if (!*items[i].pem) {
				rc = -ENOMEM;
				goto out;
			}
		}
	}
	e = gnutls_certificate_allocate_credentials(&r->st.creds);
	if (e) {
		rc = -ENOMEM;
		goto out;
	}
	cert.data = (unsigned char *)r->st.cert_pem;
	cert.size = (unsigned)strlen(r->st.cert_pem);
	key.data = (unsigned char *)r->st.key_pem;
	key.size = (unsigned)strlen(r->st.key_pem);
	/* Also checks that the key belongs to the certificate. */
	e = gnutls_certificate_set_x509_key_mem2(r->st.creds, &cert, &key, GNUTLS_X509_FMT_PEM,
						 NULL, 0);
	if (e < 0) {
		rc = gnutls_fail(err, c->cert_file ? "tls_server_config.cert_file"
						   : "tls_server_config.cert",
				 r->paths[W_CERT], e);
		goto out;
	}
	if (ca_pem) {
		ca.data = (unsigned char *)ca_pem;
		ca.size = (unsigned)strlen(ca_pem);
		e = gnutls_certificate_set_x509_trust_mem(r->st.creds, &ca, GNUTLS_X509_FMT_PEM);
		if (e <= 0) {
			rc = e < 0 ? gnutls_fail(err, "tls_server_config.client_ca_file",
						 r->paths[W_CA], e)
				   : (sb_printf(err, "tls_server_config.client_ca%s: no certificate in it",
						c->client_ca_file ? "_file" : ""),
				      -EINVAL);
			goto out;
		}
	}
	if (c->client_auth == WEB_CLIENT_AUTH_VERIFY_IF_GIVEN ||
	    c->client_auth == WEB_CLIENT_AUTH_REQUIRE_VERIFY)
		gnutls_certificate_set_verify_function(r->st.creds, verify_peer);
	priority_string(c, &prio);
	if (prio.err) {
		rc = -ENOMEM;
		goto out;
	}
	e = gnutls_priority_init(&r->st.prio, prio.buf, &errpos);
	if (e) {
		r->st.prio = NULL;
		sb_printf(err, "tls_server_config: GnuTLS refuses the priorities \"%s\" at \"%s\": %s",
			  prio.buf, errpos ? errpos : "", gnutls_strerror(e));
		rc = -EINVAL;
		goto out;
	}
	r->st.priority = sb_steal(&prio, &len);
	rc = 0;
out:
	free(ca_pem);
	sb_fini(&prio);
	return rc;
}

static int load(const char *path, struct web_state_ref **out, struct strbuf *err)
{
	struct web_state_ref *r = calloc(1, sizeof(*r));
	char *text = NULL;
	size_t len;
	int rc = -ENOMEM;

	*out = NULL;
	if (!r)
		goto out;
	r->refs = 1;
	r->paths[W_CONFIG] = strdup(path);
	if (!r->paths[W_CONFIG])
		goto out;
	rc = read_file(path, "--web.config.file", &text, &len, &r->stamps[W_CONFIG], err);
	if (rc)
		goto out;
	rc = web_config_parse(text, len, &r->st.cfg, err);
	if (rc)
		goto out;
	if (r->st.cfg.tls)
		rc = load_tls(r, path, err);
out:
	free(text);
	if (rc) {
		ref_free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

int web_state_load(const char *path, struct web_state **out, struct strbuf *err)
{
	struct web_state_ref *r;
	int rc = load(path, &r, err);

	*out = r ? &r->st : NULL;
	return rc;
}

int web_state_check_sans(const struct web_state *st, gnutls_session_t session)
{
	const gnutls_datum_t *chain;
	gnutls_x509_crt_t crt = NULL;
	unsigned int n = 0;
	int rc = -EACCES;

	if (!st->cfg.nsans)
		return 0;
	chain = gnutls_certificate_get_peers(session, &n);
	if (!chain || n == 0 || gnutls_x509_crt_init(&crt) ||
	    gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER))
		goto out;
	for (unsigned seq = 0; rc; seq++) {
		char name[512], text[INET6_ADDRSTRLEN];
		size_t len = sizeof(name) - 1;
		const char *value = name;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, name, &len, NULL);

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type < 0)
			continue; /* too long for us, or malformed: matches nothing */
		if (type == GNUTLS_SAN_IPADDRESS) {
			if ((len != 4 && len != 16) ||
			    !inet_ntop(len == 4 ? AF_INET : AF_INET6, name, text, sizeof(text)))
				continue;
			value = text;
		} else if (type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_RFC822NAME ||
			   type == GNUTLS_SAN_URI) {
			name[len] = '\0';
			if (strlen(name) != len)
				continue; /* a NUL inside: never a match */
		} else {
			continue;
		}
		for (size_t i = 0; i < st->cfg.nsans && rc; i++)
			if (strcmp(value, st->cfg.allowed_sans[i]) == 0)
				rc = 0;
	}
out:
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return rc;
}

static struct web_state_ref *ref_of(struct web_state *st);

void web_state_free(struct web_state *st)
{
	if (st)
		ref_free(ref_of(st));
}

int web_state_setup_session(const struct web_state *st, gnutls_session_t session)
{
	gnutls_certificate_request_t req = GNUTLS_CERT_IGNORE;
	int e;

	switch (st->cfg.client_auth) {
	case WEB_CLIENT_AUTH_REQUEST:
		req = GNUTLS_CERT_REQUEST;
		break;
	case WEB_CLIENT_AUTH_REQUIRE_ANY:
		req = GNUTLS_CERT_REQUIRE;
		break;
	case WEB_CLIENT_AUTH_VERIFY_IF_GIVEN:
		req = GNUTLS_CERT_REQUEST;
		break;
	case WEB_CLIENT_AUTH_REQUIRE_VERIFY:
		req = GNUTLS_CERT_REQUIRE;
		break;
	default:
		break;
	}
	e = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, st->creds);
	if (!e)
		e = gnutls_priority_set(session, st->prio);
	if (e)
		return e;
	gnutls_certificate_server_set_request(session, req);
	/* Checking a given certificate is verify_peer()'s, set on credentials
	 * made for this client_auth_type. */
	return 0;
}

static struct web_state_ref *ref_of(struct web_state *st)
{
	return (struct web_state_ref *)((char *)st - offsetof(struct web_state_ref, st));
}

struct web_watch *web_watch_new(const char *path, struct web_state *first)
{
	struct web_watch *w = calloc(1, sizeof(*w));

	if (!w || !(w->path = strdup(path))) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	w->cur = ref_of(first);
	w->checked = util_mono_now();
	return w;
}

void web_watch_free(struct web_watch *w)
{
	if (!w)
		return;
	while (w->old) {
		struct web_state_ref *n = w->old->next;

		ref_free(w->old);
		w->old = n;
	}
	ref_free(w->cur);
	pthread_mutex_destroy(&w->lock);
	free(w->path);
	free(w);
}

/* The stamps of the files the current state was made of, as they are now. */
static void stamps_now(const struct web_state_ref *r, struct stamp now[W_COUNT])
{
	struct stat sb;

	memset(now, 0, sizeof(struct stamp) * W_COUNT);
	for (int i = 0; i < W_COUNT; i++)
		if (r->paths[i] && stat(r->paths[i], &sb) == 0)
			stamp_of(&sb, &now[i]);
}

/* Frees retired states nobody holds. Called with the lock held. */
static void collect_old(struct web_watch *w)
{
	struct web_state_ref **pp = &w->old;

	while (*pp) {
		if ((*pp)->refs == 0) {
			struct web_state_ref *dead = *pp;

			*pp = dead->next;
			ref_free(dead);
		} else {
			pp = &(*pp)->next;
		}
	}
}

/* Loads and swaps in; called with the lock held. force: even if no stamp
 * changed. */
static int reload_locked(struct web_watch *w, bool force)
{
	struct stamp now[W_COUNT];
	struct web_state_ref *r = NULL;
	struct strbuf err;
	bool same = true;
	int rc;

	stamps_now(w->cur, now);
	for (int i = 0; i < W_COUNT; i++)
		same = same && stamp_eq(&now[i], &w->cur->stamps[i]);
	if (same && !force)
		return 1;
	sb_init(&err);
	rc = load(w->path, &r, &err);
	if (rc == 0 && r->st.cfg.tls != w->cur->st.cfg.tls) {
		sb_printf(&err, "turning TLS %s needs a restart", r->st.cfg.tls ? "on" : "off");
		rc = -EINVAL;
	}
	if (rc) {
		/* Log a broken set once, not on every look. */
		if (force || memcmp(now, w->failed, sizeof(now)))
			log_msg(LOG_ERROR, "web config %s not reloaded, keeping the previous one: %s",
				w->path, err.buf ? err.buf : strerror(-rc));
		memcpy(w->failed, now, sizeof(now));
		ref_free(r);
		goto out;
	}
	w->cur->next = w->old;
	w->old = w->cur;
	w->old->refs--; /* the watch's own reference */
	w->cur = r;
	collect_old(w);
	memset(w->failed, 0, sizeof(w->failed));
	log_msg(LOG_INFO, "web config %s reloaded", w->path);
out:
	sb_fini(&err);
	return rc;
}

struct web_state *web_watch_current(struct web_watch *w)
{
	struct web_state_ref *r;
	double now = util_mono_now();

	pthread_mutex_lock(&w->lock);
	/* At most once in each second of the clock. */
	if ((time_t)now > (time_t)w->checked) {
		w->checked = now;
		reload_locked(w, false);
	}
	r = w->cur;
	r->refs++;
	pthread_mutex_unlock(&w->lock);
	return &r->st;
}

void web_watch_put(struct web_watch *w, struct web_state *st)
{
	if (!st)
		return;
	pthread_mutex_lock(&w->lock);
	ref_of(st)->refs--;
	pthread_mutex_unlock(&w->lock);
}

int web_watch_reload(struct web_watch *w)
{
	int rc;

	pthread_mutex_lock(&w->lock);
	rc = reload_locked(w, true);
	pthread_mutex_unlock(&w->lock);
	return rc;
}
