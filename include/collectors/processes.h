/* collectors/processes: per-process socket attribution (which program holds which
 * socket), a consumer of the socket stream (collector.h). Flags under
 * --collector.processes.*; see docs/processes.md. */
#ifndef NETSTAT_COLLECTORS_PROCESSES_H
#define NETSTAT_COLLECTORS_PROCESSES_H

#include "collectors/collector.h"

extern const struct collector_ops processes_collector;

#endif
