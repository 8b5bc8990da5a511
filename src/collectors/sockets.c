/* collectors/sockets: the socket census collector, and the provider of the socket
 * stream (collector.h) that it and `processes` consume. Listeners are dumped
 * first (the census needs them to tell inbound from outbound), then the other
 * TCP states and UDP, spread over worker threads with one census each, merged
 * at the end. With two threads or more, each TCP dump is split in two halves
 * by a bytecode filter on the ports (sockdiag/bytecode.h), so the two halves of one
 * family's dump run at once. Each worker also fills a per-port health aggregate
 * (sockdiag/health.h: queues, UDP drops, and tcp_info with --collector.sockets.tcp-info,
 * which asks INET_DIAG_INFO on the TCP dumps). */
#include "collectors/sockets.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sockdiag/census.h"
#include "sockdiag/health.h"
#include "sockdiag/bytecode.h"
#include "log.h"
#include "procfs/reader.h"
#include "sockdiag/dump.h"
#include "geoip/geoip.h"
#include "procfs/sysctl.h"
#include "cli/flags.h"

enum flag {
	FLAG_PORTS = 0,
	FLAG_TOP_PORTS,
	FLAG_LISTEN_PORTS,
	FLAG_TOP_PEERS,
	FLAG_PEER_MIN,
	FLAG_THREADS,
	FLAG_TCP_INFO,
	FLAG_TOP_COUNTRIES,
	FLAG_COUNT
};

static const struct collector_flag flags[FLAG_COUNT + 1] = {
	[FLAG_PORTS] = {"collector.sockets.ports", "PORT[,PORT...]", NULL,
	 "Ports that always get their own per-port series (listeners too), even at zero.", true},
	[FLAG_TOP_PORTS] = {"collector.sockets.top-ports", "N", "10",
	 "Other ports per direction with their own series, by socket count (UDP: by drops); the rest are port=\"other\".", false},
	[FLAG_LISTEN_PORTS] = {"collector.sockets.max-listen-ports", "N", "100",
	 "Listening ports (lowest first, besides the allowlist) with their own series; the rest are port=\"other\".", false},
	[FLAG_TOP_PEERS] = {"collector.sockets.top-peers", "K", "5",
	 "Remote addresses listed per state in netstat_tcp_top_inbound_peer_sockets; 0 disables it.", false},
	[FLAG_PEER_MIN] = {"collector.sockets.peer-min-sockets", "M", "10",
	 "Inbound sockets an address must hold to be listed as a top peer.", false},
	[FLAG_THREADS] = {"collector.sockets.threads", "N", "2",
	 "Threads sharing the netlink dumps (1-4).", false},
	[FLAG_TCP_INFO] = {"collector.sockets.tcp-info", NULL, "false",
	 "Per-port RTT, retransmissions and bytes from tcp_info of established sockets, and RTT and retransmissions in /api/v1/connections rows (costs a scrape more, see docs/sockets.md).", false},
	[FLAG_TOP_COUNTRIES] = {"collector.sockets.top-countries", "N", "20",
	 "Countries per direction in netstat_tcp_peer_country_sockets (with --geoip.database); the rest are country=\"other\".", false},
	[FLAG_COUNT] = {NULL, NULL, NULL, NULL, false},
};

