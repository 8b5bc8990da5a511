/* http/web_state: a --web.config.file made live, and re-read when it changes.
 *
 * Loading reads the file (refusing one that is world-writable, not a regular
 * file or larger than WEB_CONFIG_MAX_BYTES), parses it (http/web_config),
 * reads the certificate, key and client CA it names (relative paths are
 * relative to the file's directory, as in the exporter-toolkit; the same
 * checks apply to them), checks that the key matches the certificate, and
 * builds GnuTLS credentials and a priority string from min_version,
 * max_version, curve_preferences and prefer_server_cipher_suites.
 *
 * A struct web_watch holds the current state. web_watch_current() re-checks
 * the config file and every file it names at most once a second (device,
 * inode, size, mtime, ctime: a rename into place, as Kubernetes and certbot
 * do, counts) and loads a changed set; web_watch_reload() loads at once
 * (SIGHUP). A set that fails to load is logged once and the old state stays
 * in use; so is one that would turn TLS on or off, which needs a restart.
 * States are refcounted: a connection keeps the credentials it was set up
 * with until it closes. */
#ifndef NETSTAT_HTTP_WEB_STATE_H
#define NETSTAT_HTTP_WEB_STATE_H

#include <gnutls/gnutls.h>
#include <stdbool.h>

#include "util/clock.h"
#include "util/strbuf.h"
#include "http/web_config.h"

struct web_state {
	struct web_config cfg;                /* as parsed; paths as written */
	gnutls_certificate_credentials_t creds; /* NULL without TLS */
	gnutls_priority_t prio;               /* NULL without TLS */
	char *priority;                       /* the GnuTLS priority string, for the log */
	char *cert_pem, *key_pem;             /* what the credentials were made of */
};

/* Loads path into a new state (refcount 1). 0, or -EINVAL/-EACCES/-ENOENT...
 * with one line in err naming the key or the file; -ENOMEM. */
int web_state_load(const char *path, struct web_state **out, struct strbuf *err);

/* Frees a state from web_state_load() that no watch took. Accepts NULL. */
void web_state_free(struct web_state *st);

/* Points a fresh server-side TLS session at st: its credentials, priorities
 * and client-certificate policy (request, require, verify against the client
 * CA, as client_auth_type says). Call before the handshake. 0 or a GnuTLS
 * error code. */
int web_state_setup_session(const struct web_state *st, gnutls_session_t session);

/* client_allowed_sans: 0 when st lists none, or when the client's
 * certificate (the first of its chain) has a DNS, e-mail, IP or URI subject
 * alternative name written exactly as one of them (IP addresses as
 * inet_ntop() writes them). -EACCES otherwise, also without a certificate. */
int web_state_check_sans(const struct web_state *st, gnutls_session_t session);

struct web_watch;

/* Takes ownership of first (from web_state_load on path). NULL means ENOMEM.
 * web_watch_new_clock: the same, with the clock that paces
 * web_watch_current's looks (web_watch_new's is util_mono_now; tests pass a
 * fake one). */
struct web_watch *web_watch_new(const char *path, struct web_state *first);
struct web_watch *web_watch_new_clock(const char *path, struct web_state *first, util_clock_fn clock);
/* Frees the watch and every state; no state may be in use any more. */
void web_watch_free(struct web_watch *w);
/* The current state, re-checking the files if a second has passed since the
 * last look (on the watch's clock). Release
 * with web_watch_put(). Never NULL. */
struct web_state *web_watch_current(struct web_watch *w);
void web_watch_put(struct web_watch *w, struct web_state *st);
/* Re-reads now. 0 when a new state is in use, 1 when nothing changed, or a
 * negative errno (logged; the old state stays). */
int web_watch_reload(struct web_watch *w);

#endif
