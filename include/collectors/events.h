/* The events collector: TCP and UDP events between scrapes (opens, connect
 * failures, resets, closed-port SYNs and their sources, SYNs and syncookies,
 * retransmissions, drops by reason) counted by BPF programs per network
 * namespace and port (netstat_tcp_*_total, netstat_udp_drops_total,
 * netstat_tcp_scan_sources, netstat_events_*). See docs/events.md. */
#ifndef NETSTAT_COLLECTORS_EVENTS_H
#define NETSTAT_COLLECTORS_EVENTS_H

#include "collectors/collector.h"

extern const struct collector_ops events_collector;

#endif
