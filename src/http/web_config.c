#include "http/web_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/duration.h"
#include "util/numbers.h"

static const char *const header_names[WEB_HDR_COUNT] = {
	[WEB_HDR_CSP] = "Content-Security-Policy",
	[WEB_HDR_FRAME] = "X-Frame-Options",
	[WEB_HDR_CTO] = "X-Content-Type-Options",
	[WEB_HDR_XSS] = "X-XSS-Protection",
	[WEB_HDR_HSTS] = "Strict-Transport-Security",
};

static const char *const version_names[WEB_TLS_VERSION_COUNT] = {
	[WEB_TLS10] = "TLS10", [WEB_TLS11] = "TLS11", [WEB_TLS12] = "TLS12", [WEB_TLS13] = "TLS13",
};

static const char *const curve_names[WEB_CURVE_COUNT] = {
	[WEB_CURVE_P256] = "CurveP256", [WEB_CURVE_P384] = "CurveP384",
	[WEB_CURVE_P521] = "CurveP521", [WEB_CURVE_X25519] = "X25519",
};

static const struct {
	const char *name;
	enum web_client_auth v;
} client_auths[] = {
	{"", WEB_CLIENT_AUTH_NONE},
	{"NoClientCert", WEB_CLIENT_AUTH_NONE},
	{"RequestClientCert", WEB_CLIENT_AUTH_REQUEST},
	{"RequireAnyClientCert", WEB_CLIENT_AUTH_REQUIRE_ANY},
	{"RequireClientCert", WEB_CLIENT_AUTH_REQUIRE_ANY}, /* the toolkit's old name */
	{"VerifyClientCertIfGiven", WEB_CLIENT_AUTH_VERIFY_IF_GIVEN},
	{"RequireAndVerifyClientCert", WEB_CLIENT_AUTH_REQUIRE_VERIFY},
};

const char *web_config_header_name(enum web_header h)
{
	return h < WEB_HDR_COUNT ? header_names[h] : "";
}

const char *web_config_client_auth_name(enum web_client_auth a)
{
	for (size_t i = 1; i < sizeof(client_auths) / sizeof(client_auths[0]); i++)
		if (client_auths[i].v == a)
			return client_auths[i].name;
	return "";
}


/* One walk over a loaded document; err gets "path: reason". */
struct walk {
	yaml_document_t *doc;
	struct web_config *cfg;
	struct strbuf *err;
};

static int fail(struct walk *w, const char *path, const char *key, const char *why)
{
	sb_reset(w->err);
	if (!*path && !key)
		path = "top level";
	sb_printf(w->err, "%s%s%s: %s", path, *path && key ? "." : "", key ? key : "", why);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* YAML's null: an empty plain scalar, "~" or "null" (yaml.v2's spellings). */
static bool is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	if (!n)
		return true;
	if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* A scalar as a string; yaml.v2 also turns numbers and booleans into
 * strings for a string field. A null leaves *out NULL. NUL bytes (possible
 * through escapes) would silently truncate: refused. */
static int get_string(struct walk *w, const yaml_node_t *n, const char *path, const char *key,
		      char **out)
{
	const char *s = scalar(n);

	free(*out);
	*out = NULL;
	if (is_null(n))
		return 0;
	if (!s)
		return fail(w, path, key, "expected a string");
	if (strlen(s) != n->data.scalar.length)
		return fail(w, path, key, "contains a NUL byte");
	if (!*s)
		return 0; /* "" is unset, as in the toolkit */
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int get_bool(struct walk *w, const yaml_node_t *n, const char *path, const char *key,
		    bool *out)
{
	static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
					  "true", "True", "TRUE"};
	static const char *const no[] = {"n", "N", "no", "No", "NO", "off", "Off", "OFF",
					 "false", "False", "FALSE"};
	const char *s = scalar(n);

	if (s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (!strcmp(s, yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcmp(s, no[i])) {
				*out = false;
				return 0;
			}
		}
	}
	if (is_null(n))
		return 0;
	return fail(w, path, key, "expected true or false");
}

/* Calls fn for every key/value pair of a mapping, refusing duplicate and
 * non-scalar keys. A null node is an empty mapping. */
typedef int (*pair_fn)(struct walk *w, const char *key, const yaml_node_t *val);

static int each_pair(struct walk *w, const yaml_node_t *map, const char *path, pair_fn fn)
{
	yaml_node_pair_t *p, *q;
	int rc;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail(w, path, NULL, "expected a mapping");
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		const char *key = scalar(k);

		if (!key || strlen(key) != k->data.scalar.length)
			return fail(w, path, NULL, "a key is not a string");
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			const char *prev = scalar(yaml_document_get_node(w->doc, q->key));

			if (prev && !strcmp(prev, key))
				return fail(w, path, key, "duplicate key");
		}
		rc = fn(w, key, yaml_document_get_node(w->doc, p->value));
		if (rc)
			return rc;
	}
	return 0;
}