/* The families this collector emits (the census fills them). */
const struct expo_desc sockets_metrics[CENSUS_METRIC_COUNT] = {
	[CENSUS_METRIC_TCP_SOCKETS] = {"netstat_tcp_sockets", EXPO_GAUGE,
		"TCP sockets by address family and state; request sockets count as syn_recv."},
	[CENSUS_METRIC_UDP_SOCKETS] = {"netstat_udp_sockets", EXPO_GAUGE,
		"UDP sockets by address family; connected ones have a remote port."},
	[CENSUS_METRIC_UDP_RECEIVE_QUEUE_BYTES] = {"netstat_udp_receive_queue_bytes", EXPO_GAUGE,
		"Bytes waiting in the receive queues of all UDP sockets."},
	[CENSUS_METRIC_UDP_SEND_QUEUE_BYTES] = {"netstat_udp_send_queue_bytes", EXPO_GAUGE,
		"Bytes held in the send queues of all UDP sockets."},
	[CENSUS_METRIC_TCP_PORT_SOCKETS] = {"netstat_tcp_port_sockets", EXPO_GAUGE,
		"Non-listening TCP sockets by direction, port and state: inbound under the "
		"local port when it has a listener, else outbound under the remote port."},
	[CENSUS_METRIC_TCP_LISTENERS] = {"netstat_tcp_listeners", EXPO_GAUGE,
		"Listening TCP sockets per local port (SO_REUSEPORT siblings and families summed)."},
	[CENSUS_METRIC_TCP_LISTEN_QUEUE_LENGTH] = {"netstat_tcp_listen_queue_length", EXPO_GAUGE,
		"Connections waiting in the accept queues of a port's listeners."},
	[CENSUS_METRIC_TCP_LISTEN_BACKLOG] = {"netstat_tcp_listen_backlog", EXPO_GAUGE,
		"Configured accept backlog (listen() argument, capped by somaxconn) summed over a port's listeners."},
	[CENSUS_METRIC_TCP_PEER_SOCKETS] = {"netstat_tcp_peer_sockets", EXPO_GAUGE,
		"Non-listening TCP sockets by the remote address's scope and by direction."},
	[CENSUS_METRIC_TCP_TOP_INBOUND_PEER_SOCKETS] = {"netstat_tcp_top_inbound_peer_sockets", EXPO_GAUGE,
		"Inbound TCP sockets of the remote addresses holding the most, per state "
		"(the top K with at least the configured minimum)."},
	[CENSUS_METRIC_TCP_PEER_COUNTRY_SOCKETS] = {"netstat_tcp_peer_country_sockets", EXPO_GAUGE,
		"Established TCP sockets by direction and the remote address's country: the top "
		"countries by sockets, the rest as \"other\", private and loopback peers as \"\", "
		"public peers the database does not know as \"unknown\"."},
	[CENSUS_METRIC_TCP_EPHEMERAL_PORTS_MAX_USED] = {"netstat_tcp_ephemeral_ports_max_used", EXPO_GAUGE,
		"Most outbound TCP sockets (any state) sharing one local address, remote "
		"address and remote port: each needs its own local port."},
	[CENSUS_METRIC_TCP_EPHEMERAL_PORTS_MAX_USED_RATIO] = {"netstat_tcp_ephemeral_ports_max_used_ratio", EXPO_GAUGE,
		"netstat_tcp_ephemeral_ports_max_used over the width of "
		"net.ipv4.ip_local_port_range."},
	[CENSUS_METRIC_TCP_UNTRACKED_SOCKETS] = {"netstat_tcp_untracked_sockets", EXPO_GAUGE,
		"Sockets left out of a full address table (top peers, ephemeral tuples): "
		"when non-zero those families are lower bounds."},
};

