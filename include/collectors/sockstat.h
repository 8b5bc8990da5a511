/* The sockstat collector: socket and memory gauges from net/sockstat and
 * net/sockstat6 (netstat_sockstat_*). */
#ifndef NETSTAT_COLLECTORS_SOCKSTAT_H
#define NETSTAT_COLLECTORS_SOCKSTAT_H

#include "collectors/collector.h"

extern const struct collector_ops sockstat_collector;

#endif
