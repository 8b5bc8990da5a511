/* collectors/events: TCP and UDP events between scrapes, counted in the
 * kernel by the BPF programs of events/loader and exported per network
 * namespace and port (see docs/events.md).
 *
 * Default on where the build, the kernel and the privileges allow it; where
 * they do not, one log line says what is missing, the self-metrics say why
 * (netstat_events_load_failures_total{reason}), and everything else is
 * unchanged. */
#include "collectors/events.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/flags.h"
#include "events/live.h"
#include "events/reasons.h"
#include "events/series.h"
#include "geoip/geoip.h"
#include "log.h"
#include "netns/share.h"
#include "sockdiag/census.h"
#include "util/clock.h"
#ifdef NETSTAT_HAVE_EVENTS
#include "events/loader.h"
#endif

enum flag {
	FLAG_PORTS = 0,
	FLAG_TOP_PORTS,
	FLAG_SCAN_SOURCES,
	FLAG_CGROUP,
	FLAG_LIVE_STATES,
	FLAG_FORGET_AFTER,
	FLAG_COUNT
};

static const struct collector_flag flags[FLAG_COUNT + 1] = {
	[FLAG_PORTS] = {"collector.events.ports", "PORT[,PORT...]", NULL,
	 "Ports that always get their own series in the event families.", true},
	[FLAG_TOP_PORTS] = {"collector.events.top-ports", "N", "10",
	 "Other ports with their own series, the busiest first and kept once chosen; the rest are port=\"other\".", false},
	[FLAG_SCAN_SOURCES] = {"collector.events.scan-sources", "K", "10",
	 "Sources of closed-port SYNs listed in netstat_tcp_scan_sources per scrape; 0 disables it.", false},
	[FLAG_CGROUP] = {"collector.events.cgroup", "PATH", NULL,
	 "cgroup v2 root the SYN counter attaches to (default: /sys/fs/cgroup/unified if cgroup2, else /sys/fs/cgroup).", false},
	[FLAG_LIVE_STATES] = {"collector.events.live-states", NULL, "true",
	 "Keep other network namespaces' TCP states live (netstat_netns_tcp_sockets current every scrape; about 300 bytes of kernel memory per TCP socket in them, docs/events.md).", false},
	[FLAG_FORGET_AFTER] = {"collector.events.forget-after", "DURATION", "1m",
	 "Drop the series of a network namespace the netns collector no longer sees, once it has been gone and silent this long (and two scrapes).", false},
	[FLAG_COUNT] = {NULL, NULL, NULL, NULL, false},
};

/* Families by enum; the first EV_KIND_COUNT follow enum ev_kind. */
enum fam {
	FAM_SCAN_SOURCES = EV_KIND_COUNT,
	FAM_PROGRAM_EVENTS,
	FAM_LOST,
	FAM_MAP_ENTRIES,
	FAM_ATTACHED,
	FAM_LOAD_FAILURES,
	FAM_COUNT
};