/* The families this collector emits from the per-port health aggregate. */
const struct expo_desc sockets_health_metrics[HEALTH_METRIC_COUNT] = {
	[HEALTH_METRIC_TCP_PORT_RECEIVE_QUEUE_BYTES] = {"netstat_tcp_port_receive_queue_bytes", EXPO_GAUGE,
		"Bytes received but not yet read by the application (ss Recv-Q), summed over a port's "
		"non-listening TCP sockets, by direction."},
	[HEALTH_METRIC_TCP_PORT_SEND_QUEUE_BYTES] = {"netstat_tcp_port_send_queue_bytes", EXPO_GAUGE,
		"Bytes sent but not yet acknowledged by the peer, or not yet sent (ss Send-Q), summed "
		"over a port's non-listening TCP sockets, by direction."},
	[HEALTH_METRIC_TCP_PORT_RECEIVE_QUEUE_NONEMPTY_SOCKETS] = {"netstat_tcp_port_receive_queue_nonempty_sockets", EXPO_GAUGE,
		"Non-listening TCP sockets of a port with bytes waiting to be read, by direction."},
	[HEALTH_METRIC_TCP_PORT_RTT_SECONDS] = {"netstat_tcp_port_rtt_seconds", EXPO_GAUGEHISTOGRAM,
		"Smoothed round-trip time (tcpi_rtt, ss rtt:) of a port's established TCP sockets, "
		"by direction: how many sockets are in each bucket now."},
	[HEALTH_METRIC_TCP_PORT_RETRANSMITTING_SOCKETS] = {"netstat_tcp_port_retransmitting_sockets", EXPO_GAUGE,
		"Established TCP sockets of a port in loss recovery (tcpi_ca_state Recovery or Loss) or "
		"with retransmitted segments not yet acknowledged (tcpi_retrans, ss retrans:N/), by direction."},
	[HEALTH_METRIC_TCP_PORT_RETRANSMITTED_SEGMENTS] = {"netstat_tcp_port_retransmitted_segments", EXPO_GAUGE,
		"Segments retransmitted over their lifetime (tcpi_total_retrans, ss retrans:/N), summed "
		"over a port's established TCP sockets, by direction: a sum over live sockets, not a counter."},
	[HEALTH_METRIC_TCP_PORT_ACKED_BYTES] = {"netstat_tcp_port_acked_bytes", EXPO_GAUGE,
		"Bytes acknowledged by the peer (tcpi_bytes_acked, ss bytes_acked:), summed over a port's "
		"established TCP sockets, by direction: a sum over live sockets, not a counter."},
	[HEALTH_METRIC_TCP_PORT_RECEIVED_BYTES] = {"netstat_tcp_port_received_bytes", EXPO_GAUGE,
		"Bytes received (tcpi_bytes_received, ss bytes_received:), summed over a port's "
		"established TCP sockets, by direction: a sum over live sockets, not a counter."},
	[HEALTH_METRIC_UDP_PORT_RECEIVE_QUEUE_BYTES] = {"netstat_udp_port_receive_queue_bytes", EXPO_GAUGE,
		"Memory held by datagrams not yet read (ss Recv-Q) of the UDP sockets bound to a local port."},
	[HEALTH_METRIC_UDP_PORT_DROPPED_DATAGRAMS] = {"netstat_udp_port_dropped_datagrams", EXPO_GAUGE,
		"Datagrams dropped by the UDP sockets bound to a local port (SK_MEMINFO_DROPS, ss -m d), "
		"mostly for a full receive buffer: a sum over live sockets, not a counter."},
};

#define NCENSUS DIAG_DUMP_MAX_WORKERS

/* Owned by the collector, reused from scrape to scrape. */
struct sockets {
	struct census_opts opts;
	unsigned threads;
	struct diag_dump scan;
	struct census *census[NCENSUS]; /* one per worker; [0] gets the listeners and the merge */
	struct health *health[NCENSUS]; /* likewise, per-port queues, tcp_info and UDP drops */
	bool tcp_info;
	struct diag_bc half[2];         /* the split of the TCP dumps, rebuilt every scrape */
	int add_rc[NCENSUS];            /* a census or health add failure in this dump, per worker */
	uint64_t untracked_warned[CENSUS_TABLE_COUNT];
	struct geoip *geo;   /* owned; NULL without --geoip.database */
};

static void sockets_fini(void *state)
{
	struct sockets *s = state;

	if (s == NULL)
		return;
	diag_dump_fini(&s->scan);
	for (int i = 0; i < NCENSUS; i++) {
		census_free(s->census[i]);
		health_free(s->health[i]);
	}
	geoip_free(s->geo);
	free(s);
}

static int parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	unsigned long long n;

	if (cli_parse_uint(v, lo, hi, &n) < 0)
		return -EINVAL;
	*out = (unsigned)n;
	return 0;
}

