/* http/assets: the static files of the connections page (web/), compiled
 * into the binary by cmake/embed.cmake. */
#ifndef NETSTAT_HTTP_ASSETS_H
#define NETSTAT_HTTP_ASSETS_H

#include <stddef.h>

struct http_asset {
	const char *path; /* URL path, e.g. "/connections.js" */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t len;
};

/* Terminated by an entry with path NULL. */
extern const struct http_asset http_assets[];

/* The asset served at path, or NULL. */
const struct http_asset *http_asset_find(const char *path);

/* The Content-Security-Policy of the page and its API: nothing but this
 * origin's own script, style and fetches; no inline code, no framing. */
#define HTTP_ASSET_CSP \
	"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " \
	"img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

#endif
