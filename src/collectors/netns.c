/* collectors/netns: per-network-namespace socket census, counters and
 * attribution, labelled with the namespace's identity. See docs/netns.md.
 *
 * Flags, metric tables and collect(); the work is elsewhere: netns/table
 * keeps the namespaces and their handles, netns/pass runs each scrape's
 * dumps and counter reads over the threads (netns/schedule choosing the full
 * censuses). As the socket stream's provider of other namespaces
 * (collector.h), the pass's sockets go to the stream's consumers. The
 * largest namespaces (by sockets) get their own series, the rest are summed
 * under netns="other". */
#include "collectors/netns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/live.h"
#include "log.h"
#include "netns/census.h"
#include "netns/pass.h"
#include "netns/share.h"
#include "netns/table.h"
#include "owners/tally.h"
#include "procfs/snmp_name.h"
#include "util/clock.h"
#include "util/numbers.h"

#define FLAG_PODS_ROOT "collector.netns.pods-root"
#define FLAG_DOCKER_ROOT "collector.netns.docker-root"
#define FLAG_PODMAN_ROOT "collector.netns.podman-root"
#define FLAG_NERDCTL_ROOT "collector.netns.nerdctl-root"
#define FLAG_RUN_DIR "collector.netns.run-dir"
#define FLAG_MAX "collector.netns.max-namespaces"
#define FLAG_LISTEN_PORTS "collector.netns.max-listen-ports"
#define FLAG_BUDGET "collector.netns.census-budget"
#define FLAG_INTERVAL "collector.netns.census-interval"
#define FLAG_THREADS "collector.netns.threads"

#define DEF_MAX "100"
#define DEF_LISTEN_PORTS "20"
#define DEF_BUDGET "250ms"
#define DEF_INTERVAL "5m"
#define DEF_THREADS "2"
#define DEF_RUN_DIR "/run/netns"

static const struct collector_flag flags[] = {
	{FLAG_PODS_ROOT, "DIR", NETNS_PODS_ROOT_DEFAULT,
	 "The kubelet's pod log directory: pod name and namespace from its <namespace>_<pod>_<uid> entries (\"\": off).", false},
	{FLAG_DOCKER_ROOT, "DIR", NETNS_DOCKER_ROOT_DEFAULT,
	 "Docker's container directory: container names from <id>/config.v2.json (\"\": off).", false},
	{FLAG_PODMAN_ROOT, "DIR", NETNS_PODMAN_ROOT_DEFAULT,
	 "containers/storage's graph root (Podman, CRI-O): container names from its *-containers/containers.json (\"\": off).", false},
	{FLAG_NERDCTL_ROOT, "DIR", NETNS_NERDCTL_ROOT_DEFAULT,
	 "nerdctl's data root: container names from its name store <hash>/names/<namespace>/<name> (\"\": off).", false},
	{FLAG_RUN_DIR, "DIR", DEF_RUN_DIR,
	 "Named network namespaces (ip netns add) are bind mounts in this directory (\"\": none).", false},
	{FLAG_MAX, "N", DEF_MAX,
	 "Namespaces with their own series, largest by socket count first; the rest are summed under netns=\"other\".", false},
	{FLAG_LISTEN_PORTS, "N", DEF_LISTEN_PORTS,
	 "Listening ports per namespace (lowest first) with their own series; the rest are port=\"other\".", false},
	{FLAG_BUDGET, "DURATION", DEF_BUDGET,
	 "Time per scrape for full censuses of namespaces that share the host's TCP hash table (e.g. 250ms); the oldest is made every scrape regardless.", false},
	{FLAG_INTERVAL, "DURATION", DEF_INTERVAL,
	 "A namespace's full census older than this is stale: its state series are left out (its age stays).", false},
	{FLAG_THREADS, "N", DEF_THREADS,
	 "Threads sharing the per-namespace dumps (1-4).", false},
	{NULL, NULL, NULL, NULL, false},
};

#define MAX_THREADS 4
_Static_assert(TALLY_MAX_WORKERS >= MAX_THREADS, "tally takes every netns thread");
_Static_assert(NETNS_PASS_MAX_THREADS >= MAX_THREADS, "the pass takes every netns thread");


