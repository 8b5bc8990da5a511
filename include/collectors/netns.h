/* collectors/netns: the sockets and counters of the other network namespaces
 * (pods, containers, `ip netns`), per namespace, with identity labels.
 * Flags under --collector.netns.*; see docs/netns.md. */
#ifndef NETSTAT_COLLECTORS_NETNS_H
#define NETSTAT_COLLECTORS_NETNS_H

#include "collectors/collector.h"

extern const struct collector_ops netns_collector;

#endif