static const struct expo_desc fams[FAM_COUNT] = {
	[EV_OPENED] = {"netstat_tcp_connections_opened", EXPO_COUNTER,
		"TCP connections established: inbound (SYN_RECV to ESTABLISHED) by local port, outbound (SYN_SENT to ESTABLISHED) by remote port."},
	[EV_CONNECT_FAILED] = {"netstat_tcp_connect_failures", EXPO_COUNTER,
		"TCP connects that failed (SYN_SENT to CLOSE), by remote port."},
	[EV_RST_SENT] = {"netstat_tcp_resets_sent", EXPO_COUNTER,
		"TCP resets sent, by local port and the kernel's reason (enum sk_rst_reason)."},
	[EV_RST_RECEIVED] = {"netstat_tcp_resets_received", EXPO_COUNTER,
		"TCP resets received on a connection, by direction and port."},
	[EV_CLOSED_PORT_SYN] = {"netstat_tcp_closed_port_syns", EXPO_COUNTER,
		"SYNs to a port nothing listens on (answered with a reset): the port scan signal."},
	[EV_SYN_RECEIVED] = {"netstat_tcp_syns_received", EXPO_COUNTER,
		"SYNs that reached a listener, answered from a request socket or with a syncookie, by port."},
	[EV_SYNCOOKIE_SENT] = {"netstat_tcp_syncookies_sent", EXPO_COUNTER,
		"SYNs answered with a syncookie, by listening port (see docs/events.md)."},
	[EV_RETRANSMIT] = {"netstat_tcp_retransmitted_segments", EXPO_COUNTER,
		"TCP segments retransmitted, by direction and port."},
	[EV_SYNACK_RETRANSMIT] = {"netstat_tcp_synack_retransmits", EXPO_COUNTER,
		"SYN-ACKs retransmitted, by listening port."},
	[EV_TCP_DROP] = {"netstat_tcp_drops", EXPO_COUNTER,
		"TCP packets the kernel dropped, by destination port and the kernel's reason (enum skb_drop_reason)."},
	[EV_UDP_DROP] = {"netstat_udp_drops", EXPO_COUNTER,
		"UDP packets the kernel dropped, by destination port and the kernel's reason (enum skb_drop_reason)."},
	[FAM_SCAN_SOURCES] = {"netstat_tcp_scan_sources", EXPO_GAUGE,
		"SYNs to closed ports since the previous scrape from the top sources."},
	[FAM_PROGRAM_EVENTS] = {"netstat_events_program_events", EXPO_COUNTER,
		"Events counted by each BPF program of the events collector."},
	[FAM_LOST] = {"netstat_events_lost", EXPO_COUNTER,
		"Events not counted: a full kernel map or a run the kernel skipped (by program), or a full series table (program=\"exporter\")."},
	[FAM_MAP_ENTRIES] = {"netstat_events_map_entries", EXPO_GAUGE,
		"Entries in the events collector's kernel maps at the last read."},
	[FAM_ATTACHED] = {"netstat_events_program_attached", EXPO_GAUGE,
		"Whether each BPF program of the events collector is attached (1) or missing on this kernel (0)."},
	[FAM_LOAD_FAILURES] = {"netstat_events_load_failures", EXPO_COUNTER,
		"Failures to load the event layer at start, by reason (no_btf, no_privileges, load, attach, not_built)."},
};

static const char *const dir_names[] = {"inbound", "outbound"};

struct events_state {
	const char *fail;             /* load failure reason, or NULL */
	struct events_series *series;
	unsigned scan_k;
	uint32_t own_ns;              /* the exporter's own namespace (no netns label); 0: unknown */
	double forget_after;          /* seconds */
	uint32_t *seen;               /* namespaces alive this scrape */
	size_t seen_cap;
	struct geoip *geo;            /* owned; NULL without --geoip.database */
#ifdef NETSTAT_HAVE_EVENTS
	struct events_loader *l;
	struct events_count *counts;
	size_t ncounts, counts_cap;
	struct events_source *src;
	size_t nsrc, src_cap;
#endif
};

static void events_fini(void *state)
{
	struct events_state *st = state;

	if (st == NULL)
		return;
#ifdef NETSTAT_HAVE_EVENTS
	events_live_publish(NULL);
	events_loader_free(st->l);
	free(st->counts);
	free(st->src);
#endif
	events_series_free(st->series);
	free(st->seen);
	geoip_free(st->geo);
	free(st);
}

static int add_ports(const char *value, void *arg)
{
	return cli_parse_port_list(value, arg);
}

static int get_uint(const struct config *cfg, enum flag f, unsigned hi, unsigned *out,
		    struct strbuf *err)
{
	const char *v = collector_flag_value(cfg, &flags[f]);
	unsigned long long n;

	if (cli_parse_uint(v, 0, hi, &n) == 0) {
		*out = (unsigned)n;
		return 0;
	}
	sb_printf(err, "invalid value \"%s\" for --%s: want an integer from 0 to %u", v,
		  flags[f].name, hi);
	return -EINVAL;
}

