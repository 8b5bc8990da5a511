/* The collectors this exporter knows, in the order a scrape runs them. */
#include <string.h>

#include "collectors/collector.h"
#include "collectors/events.h"
#include "collectors/limits.h"
#include "collectors/netns.h"
#include "collectors/netstat.h"
#include "collectors/processes.h"
#include "collectors/sockets.h"
#include "collectors/sockstat.h"

const struct collector_ops *const collector_registry[] = {
	/* one line per collector: &NAME_collector, declared in its header */
	&processes_collector,
	&sockets_collector,
	&netstat_collector,
	&sockstat_collector,
	&limits_collector,
	&netns_collector,
	&events_collector,
	NULL,
};
const size_t collector_count =
	sizeof(collector_registry) / sizeof(collector_registry[0]) - 1;

int collector_index(const char *name)
{
	for (size_t i = 0; i < collector_count; i++)
		if (strcmp(collector_registry[i]->name, name) == 0)
			return (int)i;
	return -1;
}