/* The counters alerts need (the rest are one `nsenter -n nstat` away). */
static const struct netns_counter counters[] = {
	{"Tcp", "RetransSegs"},     {"Tcp", "OutRsts"},
	{"Tcp", "EstabResets"},     {"Tcp", "AttemptFails"},
	{"TcpExt", "ListenOverflows"}, {"TcpExt", "ListenDrops"},
	{"TcpExt", "SyncookiesSent"}, {"TcpExt", "TCPTimeouts"},
	{"Tcp", "CurrEstab"}, /* a gauge */
};
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

struct netns_state {
	unsigned max_ns, max_listen_ports, threads;
	char *counter_names[NCOUNTERS]; /* owned: netstat_netns_..., without _total */

	struct netns_table table;  /* entries' data: struct netns_data */
	struct netns_pass pass;

	/* one scrape's */
	int procfs_fd;
	struct stream_out *out;        /* during netns_provide() */
	bool ran;                      /* netns_provide() completed */
	bool shared;                   /* the table is lent to the explorer (netns/share) */
	double scrape_start;           /* clock seconds */
};

#define D(e) NETNS_DATA(e)

/* The pass's sockets go to the stream's consumers. */
static void pass_begin(void *arg, unsigned nworkers)
{
	struct netns_state *s = arg;

	stream_begin(s->out, nworkers);
}

static void pass_sock(void *arg, unsigned worker, const struct diag_sock *sk, uint64_t netns)
{
	struct netns_state *s = arg;

	stream_add(s->out, worker, sk, netns);
}

static void netns_fini(void *state)
{
	struct netns_state *s = state;

	if (s == NULL)
		return;
	if (s->shared)
		netns_share_set(NULL, 0);
	netns_table_fini(&s->table);
	netns_pass_fini(&s->pass);
	for (size_t i = 0; i < NCOUNTERS; i++)
		free(s->counter_names[i]);
	free(s);
}

/* ---- flags ---- */

static int get_uint(const struct config *cfg, const char *name, const char *def,
		    unsigned lo, unsigned hi, unsigned *out, struct strbuf *err)
{
	const char *v = config_get(cfg, name, def);
	uint64_t n;

	if (v != NULL && num_parse_u64(v, strlen(v), &n) == 0 && n >= lo && n <= hi) {
		*out = (unsigned)n;
		return 0;
	}
	sb_printf(err, "invalid value \"%s\" for --%s: want an integer from %u to %u", v, name, lo, hi);
	return -EINVAL;
}

/* A DURATION flag of the table (collector_flag_duration()). */
static int get_duration(const struct config *cfg, const char *name, const char *def,
			double *out, struct strbuf *err)
{
	const struct collector_flag f = {name, "DURATION", def, NULL, false};

	return collector_flag_duration(cfg, &f, out, err);
}

/* "" turns a directory off. */
static const char *get_dir(const struct config *cfg, const char *name, const char *def)
{
	const char *v = config_get(cfg, name, def);

	return v[0] ? v : NULL;
}