static int events_init(void **state, const struct config *cfg, struct strbuf *err)
{
	struct events_state *st = calloc(1, sizeof(*st));
	uint64_t allow[65536 / 64] = {0};
	unsigned top = 0;
	int rc = 0;

	*state = st;
	if (st == NULL)
		return -ENOMEM;
	rc = config_each(cfg, flags[FLAG_PORTS].name, add_ports, allow);
	if (rc < 0) {
		sb_printf(err, "invalid value for --%s: want PORT[,PORT...] (1-65535)",
			  flags[FLAG_PORTS].name);
		goto out;
	}
	rc = get_uint(cfg, FLAG_TOP_PORTS, 1000, &top, err);
	if (rc == 0)
		rc = get_uint(cfg, FLAG_SCAN_SOURCES, 1000, &st->scan_k, err);
	if (rc < 0)
		goto out;
	rc = collector_flag_duration(cfg, &flags[FLAG_FORGET_AFTER], &st->forget_after, err);
	if (rc < 0)
		goto out;
	/* The exporter's own namespace, whatever --path.procfs is: its series
	 * carry no netns label, as every other collector's. */
	{
		struct stat sb;

		if (stat("/proc/self/ns/net", &sb) == 0 && sb.st_ino <= UINT32_MAX)
			st->own_ns = (uint32_t)sb.st_ino;
	}
	if (cfg->geoip_database && st->scan_k) {
		rc = geoip_open(cfg->geoip_database, cfg->geoip_asn_database, &st->geo, err);
		if (rc < 0)
			goto out;
	}
	st->series = events_series_new(allow, top);
	if (st->series == NULL) {
		rc = -ENOMEM;
		goto out;
	}
#ifdef NETSTAT_HAVE_EVENTS
	{
		struct events_options o = {st->scan_k > 0, collector_flag_value(cfg, &flags[FLAG_CGROUP]),
					   collector_flag_bool(cfg, &flags[FLAG_LIVE_STATES])};
		struct strbuf why, lacks;
		enum events_fail f;

		sb_init(&why);
		sb_init(&lacks);
		rc = events_loader_open(&o, &st->l, &f, &why, &lacks);
		if (rc == -ENOMEM)
			goto done;
		if (rc < 0) {
			st->fail = events_fail_names[f];
			log_msg(LOG_WARN, "events collector off: %s", why.buf ? why.buf : "unknown");
			rc = 0;
		} else if (lacks.len) {
			events_live_publish(st->l);
			log_msg(LOG_INFO, "events collector on, without what this kernel or process lacks: %s",
				lacks.buf);
		} else {
			events_live_publish(st->l);
			log_msg(LOG_INFO, "events collector on");
		}
done:
		sb_fini(&why);
		sb_fini(&lacks);
	}
#else
	st->fail = "not_built";
	log_msg(LOG_WARN, "events collector off: built without it (NETSTAT_EVENTS, needs libbpf, clang, bpftool)");
#endif
out:
	if (rc < 0) { /* the scrape does not fini a collector whose init failed */
		events_fini(st);
		*state = NULL;
	}
	return rc;
}

/* The label of a reason in the family of kind. */
static const char *reason_label(const struct events_state *st, const struct ev_key *k)
{
#ifdef NETSTAT_HAVE_EVENTS
	if (k->kind == EV_RST_SENT) {
		if (k->reason == EV_RST_NO_SOCKET_DROP)
			return "no_socket";
		if (k->reason == EV_RST_UNKNOWN || !events_loader_rst_has_reason(st->l))
			return "unknown";
		return events_reason_strip(
			events_reasons_name(events_loader_rst_reasons(st->l), k->reason), "tcp_");
	}
	return events_reason_strip(events_reasons_name(events_loader_drop_reasons(st->l), k->reason),
				   k->kind == EV_TCP_DROP ? "tcp_" : "udp_");
#else
	(void)st;
	(void)k;
	return "unknown";
#endif
}

/* The netns label of namespace ino in buf; 1 when it is the exporter's own,
 * which has none (the label is then left out: skip the first label). */
static size_t netns_label(const struct events_state *st, uint32_t ino, char *buf, size_t n)
{
	snprintf(buf, n, "%u", ino);
	return st->own_ns != 0 && ino == st->own_ns;
}

