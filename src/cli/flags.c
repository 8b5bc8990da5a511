#include "cli/flags.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "util/duration.h"
#include "util/listen_addr.h"
#include "util/numbers.h"

/* NETSTAT_VERSION and NETSTAT_REVISION come from CMakeLists.txt. */

struct core_flag {
	const char *name;
	const char *metavar; /* NULL: takes no value */
	const char *def;
	const char *help;
	int (*set)(struct config *cfg, const char *value);
};

int cli_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		   unsigned long long *out)
{
	uint64_t v;

	if (!s || num_parse_u64(s, strlen(s), &v) < 0 || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_parse_port_list(const char *value, uint64_t ports[65536 / 64])
{
	const char *p = value;
	int ret = 0;

	for (;;) {
		char buf[8];
		size_t len = strcspn(p, ",");
		unsigned long long port;

		if (len == 0 || len >= sizeof(buf)) {
			ret = -EINVAL;
			goto out;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		ret = cli_parse_uint(buf, 1, 65535, &port);
		if (ret < 0)
			goto out;
		ports[port / 64] |= 1ull << (port % 64);
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
out:
	return ret;
}

static int set_listen(struct config *cfg, const char *v)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (listen_addr_parse(v, &ss, &len) || cfg->nlisten == CONFIG_MAX_LISTEN)
		return -EINVAL;
	cfg->listen[cfg->nlisten++] = v;
	return 0;
}

static int set_path(struct config *cfg, const char *v)
{
	/* A path that is a prefix of every other path would shadow / and /healthz. */
	if (v[0] != '/' || strcmp(v, "/") == 0 || strcmp(v, "/healthz") == 0)
		return -EINVAL;
	cfg->telemetry_path = v;
	return 0;
}

static int set_procfs(struct config *cfg, const char *v)
{
	if (!*v)
		return -EINVAL;
	cfg->procfs = v;
	return 0;
}

static int set_uint(unsigned *dst, const char *v, unsigned long long min,
		    unsigned long long max)
{
	unsigned long long n;

	if (cli_parse_uint(v, min, max, &n))
		return -EINVAL;
	*dst = (unsigned)n;
	return 0;
}

/* SECONDS: a bare number of seconds, or a duration of whole seconds ("1m30s"). */
static int set_seconds(unsigned *dst, const char *v, uint64_t min, uint64_t max)
{
	uint64_t n;

	if (duration_parse_seconds(v, strlen(v), &n) || n < min || n > max)
		return -EINVAL;
	*dst = (unsigned)n;
	return 0;
}

static int set_max_requests(struct config *cfg, const char *v)
{
	return set_uint(&cfg->max_requests, v, 0, 100000);
}

static int set_max_conn(struct config *cfg, const char *v)
{
	return set_uint(&cfg->max_connections, v, 1, 10000);
}

static int set_max_conn_ip(struct config *cfg, const char *v)
{
	return set_uint(&cfg->max_connections_per_ip, v, 0, 10000);
}

static int set_timeout(struct config *cfg, const char *v)
{
	return set_seconds(&cfg->timeout_seconds, v, 1, 3600);
}

static int set_log_level(struct config *cfg, const char *v)
{
	return log_parse_level(v, &cfg->log_level);
}

/* A boolean's setter gets "true" or "false": the last one given wins. */
static int set_enable_connections(struct config *cfg, const char *v)
{
	cfg->enable_connections = strcmp(v, "true") == 0;
	return 0;
}

static int set_geoip(struct config *cfg, const char *v)
{
	if (!*v)
		return -EINVAL;
	cfg->geoip_database = v;
	return 0;
}

static int set_geoip_asn(struct config *cfg, const char *v)
{
	if (!*v)
		return -EINVAL;
	cfg->geoip_asn_database = v;
	return 0;
}

/* Applied after every flag is read (resolve_collectors), so order does not
 * matter: a collector named explicitly keeps what it was told. */
static int set_disable_defaults(struct config *cfg, const char *v)
{
	cfg->disable_defaults = strcmp(v, "true") == 0;
	return 0;
}

static int set_web_config(struct config *cfg, const char *v)
{
	if (!*v)
		return -EINVAL;
	cfg->web_config_file = v;
	return 0;
}

static int set_scrape_timeout(struct config *cfg, const char *v)
{
	return set_seconds(&cfg->scrape_timeout_seconds, v, 1, 3600);
}

static int set_header_timeout(struct config *cfg, const char *v)
{
	return set_seconds(&cfg->header_timeout_seconds, v, 1, 3600);
}

static int set_healthz_listen(struct config *cfg, const char *v)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (listen_addr_parse(v, &ss, &len))
		return -EINVAL;
	cfg->healthz_listen = v;
	return 0;
}

static const struct core_flag core_flags[] = {
	{"web.listen-address", "ADDR", ":" CONFIG_DEFAULT_PORT,
	 "Address to listen on: host:port, :port or [v6]:port. Repeatable.", set_listen},
	{"web.telemetry-path", "PATH", "/metrics", "Path under which to expose metrics.", set_path},
	{"web.max-requests", "N", "40",
	 "Maximum number of scrapes in flight; more get 503. 0 means no limit.", set_max_requests},
	{"web.max-connections", "N", "64", "Maximum open HTTP connections per listen address.",
	 set_max_conn},
	{"web.max-connections-per-ip", "N", "16",
	 "Maximum open HTTP connections from one client address. 0 means no limit.", set_max_conn_ip},
	{"web.timeout", "SECONDS", "10", "Idle HTTP connections are closed after this long (a "
	 "scrape's deadline is --web.scrape-timeout).", set_timeout},
	{"path.procfs", "PATH", "/proc", "procfs mountpoint.", set_procfs},
	{"log.level", "LEVEL", "info", "Only log messages at or above: debug, info, warn, error.",
	 set_log_level},
	{"web.enable-connections", NULL, NULL,
	 "Serve /connections and /api/v1/connections: every socket with its remote address and "
	 "program. Off by default: it shows who talks to this host to anyone who can reach the port.",
	 set_enable_connections},
	{"geoip.database", "PATH", NULL,
	 "MaxMind DB (GeoLite2/GeoIP2 Country or City, or an ip-location-db country mmdb) for "
	 "remote countries; reopened on SIGHUP or when the file changes.", set_geoip},
	{"geoip.asn-database", "PATH", NULL,
	 "MaxMind DB with autonomous_system_number/_organization (GeoLite2-ASN, ip-location-db asn).",
	 set_geoip_asn},
	{"collector.disable-defaults", NULL, NULL,
	 "Disable every collector not enabled by --collector.NAME (in any order).",
	 set_disable_defaults},
	{"web.config.file", "PATH", NULL,
	 "Web config (TLS, client certificates, basic auth, headers) in the exporter-toolkit's "
	 "format; re-read when it changes and on SIGHUP. See README, Securing the exporter.",
	 set_web_config},
	{"web.scrape-timeout", "SECONDS", "10",
	 "Longest a scrape may take; X-Prometheus-Scrape-Timeout-Seconds can only shorten it. "
	 "A collector still running then is reported failed for that scrape.", set_scrape_timeout},
	{"web.header-timeout", "SECONDS", "5",
	 "A connection must send complete request headers within this long of opening (or of its "
	 "previous request), however slowly it trickles them.", set_header_timeout},
	{"web.healthz-listen-address", "ADDR", NULL,
	 "Also serve /healthz, and nothing else, over plain HTTP without authentication here "
	 "(for liveness probes that cannot present a client certificate).", set_healthz_listen},
	{NULL, NULL, NULL, NULL, NULL},
};

/* The defaults are the table's, set through the same functions as the
 * flags, so --help cannot disagree with them. The listen address is the
 * exception: repeatable, its default applies only when none is given. */
static void defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (const struct core_flag *f = core_flags; f->name; f++)
		if (f->def && f->set != set_listen)
			f->set(cfg, f->def); /* test_cli checks each is accepted */
}

/* As node_exporter: a collector's --collector.NAME / --no-collector.NAME (the
 * last one given) wins wherever --collector.disable-defaults stands; the
 * others take their default, or off with --collector.disable-defaults.
 * explicit[i]: -1 not named, else 0 or 1. */
static void resolve_collectors(struct config *cfg, const signed char *explicit)
{
	for (size_t i = 0; i < collector_count && i < CONFIG_MAX_COLLECTORS; i++)
		cfg->enabled[i] = explicit[i] >= 0 ? explicit[i] == 1
				  : !cfg->disable_defaults && collector_registry[i]->default_enabled;
}

/* prog: the name the program was run as (netstat_exporter from a build,
 * netstat-exporter from the Debian package), so the man page help2man makes
 * from this text names the installed program. */
static void usage(struct strbuf *out, const char *prog)
{
	const char *slash = prog ? strrchr(prog, '/') : NULL;

	sb_printf(out, "usage: %s [FLAGS]\n\n", slash ? slash + 1 : prog ? prog : "netstat_exporter");
	sb_puts(out, "Prometheus exporter for socket states, ports, processes and TCP health.\n\n"
		     "Flags:\n"
		     "  --help                       Show this help and exit.\n"
		     "  --version                    Show the version and exit.\n");
	for (const struct core_flag *f = core_flags; f->name; f++) {
		sb_printf(out, "  --%s%s%s\n      %s", f->name, f->metavar ? "=" : "",
			  f->metavar ? f->metavar : "", f->help);
		if (f->def)
			sb_printf(out, " (default: %s)", f->def);
		sb_putc(out, '\n');
	}
	sb_puts(out, "\nCollectors (--collector.NAME enables, --no-collector.NAME disables):\n");
	for (size_t i = 0; i < collector_count; i++) {
		const struct collector_ops *c = collector_registry[i];

		sb_printf(out, "  --[no-]collector.%s\n      %s (default: %s)\n", c->name, c->help,
			  c->default_enabled ? "enabled" : "disabled");
		for (const struct collector_flag *f = c->flags; f && f->name; f++) {
			sb_printf(out, "  --%s%s%s\n      %s", f->name,
				  f->metavar ? "=" : "", f->metavar ? f->metavar : "", f->help);
			if (f->def)
				sb_printf(out, " (default: %s)", f->def);
			if (f->repeatable)
				sb_puts(out, " Repeatable.");
			sb_putc(out, '\n');
		}
	}
}

static const struct collector_flag *find_collector_flag(const char *name)
{
	for (size_t i = 0; i < collector_count; i++)
		for (const struct collector_flag *f = collector_registry[i]->flags; f && f->name; f++)
			if (strcmp(f->name, name) == 0)
				return f;
	return NULL;
}

static const struct core_flag *find_core_flag(const char *name)
{
	for (const struct core_flag *f = core_flags; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static int parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

static int add_value(struct config *cfg, const char *name, const char *value)
{
	if (cfg->nvalues == CONFIG_MAX_VALUES)
		return -E2BIG;
	cfg->values[cfg->nvalues++] = (struct config_value){name, value};
	return 0;
}

enum cli_result cli_parse(int argc, char **argv, struct config *cfg,
			  struct strbuf *out, struct strbuf *err)
{
	signed char explicit[CONFIG_MAX_COLLECTORS];

	defaults(cfg);
	memset(explicit, -1, sizeof(explicit));
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i], *name, *value = NULL, *eq;
		bool negated = false, b;
		const struct core_flag *core;
		const struct collector_flag *cf;
		int idx;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(out, argv[0]);
			return CLI_EXIT;
		}
		if (strcmp(arg, "--version") == 0) {
			sb_printf(out, "netstat_exporter, version %s (revision: %s)\n",
				  NETSTAT_VERSION, NETSTAT_REVISION);
			return CLI_EXIT;
		}
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			sb_printf(err, "unexpected argument '%s'", arg);
			return CLI_ERROR;
		}
		name = arg + 2;
		eq = strchr(name, '=');
		if (eq) {
			*eq = '\0'; /* argv is ours to cut; cfg keeps pointers into it */
			value = eq + 1;
		}
		if (strncmp(name, "no-", 3) == 0) {
			negated = true;
			name += 3;
		}

		/* --collector.NAME / --no-collector.NAME */
		if (strncmp(name, "collector.", 10) == 0 &&
		    (idx = collector_index(name + 10)) >= 0) {
			b = !negated;
			if (value && (negated || parse_bool(value, &b))) {
				sb_printf(err, "--%s%s: expected true or false, got '%s'",
					  negated ? "no-" : "", name, value);
				return CLI_ERROR;
			}
			if (idx < CONFIG_MAX_COLLECTORS)
				explicit[idx] = b;
			continue;
		}

		core = find_core_flag(name);
		cf = core ? NULL : find_collector_flag(name);
		if ((!core && !cf) || (negated && ((core && core->metavar) || (cf && cf->metavar)))) {
			sb_printf(err, "unknown flag --%s%s", negated ? "no-" : "", name);
			return CLI_ERROR;
		}
		if ((core && !core->metavar) || (cf && !cf->metavar)) {
			/* boolean */
			b = !negated;
			if (value && (negated || parse_bool(value, &b))) {
				sb_printf(err, "--%s: expected true or false, got '%s'", name, value);
				return CLI_ERROR;
			}
			if (core)
				core->set(cfg, b ? "true" : "false");
			else if (add_value(cfg, cf->name, b ? "true" : "false")) {
				sb_printf(err, "--%s: too many collector options", name);
				return CLI_ERROR;
			}
			continue;
		}
		if (!value) {
			if (i + 1 >= argc) {
				sb_printf(err, "--%s: expected a value", name);
				return CLI_ERROR;
			}
			value = argv[++i];
		}
		if (core) {
			if (core->set(cfg, value)) {
				sb_printf(err, "--%s: invalid value '%s'", name, value);
				return CLI_ERROR;
			}
		} else if (add_value(cfg, cf->name, value)) {
			sb_printf(err, "--%s: too many collector options", name);
			return CLI_ERROR;
		}
	}
	if (cfg->nlisten == 0)
		set_listen(cfg, find_core_flag("web.listen-address")->def);
	resolve_collectors(cfg, explicit);
	return CLI_RUN;
}
