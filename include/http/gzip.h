/* http/gzip: one-shot gzip (RFC 1952) compression of a response body. */
#ifndef NETSTAT_HTTP_GZIP_H
#define NETSTAT_HTTP_GZIP_H

#include <stddef.h>

#include "util/strbuf.h"

/* Appends the gzip encoding of in[0..n) to out. 0 or a negative errno. */
int gzip_compress(const char *in, size_t n, struct strbuf *out);

#endif