static void emit_series(struct events_state *st, struct expo *e)
{
	const struct events_serie *v;
	size_t n = events_series_list(st->series, &v);
	struct expo_family *f = NULL;
	int kind = -1;

	for (size_t i = 0; i < n; i++) {
		const struct ev_key *k = &v[i].key;
		char ns[16], port[8];
		const char *pl = port;
		struct expo_label l[3];
		size_t own;

		if (k->kind >= EV_KIND_COUNT)
			continue;
		if (k->kind != kind) {
			kind = k->kind;
			f = expo_family(e, fams[kind].name, fams[kind].type, fams[kind].help);
		}
		if (events_serie_other(&v[i]))
			pl = "other";
		else
			snprintf(port, sizeof(port), "%u", k->port);
		own = netns_label(st, k->netns, ns, sizeof(ns));
		l[0] = (struct expo_label){"netns", ns};
		switch (kind) {
		case EV_OPENED:
		case EV_RST_RECEIVED:
		case EV_RETRANSMIT:
			l[1] = (struct expo_label){"direction", dir_names[k->dir & 1]};
			l[2] = (struct expo_label){"port", pl};
			expo_add_u64(f, v[i].value, l + own, 3 - own);
			break;
		case EV_RST_SENT:
		case EV_TCP_DROP:
		case EV_UDP_DROP:
			l[1] = (struct expo_label){"port", pl};
			l[2] = (struct expo_label){"reason", reason_label(st, k)};
			expo_add_u64(f, v[i].value, l + own, 3 - own);
			break;
		default:
			l[1] = (struct expo_label){"port", pl};
			expo_add_u64(f, v[i].value, l + own, 2 - own);
			break;
		}
	}
}

