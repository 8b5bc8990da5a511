/* The sockstat collector: socket and memory gauges from net/sockstat and
 * net/sockstat6 (netstat_sockstat_*). */
#ifndef NETSTAT_COLLECTOR_SOCKSTAT_H
#define NETSTAT_COLLECTOR_SOCKSTAT_H

#include "collector.h"

extern const struct collector_ops sockstat_collector;

#endif