static int add_ports(const char *value, void *arg)
{
	struct census_opts *o = arg;
	const char *p = value;
	int ret = 0;

	for (;;) {
		char buf[8];
		size_t len = strcspn(p, ",");
		unsigned port;

		if (len == 0 || len >= sizeof(buf)) {
			ret = -EINVAL;
			goto out;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		ret = parse_uint(buf, 1, 65535, &port);
		if (ret < 0)
			goto out;
		bitset_set(o->ports, port);
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
out:
	return ret;
}

/* One numeric option; writes the error line itself. */
static int get_uint(const struct config *cfg, enum flag f, unsigned lo, unsigned hi,
		    unsigned *out, struct strbuf *err)
{
	const char *v = collector_flag_value(cfg, &flags[f]);

	if (parse_uint(v, lo, hi, out) == 0)
		return 0;
	sb_printf(err, "invalid value \"%s\" for --%s: want an integer from %u to %u", v,
		  flags[f].name, lo, hi);
	return -EINVAL;
}

bool sockets_tcp_info(const struct config *cfg)
{
	return collector_flag_bool(cfg, &flags[FLAG_TCP_INFO]);
}

static int sockets_init(void **state, const struct config *cfg, struct strbuf *err)
{
	struct sockets *s = calloc(1, sizeof(*s));
	int ret = 0;

	if (s == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	ret = config_each(cfg, flags[FLAG_PORTS].name, add_ports, &s->opts);
	if (ret < 0) {
		sb_printf(err, "invalid value for --%s: want port numbers 1-65535, comma-separated",
			  flags[FLAG_PORTS].name);
		ret = -EINVAL;
		goto out;
	}
	if ((ret = get_uint(cfg, FLAG_TOP_PORTS, 0, 10000, &s->opts.top_ports, err)) < 0 ||
	    (ret = get_uint(cfg, FLAG_LISTEN_PORTS, 0, 65536, &s->opts.max_listen_ports, err)) < 0 ||
	    (ret = get_uint(cfg, FLAG_TOP_PEERS, 0, 10000, &s->opts.top_peers, err)) < 0 ||
	    (ret = get_uint(cfg, FLAG_PEER_MIN, 1, UINT_MAX, &s->opts.peer_min_sockets, err)) < 0 ||
	    (ret = get_uint(cfg, FLAG_THREADS, 1, DIAG_DUMP_MAX_WORKERS, &s->threads, err)) < 0 ||
	    (ret = get_uint(cfg, FLAG_TOP_COUNTRIES, 0, GEOIP_CC_COUNT, &s->opts.top_countries, err)) < 0)
		goto out;
	s->tcp_info = sockets_tcp_info(cfg);
	if (cfg->geoip_database) {
		ret = geoip_open(cfg->geoip_database, cfg->geoip_asn_database, &s->geo, err);
		if (ret < 0)
			goto out;
		s->opts.geo = s->geo;
	}
	ret = diag_dump_init(&s->scan, s->threads);
	if (ret < 0)
		goto out;
	for (unsigned i = 0; i < s->threads; i++) {
		s->census[i] = census_new();
		s->health[i] = health_new();
		if (s->census[i] == NULL || s->health[i] == NULL ||
		    census_set_geoip(s->census[i], s->geo) < 0) {
			ret = -ENOMEM;
			goto out;
		}
	}
	*state = s;
	s = NULL;
out:
	sockets_fini(s);
	return ret;
}

/* Every socket of the dump goes to every consumer of the stream. */
static int feed(void *arg, unsigned worker, const struct diag_sock *sk)
{
	stream_add(arg, worker, sk, 0);
	return 0;
}

/* This collector as a consumer of the stream: the exporter's own namespace
 * only, one census per worker. */
static int sockets_begin(void *state, const struct stream_pass *p)
{
	struct sockets *s = state;

	if (p->scope != STREAM_OWN_NETNS)
		return 0;
	if (p->nworkers != s->threads)
		return -EINVAL;
	for (unsigned i = 0; i < s->threads; i++) {
		census_reset(s->census[i]);
		health_reset(s->health[i]);
		s->add_rc[i] = 0;
	}
	return 0;
}

static void sockets_add(void *state, unsigned worker, const struct diag_sock *sk, uint64_t netns)
{
	struct sockets *s = state;
	uint16_t port;
	int dir, ret;

	if (netns != 0 || s->add_rc[worker] != 0)
		return;
	/* The health aggregate files a TCP socket under its census key. */
	if (sk->protocol == IPPROTO_UDP)
		ret = health_add_udp(s->health[worker], sk);
	else if ((dir = census_key(s->census[worker], sk, &port)) >= 0)
		ret = health_add_tcp(s->health[worker], dir, port, sk);
	else
		ret = 0;
	if (ret == 0)
		ret = census_add(s->census[worker], sk);
	s->add_rc[worker] = ret;
}

/* The ephemeral range of the scraped network namespace; hi < lo if unknown. */
static void read_port_range(int procfs_fd, struct census_opts *o)
{
	struct sysctl_port_range r;
	struct parse_error perr;
	int rc = sysctl_read_port_range(procfs_fd, &r, &perr);

	o->port_range_lo = rc == 0 ? r.lo : 1;
	o->port_range_hi = rc == 0 ? r.hi : 0;
	if (rc < 0) /* debug only: the limits collector reports a bad file */
		log_msg(LOG_DEBUG, "sockets: cannot read ip_local_port_range: %s",
			rc == -EINVAL ? perr.what : procfs_strerror(rc));
}

/* Kernel states 1..12 but LISTEN (13, TCP_BOUND_INACTIVE, is no connection). */
#define TCP_NON_LISTEN_STATES \
	(((NL_DIAG_STATE(DIAG_KSTATE_NEW_SYN_RECV) << 1) - 2) & ~NL_DIAG_STATE(DIAG_KSTATE_LISTEN))

static const struct diag_dump_job listen_jobs[] = {
	{AF_INET, IPPROTO_TCP, NL_DIAG_STATE(DIAG_KSTATE_LISTEN), NULL, 0},
	{AF_INET6, IPPROTO_TCP, NL_DIAG_STATE(DIAG_KSTATE_LISTEN), NULL, 0},
};

#define NJOBS_MAX 6

/* The dumps after the listeners, biggest first, so the big ones land on
 * different workers: with one thread each TCP family in one dump; with more,
 * each in two halves (the second thread would otherwise only walk the hash
 * table for IPv6 on an IPv4-only host). Returns the number of jobs. */
static size_t rest_jobs(const struct sockets *s, struct diag_dump_job *jobs)
{
	static const uint8_t families[] = {AF_INET, AF_INET6};
	size_t n = 0;

	for (size_t f = 0; f < sizeof(families); f++) {
		/* tcp_info rides on the whole dump: see docs/sockets.md for why not
		 * a separate dump of the established sockets. */
		struct diag_dump_job tcp = {families[f], IPPROTO_TCP, TCP_NON_LISTEN_STATES, NULL,
					    s->tcp_info ? NL_DIAG_EXT_INFO : 0};

		if (s->threads < 2) {
			jobs[n++] = tcp;
			continue;
		}
		for (int h = 0; h < 2; h++) {
			tcp.filter = &s->half[h];
			jobs[n++] = tcp;
		}
	}
	/* UDP drops come with the socket memory attribute. */
	jobs[n++] = (struct diag_dump_job){AF_INET, IPPROTO_UDP, NL_DIAG_ALL_STATES, NULL,
					   NL_DIAG_EXT_SKMEMINFO};
	jobs[n++] = (struct diag_dump_job){AF_INET6, IPPROTO_UDP, NL_DIAG_ALL_STATES, NULL,
					   NL_DIAG_EXT_SKMEMINFO};
	return n;
}

/* The two halves over the scraped namespace's ephemeral range, or Linux's
 * default when it could not be read: any range splits exactly, the right
 * one splits evenly. */
static void build_halves(struct sockets *s)
{
	struct diag_bc_range r = DIAG_BC_DEFAULT_RANGE;

	if (s->opts.port_range_lo >= 1 && s->opts.port_range_lo <= s->opts.port_range_hi &&
	    s->opts.port_range_hi <= 65535)
		r = (struct diag_bc_range){(uint16_t)s->opts.port_range_lo, (uint16_t)s->opts.port_range_hi};
	for (int h = 0; h < 2; h++) {
		int n = diag_bc_build(r, h == 1, s->half[h].ops, sizeof(s->half[h].ops));
		/* Cannot fail for a checked range; were it to, a length of 0
		 * fails the dump (diag_nl_dump) instead of counting twice. */
		s->half[h].len = n > 0 ? (size_t)n : 0;
	}
}

/* One pass of the dump: listeners first, on worker 0 (the census needs them
 * all to classify the rest), then everything else. */
static int scan(struct sockets *s, struct stream_out *out)
{
	struct diag_dump_job jobs[NJOBS_MAX];
	size_t njobs = rest_jobs(s, jobs);
	int ret;

	stream_begin(out, s->threads);
	ret = diag_dump_run(&s->scan, 1, listen_jobs, 2, feed, out);
	if (ret < 0)
		goto out;
	for (unsigned i = 1; i < s->threads; i++)
		census_copy_listeners(s->census[i], s->census[0]);
	ret = diag_dump_run(&s->scan, s->threads, jobs, njobs, feed, out);
out:
	return ret;
}

static void warn_untracked(struct sockets *s)
{
	static const char *const what[CENSUS_TABLE_COUNT] = {"peer addresses", "ephemeral tuples"};

	for (int t = 0; t < CENSUS_TABLE_COUNT; t++) {
		uint64_t n = census_untracked(s->census[0], t);
		/* Once when it starts, not every scrape. */
		if (n > 0 && s->untracked_warned[t] == 0)
			log_msg(LOG_WARN, "sockets: %s table full, %llu sockets untracked; "
				"top peers and ephemeral pressure are lower bounds",
				what[t], (unsigned long long)n);
		s->untracked_warned[t] = n;
	}
}

/* The exporter's own namespace's sockets: one dump per scrape, feeding
 * every consumer. */
static int sockets_provide(void *state, const struct collect_ctx *ctx, struct stream_out *out)
{
	struct sockets *s = state;
	int ret;

	read_port_range(ctx->procfs_fd, &s->opts);
	build_halves(s);
	if (s->geo)
		geoip_refresh(s->geo); /* between dumps: no lookup runs now */
	ret = scan(s, out);
	if (ret == -EINTR) /* the kernel said the dump was inconsistent: once more */
		ret = scan(s, out);
	if (ret < 0)
		log_msg(LOG_WARN, "sockets: sock_diag dump failed: %s", strerror(-ret));
	return ret;
}

/* After a complete dump: merge the workers' censuses and emit. */
static int sockets_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	struct sockets *s = state;
	struct census_out out = {.e = e, .desc = sockets_metrics};
	int ret = 0;

	(void)ctx;
	for (unsigned i = 0; i < s->threads && ret == 0; i++)
		ret = s->add_rc[i];
	if (ret < 0)
		goto out;
	for (unsigned i = 1; i < s->threads; i++) {
		ret = census_merge(s->census[0], s->census[i]);
		if (ret == 0)
			ret = health_merge(s->health[0], s->health[i]);
		if (ret < 0)
			goto out;
	}
	warn_untracked(s);
	ret = census_emit(s->census[0], &s->opts, &out, EXPO_NOLABELS);
	if (ret == 0) {
		struct health_out hout = {.e = e, .desc = sockets_health_metrics};
		struct health_opts ho = {s->opts.ports, s->opts.top_ports, s->tcp_info};
		ret = health_emit(s->health[0], &ho, &hout, EXPO_NOLABELS);
	}
out:
	return ret;
}

static const struct collector_consumer sockets_consumer = {
	.prepare = NULL,
	.begin = sockets_begin,
	.add = sockets_add,
};

static const struct collector_provider sockets_provider = {
	.scope = STREAM_OWN_NETNS,
	.run = sockets_provide,
};

static bool sockets_owns(const char *family)
{
	for (int m = 0; m < CENSUS_METRIC_COUNT; m++)
		if (strcmp(family, sockets_metrics[m].name) == 0)
			return true;
	for (int m = 0; m < HEALTH_METRIC_COUNT; m++)
		if (strcmp(family, sockets_health_metrics[m].name) == 0)
			return true;
	return false;
}

const struct collector_ops sockets_collector = {
	.name = "sockets",
	.help = "Socket census over sock_diag: TCP states, ports, listeners, peers, ephemeral ports; UDP.",
	.default_enabled = true,
	.flags = flags,
	.init = sockets_init,
	.collect = sockets_collect,
	.fini = sockets_fini,
	.owns = sockets_owns,
	.consumer = &sockets_consumer,
	.provider = &sockets_provider,
};
