/* cli/config: the parsed command line.
 *
 * Core flags are fields. Collector flags (--collector.NAME.OPTION) are kept as
 * raw strings and read by the collector itself in its init(), through
 * config_get(), so each collector owns its options and their validation. */
#ifndef NETSTAT_CLI_CONFIG_H
#define NETSTAT_CLI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

#define CONFIG_DEFAULT_PORT "10730"
#define CONFIG_MAX_LISTEN 16
#define CONFIG_MAX_COLLECTORS 16
#define CONFIG_MAX_VALUES 64

struct config_value {
	const char *name;  /* flag name without "--", e.g. "collector.sockets.top-ports" */
	const char *value; /* points into argv or a static default */
};

struct config {
	const char *listen[CONFIG_MAX_LISTEN]; /* --web.listen-address, repeatable */
	size_t nlisten;
	const char *telemetry_path;            /* --web.telemetry-path */
	const char *procfs;                    /* --path.procfs */
	unsigned max_requests;                 /* --web.max-requests, 0 = unlimited */
	unsigned max_connections;              /* --web.max-connections */
	unsigned max_connections_per_ip;       /* --web.max-connections-per-ip */
	unsigned timeout_seconds;              /* --web.timeout */
	enum log_level log_level;              /* --log.level */
	const char *web_config_file;           /* --web.config.file, NULL: none */
	unsigned scrape_timeout_seconds;       /* --web.scrape-timeout */
	unsigned header_timeout_seconds;       /* --web.header-timeout */
	const char *healthz_listen;            /* --web.healthz-listen-address, NULL: none */
	bool enable_connections;               /* --web.enable-connections */
	const char *geoip_database;            /* --geoip.database, NULL = none */
	const char *geoip_asn_database;        /* --geoip.asn-database, NULL = none */
	bool disable_defaults;                 /* --collector.disable-defaults */
	bool enabled[CONFIG_MAX_COLLECTORS];   /* indexed like collector_registry; resolved
						* from the flags and disable_defaults */
	struct config_value values[CONFIG_MAX_VALUES]; /* collector options, in order given */
	size_t nvalues;
};

/* The last value given for a collector option, or def when it was not given. */
const char *config_get(const struct config *cfg, const char *name, const char *def);
/* Every value given for a repeatable collector option, in order: calls fn for
 * each; returns the first non-zero fn result, else 0. */
int config_each(const struct config *cfg, const char *name,
		int (*fn)(const char *value, void *arg), void *arg);
/* A boolean collector option: "true"/"false" as stored by the command line. */
bool config_bool(const struct config *cfg, const char *name, bool def);

#endif
