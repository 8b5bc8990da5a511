/* collectors/sockets: the socket census collector (sock_diag: TCP and UDP, IPv4 and
 * IPv6). Flags under --collector.sockets.*; see docs/sockets.md. */
#ifndef NETSTAT_COLLECTORS_SOCKETS_H
#define NETSTAT_COLLECTORS_SOCKETS_H

#include "collectors/collector.h"
#include "sockdiag/census.h"
#include "sockdiag/health.h"

extern const struct collector_ops sockets_collector;
/* Whether --collector.sockets.tcp-info is on (the connections explorer
 * follows it: its rows carry tcp_info only then). */
bool sockets_tcp_info(const struct config *cfg);
/* The names, types and HELP of the census families it emits. */
extern const struct expo_desc sockets_metrics[CENSUS_METRIC_COUNT];
/* ... and of the per-port health families. */
extern const struct expo_desc sockets_health_metrics[HEALTH_METRIC_COUNT];

#endif
