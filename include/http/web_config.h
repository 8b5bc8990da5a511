/* http/web_config: parses a --web.config.file, the exporter-toolkit's format.
 *
 * The file a node_exporter fleet already has works unchanged. Every key of
 * the format is either implemented or refused with a message naming it
 * (cipher_suites); unknown keys, duplicate keys, values
 * of the wrong type and bad bcrypt hashes are errors, never ignored. Pure:
 * YAML bytes in (libyaml), struct out; files named in it are read by
 * http/web_tls, relative paths resolved there. An empty file is valid and
 * means plain HTTP without users. */
#ifndef NETSTAT_HTTP_WEB_CONFIG_H
#define NETSTAT_HTTP_WEB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

/* Larger files are refused before parsing. */
#define WEB_CONFIG_MAX_BYTES (1024 * 1024)
#define WEB_CONFIG_MAX_USERS 256
#define WEB_CONFIG_MAX_CURVES 4
#define WEB_CONFIG_MAX_SANS 64

/* client_auth_type, with the meaning of Go's tls.ClientAuthType. */
enum web_client_auth {
	WEB_CLIENT_AUTH_NONE = 0,          /* "NoClientCert" (default) */
	WEB_CLIENT_AUTH_REQUEST,           /* "RequestClientCert": asked, not checked */
	WEB_CLIENT_AUTH_REQUIRE_ANY,       /* "RequireAnyClientCert" ("RequireClientCert"): any cert */
	WEB_CLIENT_AUTH_VERIFY_IF_GIVEN,   /* "VerifyClientCertIfGiven" */
	WEB_CLIENT_AUTH_REQUIRE_VERIFY,    /* "RequireAndVerifyClientCert" */
	WEB_CLIENT_AUTH_COUNT
};

/* min_version / max_version. */
enum web_tls_version {
	WEB_TLS10 = 0,
	WEB_TLS11,
	WEB_TLS12,
	WEB_TLS13,
	WEB_TLS_VERSION_COUNT
};

/* curve_preferences, Go's names. */
enum web_curve {
	WEB_CURVE_P256 = 0, /* "CurveP256" */
	WEB_CURVE_P384,     /* "CurveP384" */
	WEB_CURVE_P521,     /* "CurveP521" */
	WEB_CURVE_X25519,   /* "X25519" */
	WEB_CURVE_COUNT
};

/* http_server_config.headers: the only names the toolkit allows. */
enum web_header {
	WEB_HDR_CSP = 0,      /* Content-Security-Policy */
	WEB_HDR_FRAME,        /* X-Frame-Options: deny | sameorigin */
	WEB_HDR_CTO,          /* X-Content-Type-Options: nosniff */
	WEB_HDR_XSS,          /* X-XSS-Protection */
	WEB_HDR_HSTS,         /* Strict-Transport-Security */
	WEB_HDR_COUNT
};

struct web_user {
	char *name; /* owned */
	char *hash; /* owned; a bcrypt hash, checked for shape */
};

/* Every string is owned by the struct and freed by web_config_fini(). NULL
 * means the key was absent (or empty: the toolkit treats "" as unset). */
struct web_config {
	/* tls_server_config */
	bool tls;                  /* any TLS key given: serve HTTPS */
	char *cert_file, *key_file, *client_ca_file;
	char *cert, *key, *client_ca; /* inline PEM */
	enum web_client_auth client_auth;
	enum web_tls_version min_version, max_version; /* TLS12, TLS13 */
	bool prefer_server_cipher_suites;              /* true */
	enum web_curve curves[WEB_CONFIG_MAX_CURVES];  /* in preference order */
	size_t ncurves;
	char *allowed_sans[WEB_CONFIG_MAX_SANS]; /* client_allowed_sans, owned */
	size_t nsans;
	/* http_server_config */
	bool http2;                /* true; we serve HTTP/1.1 only, see web_tls */
	bool http2_given;
	char *headers[WEB_HDR_COUNT];
	/* basic_auth_users, in file order */
	struct web_user users[WEB_CONFIG_MAX_USERS];
	size_t nusers;
	/* rate_limit: off when interval_ns is 0 */
	uint64_t rate_interval_ns;
	uint64_t rate_burst;
};

/* The header name of a web_header. */
const char *web_config_header_name(enum web_header h);
/* The toolkit's name of a client_auth_type ("RequireAndVerifyClientCert"). */
const char *web_config_client_auth_name(enum web_client_auth a);

/* Parses len bytes of YAML into cfg (which is initialised with the
 * toolkit's defaults first, and must be passed to web_config_fini() in every
 * case). Returns 0; -EINVAL with one line in err that starts with the dotted
 * key ("tls_server_config.min_version: unknown TLS version \"TLS14\""); or
 * -ENOMEM. Checks what can be checked without files: required pairs (cert
 * with key), client CA without client_auth_type, versions in order. */
int web_config_parse(const char *yaml, size_t len, struct web_config *cfg, struct strbuf *err);
void web_config_fini(struct web_config *cfg);

/* Whether s has the shape of a bcrypt hash crypt_r() verifies:
 * $2a$, $2b$ or $2y$, a cost 04..31, '$', 53 characters of bcrypt's base64. */
bool web_config_bcrypt_shape(const char *s);

#endif