static int get_version(struct walk *w, const yaml_node_t *n, const char *key,
		       enum web_tls_version *out)
{
	const char *s = scalar(n);

	if (is_null(n))
		return 0;
	for (int v = 0; s && v < WEB_TLS_VERSION_COUNT; v++) {
		if (!strcmp(s, version_names[v])) {
			*out = (enum web_tls_version)v;
			return 0;
		}
	}
	return fail(w, "tls_server_config", key,
		    "unknown TLS version (expected TLS10, TLS11, TLS12 or TLS13)");
}

static int get_curves(struct walk *w, const yaml_node_t *n)
{
	const char *path = "tls_server_config", *key = "curve_preferences";
	struct web_config *c = w->cfg;

	c->ncurves = 0;
	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(w, path, key, "expected a list");
	for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
		const char *s = scalar(yaml_document_get_node(w->doc, *i));
		int found = -1;

		for (int v = 0; s && v < WEB_CURVE_COUNT; v++)
			if (!strcmp(s, curve_names[v]))
				found = v;
		if (found < 0)
			return fail(w, path, key,
				    "unknown curve (expected CurveP256, CurveP384, CurveP521 or X25519)");
		for (size_t j = 0; j < c->ncurves; j++)
			if (c->curves[j] == (enum web_curve)found)
				return fail(w, path, key, "curve listed twice");
		c->curves[c->ncurves++] = (enum web_curve)found;
	}
	return 0;
}

static int get_sans(struct walk *w, const yaml_node_t *n)
{
	const char *path = "tls_server_config", *key = "client_allowed_sans";
	struct web_config *c = w->cfg;
	int rc;

	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(w, path, key, "expected a list");
	for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
		if (c->nsans == WEB_CONFIG_MAX_SANS)
			return fail(w, path, key, "too many names");
		rc = get_string(w, yaml_document_get_node(w->doc, *i), path, key,
				&c->allowed_sans[c->nsans]);
		if (rc)
			return rc;
		if (c->allowed_sans[c->nsans])
			c->nsans++;
	}
	return 0;
}

static int tls_pair(struct walk *w, const char *key, const yaml_node_t *v)
{
	static const char *const path = "tls_server_config";
	struct web_config *c = w->cfg;
	const char *s;

	if (!strcmp(key, "cert"))
		return get_string(w, v, path, key, &c->cert);
	if (!strcmp(key, "key"))
		return get_string(w, v, path, key, &c->key);
	if (!strcmp(key, "client_ca"))
		return get_string(w, v, path, key, &c->client_ca);
	if (!strcmp(key, "cert_file"))
		return get_string(w, v, path, key, &c->cert_file);
	if (!strcmp(key, "key_file"))
		return get_string(w, v, path, key, &c->key_file);
	if (!strcmp(key, "client_ca_file"))
		return get_string(w, v, path, key, &c->client_ca_file);
	if (!strcmp(key, "client_auth_type")) {
		s = is_null(v) ? "" : scalar(v);
		for (size_t i = 0; s && i < sizeof(client_auths) / sizeof(client_auths[0]); i++) {
			if (!strcmp(s, client_auths[i].name)) {
				c->client_auth = client_auths[i].v;
				w->cfg->tls = w->cfg->tls || *s;
				return 0;
			}
		}
		return fail(w, path, key,
			    "unknown value (expected NoClientCert, RequestClientCert, "
			    "RequireAnyClientCert, VerifyClientCertIfGiven or "
			    "RequireAndVerifyClientCert)");
	}
	if (!strcmp(key, "min_version"))
		return get_version(w, v, key, &c->min_version);
	if (!strcmp(key, "max_version"))
		return get_version(w, v, key, &c->max_version);
	if (!strcmp(key, "prefer_server_cipher_suites"))
		return get_bool(w, v, path, key, &c->prefer_server_cipher_suites);
	if (!strcmp(key, "curve_preferences"))
		return get_curves(w, v);
	/* GnuTLS priorities choose key exchange, cipher and MAC separately, so
	 * Go's per-suite list has no exact translation; an empty list is the
	 * default and harmless. */
	if (!strcmp(key, "cipher_suites"))
		return is_null(v) || (v->type == YAML_SEQUENCE_NODE &&
				      v->data.sequence.items.start == v->data.sequence.items.top)
			       ? 0
			       : fail(w, path, key,
				      "not supported by netstat_exporter (GnuTLS picks TLS 1.2 "
				      "suites by its own priorities); remove it and use min_version");
	if (!strcmp(key, "client_allowed_sans"))
		return get_sans(w, v);
	return fail(w, path, key, "unknown key");
}

