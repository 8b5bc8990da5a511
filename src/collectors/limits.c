/* limits collector: sysctls under sys/net and the conntrack table size, read
 * at scrape time relative to --path.procfs. A missing file (no conntrack
 * module, an older kernel) means its series are absent; a malformed one fails
 * the collector without exporting anything. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/limits.h"
#include "log.h"
#include "util/numbers.h"
#include "procfs/reader.h"
#include "procfs/sysctl.h"

#define LIMITS_FILE_CAP 4096u
#define LIMITS_MAX_VALUES 3

enum limit_unit {
	UNIT_NONE = 0,
	UNIT_PAGES, /* exported in bytes */
	UNIT_COUNT
};

struct limit_def {
	const char *path;
	size_t n; /* values in the file */
	enum limit_unit unit;
	/* One family per value, or, with levels, one family whose samples carry
	 * level=levels[i]. */
	const char *metric[LIMITS_MAX_VALUES];
	const char *help[LIMITS_MAX_VALUES];
	const char *const *levels;
	bool port_range; /* read through procfs/sysctl.h, as `sockets` reads it */
};

static const char *const mem_levels[] = {"min", "pressure", "max"};

static const struct limit_def defs[] = {
	{SYSCTL_PORT_RANGE_PATH, 2, UNIT_NONE,
	 {"netstat_limit_ip_local_port_range_first", "netstat_limit_ip_local_port_range_last"},
	 {"First local port for outgoing connections (net.ipv4.ip_local_port_range).",
	  "Last local port for outgoing connections (net.ipv4.ip_local_port_range)."}, NULL, true},
	{"sys/net/ipv4/tcp_max_tw_buckets", 1, UNIT_NONE,
	 {"netstat_limit_tcp_max_tw_buckets"},
	 {"Maximum TIME_WAIT sockets (net.ipv4.tcp_max_tw_buckets)."}, NULL},
	{"sys/net/ipv4/tcp_max_syn_backlog", 1, UNIT_NONE,
	 {"netstat_limit_tcp_max_syn_backlog"},
	 {"Maximum remembered connection requests per listener (net.ipv4.tcp_max_syn_backlog)."}, NULL},
	{"sys/net/core/somaxconn", 1, UNIT_NONE,
	 {"netstat_limit_somaxconn"},
	 {"Upper bound of a listen() backlog (net.core.somaxconn)."}, NULL},
	{"sys/net/ipv4/tcp_syncookies", 1, UNIT_NONE,
	 {"netstat_limit_tcp_syncookies"},
	 {"SYN cookies mode: 0 off, 1 on backlog overflow, 2 always (net.ipv4.tcp_syncookies)."}, NULL},
	{"sys/net/ipv4/tcp_max_orphans", 1, UNIT_NONE,
	 {"netstat_limit_tcp_max_orphans"},
	 {"Maximum orphaned TCP sockets (net.ipv4.tcp_max_orphans)."}, NULL},
	{"sys/net/ipv4/tcp_fin_timeout", 1, UNIT_NONE,
	 {"netstat_limit_tcp_fin_timeout_seconds"},
	 {"Time an orphaned connection stays in FIN_WAIT2 (net.ipv4.tcp_fin_timeout)."}, NULL},
	{"sys/net/ipv4/tcp_tw_reuse", 1, UNIT_NONE,
	 {"netstat_limit_tcp_tw_reuse"},
	 {"TIME_WAIT reuse for outgoing connections: 0 off, 1 on, 2 loopback only (net.ipv4.tcp_tw_reuse)."}, NULL},
	{"sys/net/ipv4/tcp_mem", 3, UNIT_PAGES,
	 {"netstat_limit_tcp_mem_bytes"},
	 {"TCP memory thresholds (net.ipv4.tcp_mem, pages times page size)."}, mem_levels},
	{"sys/net/netfilter/nf_conntrack_count", 1, UNIT_NONE,
	 {"netstat_conntrack_entries"},
	 {"Connection tracking table entries (net.netfilter.nf_conntrack_count)."}, NULL},
	{"sys/net/netfilter/nf_conntrack_max", 1, UNIT_NONE,
	 {"netstat_conntrack_entries_limit"},
	 {"Connection tracking table size (net.netfilter.nf_conntrack_max)."}, NULL},
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

struct limits_state {
	int64_t page_size;
	struct strbuf text; /* reused for every file */
};

static void limits_fini(void *state)
{
	struct limits_state *st = state;

	if (!st)
		return;
	sb_fini(&st->text);
	free(st);
}

static int limits_init(void **state, const struct config *cfg, struct strbuf *err)
{
	struct limits_state *st = calloc(1, sizeof(*st));
	long ps = sysconf(_SC_PAGESIZE);

	(void)cfg;
	(void)err;
	*state = st;
	if (!st)
		return -ENOMEM;
	st->page_size = ps > 0 ? ps : 4096;
	sb_init(&st->text);
	return 0;
}

/* The values of one file: 0, -ENOENT, -EINVAL (perr says why) or the
 * reader's error. */
static int read_def(struct limits_state *st, int procfs_fd, const struct limit_def *def,
		    int64_t *value, struct parse_error *perr)
{
	struct sysctl_port_range r;
	int rc;

	if (def->port_range) {
		rc = sysctl_read_port_range(procfs_fd, &r, perr);
		if (rc == 0) {
			value[0] = r.lo;
			value[1] = r.hi;
		}
		return rc;
	}
	rc = procfs_read(procfs_fd, def->path, LIMITS_FILE_CAP, &st->text);
	if (rc == 0)
		rc = num_parse_i64_list(st->text.buf, st->text.len, value, def->n, perr);
	return rc;
}

static int limits_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	struct limits_state *st = state;
	int64_t value[NDEFS][LIMITS_MAX_VALUES];
	bool present[NDEFS] = {false};
	int rc = 0;

	for (size_t d = 0; d < NDEFS; d++) {
		struct parse_error perr = {0, NULL};

		rc = read_def(st, ctx->procfs_fd, &defs[d], value[d], &perr);
		if (rc == -ENOENT) {
			rc = 0;
			continue;
		}
		if (rc == -EINVAL && perr.what) {
			log_msg(LOG_WARN, "limits: malformed %s: %s (expected %zu integer%s)",
				defs[d].path, perr.what, defs[d].n, defs[d].n > 1 ? "s" : "");
			goto out;
		}
		if (rc < 0) {
			log_msg(LOG_WARN, "limits: cannot read %s: %s", defs[d].path, procfs_strerror(rc));
			goto out;
		}
		for (size_t i = 0; i < defs[d].n && defs[d].unit == UNIT_PAGES; i++) {
			if (value[d][i] < 0 || value[d][i] > INT64_MAX / st->page_size) {
				log_msg(LOG_WARN, "limits: %s value %lld pages is out of range",
					defs[d].path, (long long)value[d][i]);
				rc = -EINVAL;
				goto out;
			}
			value[d][i] *= st->page_size;
		}
		present[d] = true;
	}
	for (size_t d = 0; d < NDEFS; d++) {
		struct expo_family *fam;

		if (!present[d])
			continue;
		if (defs[d].levels) {
			fam = expo_family(e, defs[d].metric[0], EXPO_GAUGE, defs[d].help[0]);
			for (size_t i = 0; i < defs[d].n; i++)
				expo_add_i64(fam, value[d][i],
					     EXPO_LABELS({"level", defs[d].levels[i]}));
			continue;
		}
		for (size_t i = 0; i < defs[d].n; i++) {
			fam = expo_family(e, defs[d].metric[i], EXPO_GAUGE, defs[d].help[i]);
			expo_add_i64(fam, value[d][i], EXPO_NOLABELS);
		}
	}
	rc = expo_error(e);
out:
	return rc;
}

static bool limits_owns(const char *family)
{
	for (size_t d = 0; d < NDEFS; d++)
		for (size_t i = 0; i < LIMITS_MAX_VALUES; i++)
			if (defs[d].metric[i] && strcmp(family, defs[d].metric[i]) == 0)
				return true;
	return false;
}

const struct collector_ops limits_collector = {
	.name = "limits",
	.help = "Kernel limits alerts divide by: port range, TIME_WAIT buckets, backlogs, tcp_mem, conntrack.",
	.default_enabled = true,
	.flags = NULL,
	.init = limits_init,
	.collect = limits_collect,
	.fini = limits_fini,
	.owns = limits_owns,
};
