/* http/negotiate: picks the exposition format and the encoding from request headers.
 *
 * Pure functions over header strings. Anything malformed falls back to the
 * Prometheus text format and no compression, never to an error. */
#ifndef NETSTAT_HTTP_NEGOTIATE_H
#define NETSTAT_HTTP_NEGOTIATE_H

#include <stdbool.h>

#include "expo/expo.h"

/* OpenMetrics 1.0.0 when the Accept header names application/openmetrics-text
 * (version 1.0.0 or no version) with a q-value above zero and at least as high
 * as any acceptable text/plain (version 0.0.4 or none), text/ * or * / *. Text
 * otherwise, including for a NULL, empty or unparseable header. */
enum expo_format neg_format(const char *accept);

/* True when Accept-Encoding accepts gzip (or *) with a q-value above zero. */
bool neg_gzip(const char *accept_encoding);

/* Seconds a scrape may take: Prometheus' X-Prometheus-Scrape-Timeout-Seconds
 * (a positive decimal) less a tenth, kept for rendering and sending, and at
 * most cap (--web.scrape-timeout). cap when the header is absent or not a
 * positive finite number. */
double neg_scrape_timeout(const char *header, double cap);

#endif
