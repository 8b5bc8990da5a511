/* The limits collector: the kernel limits that alerts divide by (port range,
 * TIME_WAIT buckets, SYN backlog, somaxconn, orphans, tcp_mem, conntrack) as
 * gauges named netstat_limit_* and netstat_conntrack_entries*. */
#ifndef NETSTAT_COLLECTORS_LIMITS_H
#define NETSTAT_COLLECTORS_LIMITS_H

#include "collectors/collector.h"

extern const struct collector_ops limits_collector;

#endif
