/* The netstat collector: every field of net/snmp, net/netstat and net/snmp6
 * (what `netstat -s` and `nstat` show), one family per field, named by the
 * rule in procfs/snmp_name.h. Flags: --collector.netstat.include/exclude=REGEX. */
#ifndef NETSTAT_COLLECTORS_NETSTAT_H
#define NETSTAT_COLLECTORS_NETSTAT_H

#include "collectors/collector.h"

extern const struct collector_ops netstat_collector;

#endif