/* Header values go out verbatim: no control characters (no CR/LF
 * injection), and the toolkit's enumerations where it has them. */
static int header_pair(struct walk *w, const char *key, const yaml_node_t *v)
{
	static const char *const path = "http_server_config.headers";
	struct web_config *c = w->cfg;
	int rc;

	for (int h = 0; h < WEB_HDR_COUNT; h++) {
		if (strcmp(key, header_names[h]))
			continue;
		rc = get_string(w, v, path, key, &c->headers[h]);
		if (rc || !c->headers[h])
			return rc;
		for (const unsigned char *p = (const unsigned char *)c->headers[h]; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				return fail(w, path, key, "control character in value");
		if (h == WEB_HDR_FRAME && strcmp(c->headers[h], "deny") &&
		    strcmp(c->headers[h], "sameorigin"))
			return fail(w, path, key, "expected deny or sameorigin");
		if (h == WEB_HDR_CTO && strcmp(c->headers[h], "nosniff"))
			return fail(w, path, key, "expected nosniff");
		return 0;
	}
	return fail(w, path, key, "this header can not be configured");
}

static int http_pair(struct walk *w, const char *key, const yaml_node_t *v)
{
	if (!strcmp(key, "http2")) {
		w->cfg->http2_given = !is_null(v);
		return get_bool(w, v, "http_server_config", key, &w->cfg->http2);
	}
	if (!strcmp(key, "headers"))
		return each_pair(w, v, "http_server_config.headers", header_pair);
	return fail(w, "http_server_config", key, "unknown key");
}

static int user_pair(struct walk *w, const char *key, const yaml_node_t *v)
{
	static const char *const path = "basic_auth_users";
	struct web_config *c = w->cfg;
	struct web_user *u;
	int rc;

	if (c->nusers == WEB_CONFIG_MAX_USERS)
		return fail(w, path, key, "too many users");
	if (strchr(key, ':'))
		return fail(w, path, key, "a user name can not contain ':'");
	u = &c->users[c->nusers];
	rc = get_string(w, v, path, key, &u->hash);
	if (rc)
		return rc;
	if (!u->hash || !web_config_bcrypt_shape(u->hash)) {
		free(u->hash);
		u->hash = NULL;
		return fail(w, path, key, "not a bcrypt hash ($2a$, $2b$ or $2y$, cost 04 to 31)");
	}
	u->name = strdup(key);
	if (!u->name) {
		free(u->hash);
		u->hash = NULL;
		return -ENOMEM;
	}
	c->nusers++;
	return 0;
}

/* rate_limit.interval: the project's duration grammar (util/duration.h). */
#define DURATION_WANTED "expected a duration such as 1s, 250ms or 1m30s"

static int rate_pair(struct walk *w, const char *key, const yaml_node_t *v)
{
	static const char *const path = "rate_limit";
	const char *s = scalar(v);
	uint64_t ms;
	int rc;

	if (!strcmp(key, "interval")) {
		if (is_null(v))
			return 0;
		if (!s)
			return fail(w, path, key, DURATION_WANTED);
		/* yaml.v2 reads a bare integer into a time.Duration as nanoseconds. */
		if (v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    (rc = num_parse_u64(s, strlen(s), &w->cfg->rate_interval_ns)) != -EINVAL)
			return rc ? fail(w, path, key, "out of range") : 0;
		if (duration_parse(s, strlen(s), &ms))
			return fail(w, path, key, DURATION_WANTED);
		w->cfg->rate_interval_ns = ms * 1000000; /* at most 2^63-1 */
		return 0;
	}
	if (!strcmp(key, "burst")) {
		if (is_null(v))
			return 0;
		if (!s || *s < '0' || *s > '9')
			return fail(w, path, key, "expected a non-negative integer");
		if (num_parse_u64(s, strlen(s), &w->cfg->rate_burst) || w->cfg->rate_burst > 1000000)
			return fail(w, path, key, "expected an integer from 0 to 1000000");
		return 0;
	}
	return fail(w, path, key, "unknown key");
}

static int top_pair(struct walk *w, const char *key, const yaml_node_t *v)
{
	if (!strcmp(key, "tls_server_config"))
		return each_pair(w, v, key, tls_pair);
	if (!strcmp(key, "http_server_config"))
		return each_pair(w, v, key, http_pair);
	if (!strcmp(key, "basic_auth_users"))
		return each_pair(w, v, key, user_pair);
	if (!strcmp(key, "rate_limit"))
		return each_pair(w, v, key, rate_pair);
	return fail(w, "", key, "unknown key");
}

/* What ConfigToTLSConfig checks before touching files. */
static int check(struct walk *w)
{
	struct web_config *c = w->cfg;
	static const char *const p = "tls_server_config";

	c->tls = c->tls || c->cert || c->key || c->cert_file || c->key_file || c->client_ca ||
		 c->client_ca_file;
	if (c->nsans && (!c->tls || c->client_auth == WEB_CLIENT_AUTH_NONE))
		return fail(w, p, "client_allowed_sans",
			    "needs TLS with a client_auth_type that asks for client certificates");
	if (!c->tls)
		return 0;
	if (c->cert && c->cert_file)
		return fail(w, p, "cert", "give cert or cert_file, not both");
	if (c->key && c->key_file)
		return fail(w, p, "key", "give key or key_file, not both");
	if (c->client_ca && c->client_ca_file)
		return fail(w, p, "client_ca", "give client_ca or client_ca_file, not both");
	if (!c->cert && !c->cert_file)
		return fail(w, p, "cert_file", "missing (one of cert or cert_file is needed)");
	if (!c->key && !c->key_file)
		return fail(w, p, "key_file", "missing (one of key or key_file is needed)");
	if ((c->client_ca || c->client_ca_file) && c->client_auth == WEB_CLIENT_AUTH_NONE)
		return fail(w, p, c->client_ca ? "client_ca" : "client_ca_file",
			    "a client CA is configured but client_auth_type is NoClientCert");
	if ((c->client_auth == WEB_CLIENT_AUTH_VERIFY_IF_GIVEN ||
	     c->client_auth == WEB_CLIENT_AUTH_REQUIRE_VERIFY) &&
	    !c->client_ca && !c->client_ca_file)
		return fail(w, p, "client_ca_file", "missing (client_auth_type verifies certificates)");
	if (c->min_version > c->max_version)
		return fail(w, p, "min_version", "is above max_version");
	return 0;
}

int web_config_parse(const char *yaml, size_t len, struct web_config *cfg, struct strbuf *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct walk w = {&doc, cfg, err};
	bool have_doc = false;
	yaml_node_t *root;
	int rc = -EINVAL;

	memset(cfg, 0, sizeof(*cfg));
	cfg->min_version = WEB_TLS12;
	cfg->max_version = WEB_TLS13;
	cfg->prefer_server_cipher_suites = true;
	cfg->http2 = true;
	if (len > WEB_CONFIG_MAX_BYTES) {
		sb_printf(err, "file is larger than %d bytes", WEB_CONFIG_MAX_BYTES);
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		sb_printf(err, "YAML error at line %zu column %zu: %s",
			  parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			  parser.problem ? parser.problem : "invalid YAML");
		rc = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
		goto out;
	}
	have_doc = true;
	root = yaml_document_get_root_node(&doc);
	rc = each_pair(&w, root, "", top_pair);
	if (!rc)
		rc = check(&w);
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

void web_config_fini(struct web_config *cfg)
{
	char **strs[] = {&cfg->cert_file, &cfg->key_file, &cfg->client_ca_file,
			 &cfg->cert, &cfg->key, &cfg->client_ca};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	for (int h = 0; h < WEB_HDR_COUNT; h++) {
		free(cfg->headers[h]);
		cfg->headers[h] = NULL;
	}
	for (size_t i = 0; i < cfg->nusers; i++) {
		free(cfg->users[i].name);
		/* A hash is not a password, but it is a secret of sorts. */
		explicit_bzero(cfg->users[i].hash, strlen(cfg->users[i].hash));
		free(cfg->users[i].hash);
	}
	cfg->nusers = 0;
	for (size_t i = 0; i < cfg->nsans; i++)
		free(cfg->allowed_sans[i]);
	cfg->nsans = 0;
}

bool web_config_bcrypt_shape(const char *s)
{
	static const char alphabet[] =
		"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	int cost;

	if (strncmp(s, "$2a$", 4) && strncmp(s, "$2b$", 4) && strncmp(s, "$2y$", 4))
		return false;
	if (s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' || s[6] != '$')
		return false;
	cost = (s[4] - '0') * 10 + (s[5] - '0');
	if (cost < 4 || cost > 31)
		return false;
	return strlen(s + 7) == 53 && strspn(s + 7, alphabet) == 53;
}