static int netns_init(void **state, const struct config *cfg, struct strbuf *err)
{
	struct netns_state *s = calloc(1, sizeof(*s));
	struct netns_table_opts topts = {
		.data_size = sizeof(struct netns_data),
		.data_init = netns_data_init,
		.data_fini = netns_data_fini,
		.clock = util_mono_now,
	};
	double budget, interval;
	struct strbuf name;
	int ret = 0;

	sb_init(&name);
	if (s == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	topts.procfs = cfg->procfs;
	topts.id.pods_root = config_get(cfg, FLAG_PODS_ROOT, NETNS_PODS_ROOT_DEFAULT);
	topts.id.docker_root = config_get(cfg, FLAG_DOCKER_ROOT, NETNS_DOCKER_ROOT_DEFAULT);
	topts.id.podman_root = config_get(cfg, FLAG_PODMAN_ROOT, NETNS_PODMAN_ROOT_DEFAULT);
	topts.id.nerdctl_root = config_get(cfg, FLAG_NERDCTL_ROOT, NETNS_NERDCTL_ROOT_DEFAULT);
	topts.run_dir = get_dir(cfg, FLAG_RUN_DIR, DEF_RUN_DIR);
	netns_table_init(&s->table, &topts);
	if ((ret = get_uint(cfg, FLAG_MAX, DEF_MAX, 0, 100000, &s->max_ns, err)) < 0 ||
	    (ret = get_uint(cfg, FLAG_LISTEN_PORTS, DEF_LISTEN_PORTS, 0, 65536, &s->max_listen_ports, err)) < 0 ||
	    (ret = get_uint(cfg, FLAG_THREADS, DEF_THREADS, 1, MAX_THREADS, &s->threads, err)) < 0 ||
	    (ret = get_duration(cfg, FLAG_BUDGET, DEF_BUDGET, &budget, err)) < 0 ||
	    (ret = get_duration(cfg, FLAG_INTERVAL, DEF_INTERVAL, &interval, err)) < 0)
		goto out;
	ret = netns_table_sees_others(cfg->procfs);
	if (ret < 0) {
		log_msg(LOG_INFO, "netns collector off: the exporter sees no other network namespace "
			"(it needs the host's PID namespace, e.g. hostPID: true)");
		ret = COLLECTOR_INACTIVE;
		goto out;
	}
	for (size_t i = 0; i < NCOUNTERS; i++) {
		sb_reset(&name);
		snmp_name_metric(counters[i].proto, strlen(counters[i].proto), counters[i].field,
				 strlen(counters[i].field), &name);
		/* netstat_tcp_... -> netstat_netns_tcp_... */
		if (name.err || name.len < 8) {
			ret = -ENOMEM;
			goto out;
		}
		if (asprintf(&s->counter_names[i], "netstat_netns_%s", name.buf + 8) < 0) {
			s->counter_names[i] = NULL;
			ret = -ENOMEM;
			goto out;
		}
	}
	ret = netns_pass_init(&s->pass, s->threads, counters, NCOUNTERS, util_mono_now, budget,
			      interval);
	if (ret < 0)
		goto out;
	s->pass.begin = pass_begin;
	s->pass.on_sock = pass_sock;
	s->pass.arg = s;
	netns_table_raise_fd_limit();
	netns_share_set(&s->table, budget);
	s->shared = true;
	*state = s;
	s = NULL;
out:
	sb_fini(&name);
	netns_fini(s);
	return ret;
}

/* ---- the two tiers, spread over the dump threads ---- */

/* ---- emission ---- */

static uint64_t sockets_of(const struct netns_data *d)
{
	uint64_t sum = 0;

	if (d->has_census) {
		for (int f = 0; f < 2; f++) {
			for (int st = 0; st < DIAG_TCP_STATE_COUNT; st++)
				sum += st == DIAG_TCP_LISTEN ? 0 : d->census.tcp[f][st];
			sum += d->census.udp[f][0] + d->census.udp[f][1];
		}
	} else if (d->has_ss) {
		sum = d->ss[NETNS_SS_TCP_INUSE4] + d->ss[NETNS_SS_TCP_INUSE6] + d->ss[NETNS_SS_TCP_TW] +
		      d->ss[NETNS_SS_UDP_INUSE4] + d->ss[NETNS_SS_UDP_INUSE6];
	}
	return sum + d->lis.tcp[0] + d->lis.tcp[1];
}

static int cmp_rank(const void *a, const void *b)
{
	const struct netns_entry *x = *(struct netns_entry *const *)a, *y = *(struct netns_entry *const *)b;

	if (D(x)->rank != D(y)->rank)
		return D(x)->rank > D(y)->rank ? -1 : 1;
	return (x->ino > y->ino) - (x->ino < y->ino);
}

static int cmp_ino(const void *a, const void *b)
{
	const struct netns_entry *x = *(struct netns_entry *const *)a, *y = *(struct netns_entry *const *)b;

	return (x->ino > y->ino) - (x->ino < y->ino);
}

/* Whether d's census may be served as current (netns/schedule.h): a stale
 * one is not (its state series are left out; its age stays). */
static bool fresh(const struct netns_state *s, const struct netns_data *d, double now)
{
	return d->has_census && netns_census_fresh(d->census_time, now, s->pass.sched.interval);
}


/* The live count of (family, kernel state): the kernel's, reconciled with
 * the last census that saw it hold still. */
static uint64_t live_value(const struct netns_data *d, int f, int k)
{
	int64_t v = d->live.n[f][k] + d->live_offset[f][k];

	return v > 0 ? (uint64_t)v : 0;
}

/* What d's TCP state series say this scrape. With live counts, current:
 * the full sockets' states they keep; time_wait from this scrape's
 * sockstat (netns_live_time_wait()); fin_wait2 with the orphans the last
 * census saw (timewait sockets, no state events either). syn_recv from this
 * scrape's queues walk, with the events layer on. listen from this scrape's
 * listeners. The rest from a fresh census; nothing from a stale one. */
static void serve(struct netns_data *d, bool census_fresh)
{
	bool live = d->has_live && events_live_trusted();
	bool live_tw = live && d->has_census && d->has_ss;
	uint64_t tw[2], orphans[2] = {0, 0};

	d->served_mask = 0;
	d->served_live = live;
	if (live_tw)
		netns_live_time_wait(&d->census, d->ss[NETNS_SS_TCP_TW], d->ss[NETNS_SS_TCP_INUSE4],
				     d->ss[NETNS_SS_TCP_INUSE6], tw, orphans);
	else if (d->has_census)
		memcpy(orphans, d->census.tw_fin_wait2, sizeof(orphans));
	for (int f = 0; f < 2; f++)
		for (int st = 0; st < DIAG_TCP_STATE_COUNT; st++) {
			bool kept = live && EV_LIVE_KEPT(st + 1); /* kernel state: st + 1 */

			if (st == DIAG_TCP_LISTEN && d->has_lis)
				d->served[f][st] = d->lis.tcp[f];
			else if (st == DIAG_TCP_SYN_RECV && d->has_syn_recv)
				d->served[f][st] = d->syn_recv[f];
			else if (st == DIAG_TCP_TIME_WAIT && live_tw)
				d->served[f][st] = tw[f];
			else if (kept)
				d->served[f][st] = live_value(d, f, st + 1) +
						   (st == DIAG_TCP_FIN_WAIT2 ? orphans[f] : 0);
			else if (census_fresh)
				d->served[f][st] = d->census.tcp[f][st];
			else
				continue;
			d->served_mask |= 1u << st;
		}
}

/* Adds src into the netns="other" sum (its census only when fresh). */
static int add_other(struct netns_data *o, const struct netns_data *d, bool census)
{
	for (int f = 0; f < 2; f++)
		for (int st = 0; st < DIAG_TCP_STATE_COUNT; st++)
			if (d->served_mask & (1u << st))
				o->served[f][st] += d->served[f][st];
	o->served_mask |= d->served_mask;
	if (d->has_lis) {
		if (netns_listeners_merge(&o->lis, &d->lis) < 0)
			return -ENOMEM;
		o->has_lis = true;
	}
	if (census) {
		for (int f = 0; f < 2; f++) {
			for (int st = 0; st < DIAG_TCP_STATE_COUNT; st++)
				o->census.tcp[f][st] += d->census.tcp[f][st];
			o->census.udp[f][0] += d->census.udp[f][0];
			o->census.udp[f][1] += d->census.udp[f][1];
		}
		o->has_census = true;
	}
	if (d->has_ctr) {
		for (size_t c = 0; c < NCOUNTERS; c++)
			o->ctr[c] += d->ctr[c];
		o->has_ctr = true;
	}
	if (d->has_ss) {
		for (int r = 0; r < NETNS_SS_COUNT; r++)
			o->ss[r] += d->ss[r];
		o->has_ss = true;
	}
	if (d->has_eph && (!o->has_eph || d->eph_ratio > o->eph_ratio)) {
		o->eph_ratio = d->eph_ratio;
		o->has_eph = true;
	}
	return 0;
}

enum fam {
	F_INFO = 0,
	F_TCP,
	F_UDP,
	F_QUEUE,
	F_BACKLOG,
	F_EPH,
	F_AGE,
	F_EHASH,
	F_MAX_TW,
	F_INTERVAL,
	F_SS_TCP_INUSE,
	F_SS_TCP_TW,
	F_SS_UDP_INUSE,
	F_DRIFT,
	F_LIVE,
	F_COUNT
};

/* The families, next to the collector that emits them. */
static const struct expo_desc fams[F_COUNT] = {
	[F_INFO] = {"netstat_netns", EXPO_INFO,
		"Identity of a network namespace: Kubernetes pod, container, systemd unit, comm of its oldest process."},
	[F_TCP] = {"netstat_netns_tcp_sockets", EXPO_GAUGE,
		"TCP sockets of a network namespace by address family and state: current where the events "
		"collector keeps them live (netstat_netns_live_states), else as of the last full census "
		"(netstat_netns_census_age_seconds); listen is current."},
	[F_UDP] = {"netstat_netns_udp_sockets", EXPO_GAUGE,
		"UDP sockets of a network namespace by address family; connected ones have a remote port."},
	[F_QUEUE] = {"netstat_netns_tcp_listen_queue_length", EXPO_GAUGE,
		"Connections waiting in the accept queues of a port's listeners in a network namespace."},
	[F_BACKLOG] = {"netstat_netns_tcp_listen_backlog", EXPO_GAUGE,
		"Configured accept backlog summed over a port's listeners in a network namespace."},
	[F_EPH] = {"netstat_netns_tcp_ephemeral_ports_max_used_ratio", EXPO_GAUGE,
		"Most outbound TCP sockets sharing one local address, remote address and port, over the width "
		"of the namespace's own net.ipv4.ip_local_port_range."},
	[F_AGE] = {"netstat_netns_census_age_seconds", EXPO_GAUGE,
		"Age of a network namespace's full socket census (TCP states, UDP, ephemeral ports): 0 when "
		"made in this scrape; older when the namespace shares the host's TCP hash table and waits its turn. "
		"Past netstat_netns_census_interval_seconds the census is stale and its series are left out."},
	[F_INTERVAL] = {"netstat_netns_census_interval_seconds", EXPO_GAUGE,
		"--collector.netns.census-interval: a census older than this is stale, its state series are not served."},
	[F_EHASH] = {"netstat_netns_tcp_ehash_entries", EXPO_GAUGE,
		"net.ipv4.tcp_ehash_entries of a network namespace: negative when it shares the host's "
		"established hash table (every dump then walks all of the node's sockets)."},
	[F_MAX_TW] = {"netstat_netns_tcp_max_tw_buckets", EXPO_GAUGE,
		"net.ipv4.tcp_max_tw_buckets of a network namespace: the most timewait sockets it keeps "
		"(netstat_netns_sockstat_tcp_tw); past it the kernel destroys them at once (TCPTimeWaitOverflow)."},
	[F_SS_TCP_INUSE] = {"netstat_netns_sockstat_tcp_inuse", EXPO_GAUGE,
		"TCP sockets in use in a network namespace, by address family (sockstat)."},
	[F_SS_TCP_TW] = {"netstat_netns_sockstat_tcp_tw", EXPO_GAUGE,
		"TCP sockets in TIME_WAIT in a network namespace (sockstat)."},
	[F_SS_UDP_INUSE] = {"netstat_netns_sockstat_udp_inuse", EXPO_GAUGE,
		"UDP sockets in use in a network namespace, by address family (sockstat)."},
	[F_DRIFT] = {"netstat_events_state_drift_sockets", EXPO_GAUGE,
		"Sockets a network namespace's live TCP state counts (events collector) and its last full census "
		"that saw them hold still disagree on; 0 when the live counts are exact."},
	[F_LIVE] = {"netstat_netns_live_states", EXPO_GAUGE,
		"1 when a network namespace's TCP state series are kept live by the events collector (current "
		"every scrape, whatever the census's age)."},
};

static const char *const family_names[2] = {"ipv4", "ipv6"};

struct emit_ctx {
	struct netns_state *s;
	struct expo_family *f[F_COUNT];
	struct expo_family *ctr[NCOUNTERS];
	double now;
};

/* The labels every family carries, then up to two of its own. */
struct labels {
	struct expo_label l[6];
};

static size_t with(struct labels *L, const struct expo_label *extra, size_t n)
{
	for (size_t i = 0; i < n; i++)
		L->l[4 + i] = extra[i];
	return 4 + n;
}

static void emit_listeners(struct emit_ctx *c, struct labels *L, const struct netns_listeners *lis)
{
	struct netns_listener other = {0};
	bool any_other = false;
	char port[8];

	for (size_t i = 0; i < lis->len; i++) {
		const struct netns_listener *l = &lis->v[i];
		if (i >= c->s->max_listen_ports) {
			other.queue += l->queue;
			other.backlog += l->backlog;
			any_other = true;
			continue;
		}
		snprintf(port, sizeof(port), "%u", l->port);
		expo_add_u64(c->f[F_QUEUE], l->queue, L->l, with(L, EXPO_LABELS({"port", port})));
		expo_add_u64(c->f[F_BACKLOG], l->backlog, L->l, with(L, EXPO_LABELS({"port", port})));
	}
	if (any_other) {
		expo_add_u64(c->f[F_QUEUE], other.queue, L->l, with(L, EXPO_LABELS({"port", "other"})));
		expo_add_u64(c->f[F_BACKLOG], other.backlog, L->l, with(L, EXPO_LABELS({"port", "other"})));
	}
}

/* One namespace's series; n is NULL for netns="other" (whose census, summed
 * from fresh ones only, is current). */
static void emit_ns(struct emit_ctx *c, const struct netns_entry *n, const struct netns_data *d)
{
	bool cur = n == NULL ? d->has_census : fresh(c->s, d, c->now);

	struct labels L = {{
		{"netns", n ? n->label : "other"},
		{"namespace", n ? n->id.namespace_ : ""},
		{"pod", n ? n->id.pod : ""},
		{"container", n ? n->id.container : ""},
	}};

	if (n != NULL)
		expo_add_u64(c->f[F_INFO], 1, EXPO_LABELS({"netns", n->label}, {"namespace", n->id.namespace_},
							    {"pod", n->id.pod}, {"pod_uid", n->id.pod_uid},
							    {"container", n->id.container}, {"unit", n->id.unit},
							    {"comm", n->id.comm}));
	for (int f = 0; f < 2; f++)
		for (int st = 0; st < DIAG_TCP_STATE_COUNT; st++)
			if (d->served_mask & (1u << st))
				expo_add_u64(c->f[F_TCP], d->served[f][st], L.l,
					     with(&L, EXPO_LABELS({"family", family_names[f]},
								  {"state", diag_tcp_state_name(st)})));
	if (cur) {
		for (int f = 0; f < 2; f++) {
			expo_add_u64(c->f[F_UDP], d->census.udp[f][1], L.l,
				     with(&L, EXPO_LABELS({"family", family_names[f]}, {"state", "connected"})));
			expo_add_u64(c->f[F_UDP], d->census.udp[f][0], L.l,
				     with(&L, EXPO_LABELS({"family", family_names[f]}, {"state", "unconnected"})));
		}
	}
	if (n != NULL && d->served_live)
		expo_add_u64(c->f[F_LIVE], 1, L.l, 4);
	if (n != NULL && d->has_drift)
		expo_add_u64(c->f[F_DRIFT], d->drift, EXPO_LABELS({"netns", n->label}));
	if (n != NULL && d->has_census)
		expo_add_f64(c->f[F_AGE], d->census_time >= c->now ? 0 : c->now - d->census_time, L.l, 4);
	if (d->has_lis)
		emit_listeners(c, &L, &d->lis);
	if (d->has_eph)
		expo_add_f64(c->f[F_EPH], d->eph_ratio, L.l, 4);
	if (n != NULL && n->h.ehash != 0)
		expo_add_i64(c->f[F_EHASH], n->h.ehash, L.l, 4);
	if (n != NULL && d->has_max_tw)
		expo_add_i64(c->f[F_MAX_TW], d->max_tw, L.l, 4);
	if (d->has_ss) {
		for (int f = 0; f < 2; f++) {
			expo_add_u64(c->f[F_SS_TCP_INUSE], d->ss[f ? NETNS_SS_TCP_INUSE6 : NETNS_SS_TCP_INUSE4], L.l,
				     with(&L, EXPO_LABELS({"family", family_names[f]})));
			expo_add_u64(c->f[F_SS_UDP_INUSE], d->ss[f ? NETNS_SS_UDP_INUSE6 : NETNS_SS_UDP_INUSE4], L.l,
				     with(&L, EXPO_LABELS({"family", family_names[f]})));
		}
		expo_add_u64(c->f[F_SS_TCP_TW], d->ss[NETNS_SS_TCP_TW], L.l, 4);
	}
	if (d->has_ctr)
		for (size_t k = 0; k < NCOUNTERS; k++)
			expo_add_u64(c->ctr[k], d->ctr[k], L.l, 4);
}

static void eph_ratio(struct netns_data *d, bool cur)
{
	d->has_eph = cur && d->range_lo >= 1 && d->range_hi >= d->range_lo;
	if (d->has_eph)
		d->eph_ratio = d->census.eph_max / (double)(d->range_hi - d->range_lo + 1);
}

static int emit(struct netns_state *s, struct expo *e)
{
	struct emit_ctx c = {.s = s, .now = s->scrape_start};
	struct netns_entry **order = NULL;
	struct netns_data other;
	size_t n = 0, own;
	bool any_other = false;
	int ret = 0;

	memset(&other, 0, sizeof(other));
	netns_listeners_init(&other.lis);
	order = malloc((s->table.len ? s->table.len : 1) * sizeof(*order));
	if (order == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s->table.len; i++) {
		struct netns_entry *ns = s->table.v[i];

		if (!netns_table_still_there(&s->table, s->procfs_fd, ns))
			continue; /* vanished during this scrape */
		eph_ratio(D(ns), fresh(s, D(ns), c.now));
		serve(D(ns), fresh(s, D(ns), c.now));
		D(ns)->rank = sockets_of(D(ns));
		order[n++] = ns;
	}
	qsort(order, n, sizeof(*order), cmp_rank);
	own = n < s->max_ns ? n : s->max_ns;
	for (size_t i = own; i < n; i++) {
		ret = add_other(&other, D(order[i]), fresh(s, D(order[i]), c.now));
		if (ret < 0)
			goto out;
		any_other = true;
	}
	netns_listeners_finish(&other.lis);
	qsort(order, own, sizeof(*order), cmp_ino);

	for (int f = 0; f < F_COUNT; f++)
		c.f[f] = expo_family(e, fams[f].name, fams[f].type, fams[f].help);
	for (size_t k = 0; k < NCOUNTERS; k++) {
		bool gauge = strcmp(counters[k].field, "CurrEstab") == 0;
		c.ctr[k] = expo_family(e, s->counter_names[k], gauge ? EXPO_GAUGE : EXPO_COUNTER,
				       gauge ? "Established TCP connections of a network namespace (Tcp CurrEstab)."
					     : "A netstat -s counter of a network namespace (see docs/netstat.md for the host's).");
	}
	expo_add_f64(c.f[F_INTERVAL], s->pass.sched.interval, EXPO_NOLABELS);
	for (size_t i = 0; i < own; i++)
		emit_ns(&c, order[i], D(order[i]));
	if (any_other)
		emit_ns(&c, NULL, &other);
	expo_add_u64(expo_family(e, "netstat_netns_namespaces", EXPO_GAUGE,
				 "Network namespaces seen besides the exporter's own (the largest get their own series)."),
		     n, EXPO_NOLABELS);
	ret = expo_error(e);
out:
	netns_data_fini(&other);
	free(order);
	return ret;
}

/* ---- the scrape ---- */

/* The whole scrape's work, before any collector's collect(): the sockets go
 * to the consumers of the stream (per-process attribution) as they stream. */
static int netns_provide(void *state, const struct collect_ctx *ctx, struct stream_out *out)
{
	struct netns_state *s = state;
	int ret;

	s->ran = false;
	s->scrape_start = util_mono_now();
	s->procfs_fd = ctx->procfs_fd;
	s->out = out;
	/* The explorer may be dumping through the handles: wait for it. */
	netns_share_enter();
	ret = netns_table_refresh(&s->table, ctx->procfs_fd);
	if (ret == 0)
		ret = netns_pass_run(&s->pass, &s->table, ctx->procfs_fd);
	netns_share_leave();
	if (ret < 0 && ret != -EINTR)
		goto out;
	if (ret == -EINTR)
		log_msg(LOG_WARN, "netns: a sock_diag dump came back inconsistent twice");
	s->ran = ret == 0;
out:
	s->out = NULL;
	return ret;
}

static int netns_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	struct netns_state *s = state;

	if (!s->ran)
		return -EAGAIN; /* not reached: the scrape fails us when the run failed */
	s->procfs_fd = ctx->procfs_fd;
	return emit(s, e);
}

/* Every name under netstat_netns (the counters' names are made at start). */
static bool netns_owns(const char *family)
{
	return strcmp(family, fams[F_INFO].name) == 0 || strcmp(family, fams[F_DRIFT].name) == 0 ||
	       strncmp(family, "netstat_netns_", 14) == 0;
}

static const struct collector_provider netns_provider = {
	.scope = STREAM_OTHER_NETNS,
	.run = netns_provide,
};

const struct collector_ops netns_collector = {
	.name = "netns",
	.help = "Per-network-namespace (pods, containers) socket census, counters and identity.",
	.default_enabled = true,
	.flags = flags,
	.init = netns_init,
	.collect = netns_collect,
	.fini = netns_fini,
	.owns = netns_owns,
	.provider = &netns_provider,
};