#ifdef NETSTAT_HAVE_EVENTS
static int cmp_source(const void *a, const void *b)
{
	const struct events_source *x = a, *y = b;

	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

static void emit_sources(struct events_state *st, struct expo *e)
{
	struct expo_family *f;

	if (st->scan_k == 0)
		return;
	f = expo_family(e, fams[FAM_SCAN_SOURCES].name, fams[FAM_SCAN_SOURCES].type,
			fams[FAM_SCAN_SOURCES].help);
	if (st->nsrc > 1)
		qsort(st->src, st->nsrc, sizeof(*st->src), cmp_source);
	if (st->geo)
		geoip_refresh(st->geo);
	for (size_t i = 0; i < st->nsrc && i < st->scan_k; i++) {
		const struct ev_src_key *k = &st->src[i].key;
		uint8_t fam = k->family == 6 ? AF_INET6 : AF_INET;
		char ns[16], addr[INET6_ADDRSTRLEN], cc[8], asn[16], org[128];
		uint64_t v = st->src[i].value;
		size_t own = netns_label(st, k->netns, ns, sizeof(ns)), n = 2;
		struct expo_label l[5] = {{"netns", ns}, {"address", addr}, {"country", cc},
					  {"asn", asn}, {"as_org", org}};

		if (!inet_ntop(fam, k->addr, addr, sizeof(addr)))
			continue;
		if (st->geo) {
			census_geo_labels(st->geo, fam, k->addr, cc, asn, org, sizeof(org));
			n = geoip_has_asn(st->geo) ? 5 : 3;
		}
		expo_add_u64(f, v, l + own, n - own);
	}
}

static void emit_self(struct events_state *st, struct expo *e)
{
	uint64_t seen[EV_PROG_COUNT], lost[EV_PROG_COUNT];
	struct expo_family *f;

	events_loader_stats(st->l, seen, lost);
	f = expo_family(e, fams[FAM_PROGRAM_EVENTS].name, fams[FAM_PROGRAM_EVENTS].type,
			fams[FAM_PROGRAM_EVENTS].help);
	for (int p = 0; p < EV_PROG_COUNT; p++)
		if (events_loader_attached(st->l, p))
			expo_add_u64(f, seen[p], EXPO_LABELS({"program", events_prog_names[p]}));
	f = expo_family(e, fams[FAM_LOST].name, fams[FAM_LOST].type, fams[FAM_LOST].help);
	for (int p = 0; p < EV_PROG_COUNT; p++)
		if (events_loader_attached(st->l, p))
			expo_add_u64(f, lost[p], EXPO_LABELS({"program", events_prog_names[p]}));
	expo_add_u64(f, events_series_dropped(st->series), EXPO_LABELS({"program", "exporter"}));
	f = expo_family(e, fams[FAM_MAP_ENTRIES].name, fams[FAM_MAP_ENTRIES].type,
			fams[FAM_MAP_ENTRIES].help);
	expo_add_u64(f, st->ncounts, EXPO_LABELS({"map", "counts"}));
	expo_add_u64(f, st->nsrc, EXPO_LABELS({"map", "sources"}));
	f = expo_family(e, fams[FAM_ATTACHED].name, fams[FAM_ATTACHED].type, fams[FAM_ATTACHED].help);
	for (int p = 0; p < EV_PROG_COUNT; p++)
		expo_add_u64(f, events_loader_attached(st->l, p), EXPO_LABELS({"program", events_prog_names[p]}));
}
#endif

#ifdef NETSTAT_HAVE_EVENTS
/* Drops the series of namespaces gone: those the netns collector's table
 * (netns/share) no longer has. Without that collector, nothing is dropped. */
static int forget_gone(struct events_state *st)
{
	const struct netns_table *t;
	double budget;
	size_t n = 0;
	int rc = 0;

	t = netns_share_begin(&budget);
	if (t == NULL)
		return 0;
	if (t->len + 1 > st->seen_cap) {
		size_t cap = 2 * (t->len + 1);
		uint32_t *v = realloc(st->seen, cap * sizeof(*v));

		if (v == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		st->seen = v;
		st->seen_cap = cap;
	}
	for (size_t i = 0; i < t->len; i++)
		if (t->v[i]->ino <= UINT32_MAX)
			st->seen[n++] = (uint32_t)t->v[i]->ino;
out:
	netns_share_end();
	if (rc == 0) {
		st->seen[n++] = st->own_ns;
		rc = events_series_forget(st->series, st->seen, n, util_mono_now(), st->forget_after);
	}
	return rc < 0 ? rc : 0;
}
#endif

static int events_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	struct events_state *st = state;
	int rc = 0;

	(void)ctx;
	if (st->fail) {
		struct expo_family *f = expo_family(e, fams[FAM_LOAD_FAILURES].name,
						    fams[FAM_LOAD_FAILURES].type,
						    fams[FAM_LOAD_FAILURES].help);

		expo_add_u64(f, 1, EXPO_LABELS({"reason", st->fail}));
		return expo_error(e);
	}
#ifdef NETSTAT_HAVE_EVENTS
	rc = events_loader_counts(st->l, &st->counts, &st->ncounts, &st->counts_cap);
	if (rc == 0)
		rc = events_series_update(st->series, st->counts, st->ncounts);
	if (rc == 0)
		rc = forget_gone(st);
	if (rc == 0 && st->scan_k)
		rc = events_loader_take_sources(st->l, &st->src, &st->nsrc, &st->src_cap);
	if (rc < 0) {
		log_msg(LOG_WARN, "events: cannot read the kernel maps: %s", strerror(-rc));
		goto out;
	}
	emit_series(st, e);
	emit_sources(st, e);
	emit_self(st, e);
	rc = expo_error(e);
out:
#else
	emit_series(st, e);
#endif
	return rc;
}

static bool events_owns(const char *family)
{
	for (int f = 0; f < FAM_COUNT; f++)
		if (strcmp(family, fams[f].name) == 0)
			return true;
	return false;
}

const struct collector_ops events_collector = {
	.name = "events",
	.help = "TCP and UDP events between scrapes from BPF programs: resets, drops, retransmissions, SYNs, syncookies and port scans per namespace and port (see docs/events.md).",
	.default_enabled = true,
	.flags = flags,
	.init = events_init,
	.collect = events_collect,
	.fini = events_fini,
	.owns = events_owns,
};
