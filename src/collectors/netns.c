/* collectors/netns: per-network-namespace socket census, counters and
 * attribution, labelled with the namespace's identity. See docs/netns.md.
 *
 * Tables and collect(); the work is elsewhere: the namespaces and their
 * handles are kept by netns/table, the censuses are chosen by netns/schedule,
 * and the dumps fan out over util/parallel. Every scrape, as a provider of
 * other namespaces' sockets (collector.h), over the dump threads:
 *   1. the cheap tier for every namespace: a LISTEN-only dump (walks only the
 *      listening hash), ip_local_port_range, and the counter files
 *      /proc/PID/net/{snmp,netstat,sockstat,sockstat6} of its oldest process;
 *   2. the full census (every TCP state, UDP, ephemeral tuples) of the
 *      namespaces the schedule picks. Each census keeps its time; its age
 *      is exported.
 * Every socket dumped also goes to the stream's consumers. A dump the kernel
 * flags inconsistent makes the pass run once more. The largest namespaces
 * (by sockets) get their own series, the rest are summed under
 * netns="other". */
#include "collectors/netns.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "log.h"
#include "netns/census.h"
#include "netns/schedule.h"
#include "netns/table.h"
#include "owners/tally.h"
#include "procfs/reader.h"
#include "procfs/snmp_name.h"
#include "procfs/snmp_parse.h"
#include "procfs/sockstat_parse.h"
#include "procfs/sysctl.h"
#include "util/clock.h"
#include "util/parallel.h"

#define FLAG_PODS_ROOT "collector.netns.pods-root"
#define FLAG_DOCKER_ROOT "collector.netns.docker-root"
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
	{FLAG_RUN_DIR, "DIR", DEF_RUN_DIR,
	 "Named network namespaces (ip netns add) are bind mounts in this directory (\"\": none).", false},
	{FLAG_MAX, "N", DEF_MAX,
	 "Namespaces with their own series, largest by socket count first; the rest are summed under netns=\"other\".", false},
	{FLAG_LISTEN_PORTS, "N", DEF_LISTEN_PORTS,
	 "Listening ports per namespace (lowest first) with their own series; the rest are port=\"other\".", false},
	{FLAG_BUDGET, "DURATION", DEF_BUDGET,
	 "Time per scrape for full censuses of namespaces that share the host's TCP hash table (e.g. 250ms).", false},
	{FLAG_INTERVAL, "DURATION", DEF_INTERVAL,
	 "Longest age of a namespace's full census: older ones are refreshed even over the budget.", false},
	{FLAG_THREADS, "N", DEF_THREADS,
	 "Threads sharing the per-namespace dumps (1-4).", false},
	{NULL, NULL, NULL, NULL, false},
};

#define MAX_THREADS 4
_Static_assert(TALLY_MAX_WORKERS >= MAX_THREADS, "tally takes every netns thread");
_Static_assert(UTIL_PARALLEL_MAX_WORKERS >= MAX_THREADS, "every netns thread can run");

/* Counter files: small; anything near the cap is not one. */
#define FILE_CAP (1u << 20)

/* The counters alerts need (the rest are one `nsenter -n nstat` away). */
static const struct {
	const char *proto, *field;
} counters[] = {
	{"Tcp", "RetransSegs"},     {"Tcp", "OutRsts"},
	{"Tcp", "EstabResets"},     {"Tcp", "AttemptFails"},
	{"TcpExt", "ListenOverflows"}, {"TcpExt", "ListenDrops"},
	{"TcpExt", "SyncookiesSent"}, {"TcpExt", "TCPTimeouts"},
	{"Tcp", "CurrEstab"}, /* a gauge */
};
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

enum sockstat_val {
	SS_TCP_INUSE4 = 0,
	SS_TCP_INUSE6,
	SS_TCP_ORPHAN,
	SS_TCP_TW,
	SS_UDP_INUSE4,
	SS_UDP_INUSE6,
	SS_COUNT
};

static const struct {
	const char *proto, *key;
} sockstat_rows[SS_COUNT] = {
	[SS_TCP_INUSE4] = {"TCP", "inuse"}, [SS_TCP_INUSE6] = {"TCP6", "inuse"},
	[SS_TCP_ORPHAN] = {"TCP", "orphan"}, [SS_TCP_TW] = {"TCP", "tw"},
	[SS_UDP_INUSE4] = {"UDP", "inuse"}, [SS_UDP_INUSE6] = {"UDP6", "inuse"},
};

/* What one namespace showed; summed for netns="other". */
struct nsdata {
	struct netns_listeners lis; bool has_lis;
	struct netns_census census; bool has_census;
	double census_time;                 /* monotonic seconds */
	uint64_t ctr[NCOUNTERS]; bool has_ctr;
	uint64_t ss[SS_COUNT]; bool has_ss;
	unsigned range_lo, range_hi;        /* hi < lo: unknown */
	double eph_ratio; bool has_eph;
	uint64_t rank;                      /* sockets, for the largest-first order */
	bool censused;                      /* a census was made in this scrape's first pass */
};

/* One dump thread's buffers. */
struct worker {
	uint8_t *buf;            /* NL_DIAG_BUF_SIZE, lent to the handle dumped */
	struct netns_scratch scratch;
	struct strbuf text[4];
	struct snmp_list snmp;
	struct sockstat_list sockstat;
};

struct netns_state {
	unsigned max_ns, max_listen_ports, threads;
	char *counter_names[NCOUNTERS]; /* owned: netstat_netns_..., without _total */

	struct netns_table table;  /* entries' data: struct nsdata */
	struct netns_schedule sched;
	struct worker w[MAX_THREADS];

	/* one scrape's */
	int procfs_fd;
	struct stream_out *out;        /* during netns_provide() */
	bool ran;                      /* netns_provide() completed */
	atomic_bool interrupted;       /* a dump of this pass came back inconsistent */
	bool again;                    /* the pass is the second (run_pass()) */
	struct netns_census_job *jobs; /* this pass's census candidates */
	size_t njobs;
	double scrape_start;           /* clock seconds */
};

#define D(e) ((struct nsdata *)(e)->data)

static void nsdata_init(void *data)
{
	struct nsdata *d = data;

	netns_listeners_init(&d->lis);
	d->range_hi = 0;
	d->range_lo = 1;
}

static void nsdata_fini(void *data)
{
	struct nsdata *d = data;

	netns_listeners_fini(&d->lis);
}

static void netns_fini(void *state)
{
	struct netns_state *s = state;

	if (s == NULL)
		return;
	netns_table_fini(&s->table);
	free(s->jobs);
	for (int i = 0; i < MAX_THREADS; i++) {
		free(s->w[i].buf);
		netns_scratch_fini(&s->w[i].scratch);
		for (int f = 0; f < 4; f++)
			sb_fini(&s->w[i].text[f]);
		snmp_list_fini(&s->w[i].snmp);
		sockstat_list_fini(&s->w[i].sockstat);
	}
	for (size_t i = 0; i < NCOUNTERS; i++)
		free(s->counter_names[i]);
	free(s);
}

/* ---- flags ---- */

static int parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long n;

	if (v == NULL || *v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi)
		return -EINVAL;
	*out = (unsigned)n;
	return 0;
}

static int get_uint(const struct config *cfg, const char *name, const char *def,
		    unsigned lo, unsigned hi, unsigned *out, struct strbuf *err)
{
	const char *v = config_get(cfg, name, def);

	if (parse_uint(v, lo, hi, out) == 0)
		return 0;
	sb_printf(err, "invalid value \"%s\" for --%s: want an integer from %u to %u", v, name, lo, hi);
	return -EINVAL;
}

/* "250ms", "2s", "5m", "1h"; "0" alone. */
static int get_duration(const struct config *cfg, const char *name, const char *def,
			double *out, struct strbuf *err)
{
	static const struct {
		const char *unit;
		double s;
	} units[] = {{"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}};
	const char *v = config_get(cfg, name, def), *p = v;
	double n = 0;

	if (v == NULL || *v < '0' || *v > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > 1e9)
			goto bad;
	}
	if (*p == '\0' && n == 0) {
		*out = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].unit) == 0) {
			*out = n * units[i].s;
			return 0;
		}
bad:
	sb_printf(err, "invalid value \"%s\" for --%s: want a duration such as 250ms, 30s or 5m", v, name);
	return -EINVAL;
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
		.data_size = sizeof(struct nsdata),
		.data_init = nsdata_init,
		.data_fini = nsdata_fini,
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
	topts.run_dir = get_dir(cfg, FLAG_RUN_DIR, DEF_RUN_DIR);
	netns_table_init(&s->table, &topts);
	if ((ret = get_uint(cfg, FLAG_MAX, DEF_MAX, 0, 100000, &s->max_ns, err)) < 0 ||
	    (ret = get_uint(cfg, FLAG_LISTEN_PORTS, DEF_LISTEN_PORTS, 0, 65536, &s->max_listen_ports, err)) < 0 ||
	    (ret = get_uint(cfg, FLAG_THREADS, DEF_THREADS, 1, MAX_THREADS, &s->threads, err)) < 0 ||
	    (ret = get_duration(cfg, FLAG_BUDGET, DEF_BUDGET, &budget, err)) < 0 ||
	    (ret = get_duration(cfg, FLAG_INTERVAL, DEF_INTERVAL, &interval, err)) < 0)
		goto out;
	netns_schedule_init(&s->sched, util_mono_now, budget, interval);
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
	for (unsigned i = 0; i < s->threads; i++) {
		s->w[i].buf = malloc(NL_DIAG_BUF_SIZE);
		if (s->w[i].buf == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		netns_scratch_init(&s->w[i].scratch);
		for (int f = 0; f < 4; f++)
			sb_init(&s->w[i].text[f]);
		snmp_list_init(&s->w[i].snmp);
		sockstat_list_init(&s->w[i].sockstat);
	}
	netns_table_raise_fd_limit();
	*state = s;
	s = NULL;
out:
	sb_fini(&name);
	netns_fini(s);
	return ret;
}

/* ---- the two tiers, spread over the dump threads ---- */

struct dump_ctx {
	struct netns_state *s;
	struct netns_entry *n;
	unsigned worker;
	struct netns_census *census; /* NULL: the LISTEN dump */
};

static int on_sock(const struct diag_sock *sk, void *arg)
{
	struct dump_ctx *c = arg;

	stream_add(c->s->out, c->worker, sk, c->n->ino);
	if (c->census == NULL)
		return sk->kstate == DIAG_KSTATE_LISTEN ? netns_listeners_add(&D(c->n)->lis, sk) : 0;
	return netns_census_add(c->census, &c->s->w[c->worker].scratch, sk);
}

/* One dump through the namespace's own socket, with the worker's buffer. */
static int dump(struct dump_ctx *c, uint8_t family, uint8_t protocol, uint32_t states)
{
	struct diag_nl *nl = &c->n->h.nl;
	int ret;

	nl->buf = c->s->w[c->worker].buf;
	ret = diag_nl_dump(nl, family, protocol, states, 0, NULL, on_sock, c);
	nl->buf = NULL;
	/* No such family in the namespace (IPv6 disabled): no such sockets. An
	 * inconsistent dump (-EINTR) delivered every socket, some perhaps
	 * twice: the pass runs once more (netns_provide()). */
	if (ret == -EINTR) {
		atomic_store(&c->s->interrupted, true);
		ret = 0;
	}
	if (ret == -ENOENT)
		ret = 0;
	return ret;
}

static int cmp_stat(const char *s, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(s, want, n) == 0;
}

/* /proc/PID/net/{snmp,netstat}: the counters; {sockstat,sockstat6}. */
static void read_counters(struct netns_state *s, struct worker *w, struct netns_entry *n)
{
	static const char *const files[4] = {"net/snmp", "net/netstat", "net/sockstat", "net/sockstat6"};
	struct parse_error perr;
	char path[64];
	bool ok = true;

	D(n)->has_ctr = D(n)->has_ss = false;
	if (n->pid <= 0)
		return;
	for (int f = 0; f < 4; f++) {
		snprintf(path, sizeof(path), "%d/%s", n->pid, files[f]);
		if (procfs_read(s->procfs_fd, path, FILE_CAP, &w->text[f]) < 0 && f < 3)
			ok = false; /* sockstat6 is missing without IPv6 */
	}
	if (!ok)
		return;
	w->snmp.len = 0;
	if (snmp_parse_pairs(w->text[0].buf, w->text[0].len, &w->snmp, &perr) == 0 &&
	    snmp_parse_pairs(w->text[1].buf, w->text[1].len, &w->snmp, &perr) == 0) {
		memset(D(n)->ctr, 0, sizeof(D(n)->ctr));
		for (size_t i = 0; i < w->snmp.len; i++) {
			const struct snmp_stat *st = &w->snmp.v[i];
			for (size_t c = 0; c < NCOUNTERS; c++)
				if (cmp_stat(st->proto, st->proto_len, counters[c].proto) &&
				    cmp_stat(st->field, st->field_len, counters[c].field))
					D(n)->ctr[c] = st->negative ? 0 : st->value;
		}
		D(n)->has_ctr = true;
	}
	w->sockstat.len = 0;
	if (sockstat_parse(w->text[2].buf, w->text[2].len, &w->sockstat, &perr) == 0 &&
	    (w->text[3].len == 0 ||
	     sockstat_parse(w->text[3].buf, w->text[3].len, &w->sockstat, &perr) == 0)) {
		memset(D(n)->ss, 0, sizeof(D(n)->ss));
		for (size_t i = 0; i < w->sockstat.len; i++) {
			const struct sockstat_stat *st = &w->sockstat.v[i];
			for (int r = 0; r < SS_COUNT; r++)
				if (cmp_stat(st->proto, st->proto_len, sockstat_rows[r].proto) &&
				    cmp_stat(st->key, st->key_len, sockstat_rows[r].key))
					D(n)->ss[r] = st->value;
		}
		D(n)->has_ss = true;
	}
}

static void read_range(struct netns_entry *n)
{
	struct sysctl_port_range r;
	struct parse_error perr;
	char buf[64];
	ssize_t len;

	D(n)->range_lo = 1;
	D(n)->range_hi = 0;
	if (n->h.range_fd < 0)
		return;
	len = pread(n->h.range_fd, buf, sizeof(buf), 0);
	if (len <= 0)
		return;
	if (sysctl_parse_port_range(buf, (size_t)len, &r, &perr) == 0 && r.lo >= 1) {
		D(n)->range_lo = r.lo;
		D(n)->range_hi = r.hi;
	}
}

/* Whether sockstat says the namespace may have TCP sockets of a family
 * (TIME_WAIT is counted for both together); true when it could not be read. */
static bool has4(const struct nsdata *d)
{
	return !d->has_ss || d->ss[SS_TCP_INUSE4] > 0 || d->ss[SS_TCP_TW] > 0;
}

static bool has6(const struct nsdata *d)
{
	return !d->has_ss || d->ss[SS_TCP_INUSE6] > 0 || d->ss[SS_TCP_TW] > 0;
}

/* The cheap tier of namespace i: counters, the port range, the listeners. */
static int cheap_tier(void *arg, unsigned worker, size_t i)
{
	struct netns_state *s = arg;
	struct netns_entry *n = s->table.v[i];
	struct dump_ctx c = {s, n, worker, NULL};

	read_counters(s, &s->w[worker], n);
	netns_listeners_reset(&D(n)->lis);
	D(n)->has_lis = false;
	if (!netns_handle_ok(&n->h))
		return 0;
	read_range(n);
	/* A family with no TCP socket in use has no listener either. */
	if ((!has4(D(n)) || dump(&c, AF_INET, IPPROTO_TCP, NL_DIAG_STATE(DIAG_KSTATE_LISTEN)) == 0) &&
	    (!has6(D(n)) || dump(&c, AF_INET6, IPPROTO_TCP, NL_DIAG_STATE(DIAG_KSTATE_LISTEN)) == 0)) {
		netns_listeners_finish(&D(n)->lis);
		D(n)->has_lis = true;
	}
	return 0;
}

/* Kernel states 1..12 but LISTEN, as the sockets collector dumps them. */
#define TCP_NON_LISTEN_STATES \
	(((NL_DIAG_STATE(DIAG_KSTATE_NEW_SYN_RECV) << 1) - 2) & ~NL_DIAG_STATE(DIAG_KSTATE_LISTEN))

/* The dumps of a full census. A family whose sockstat counts say it has no
 * such sockets is not dumped: with a shared hash table each TCP dump walks
 * every socket of the node. */
static int dump_census(struct dump_ctx *c, const struct netns_entry *n)
{
	const struct nsdata *d = D(n);
	bool tcp4 = has4(d), tcp6 = has6(d);
	bool udp4 = !d->has_ss || d->ss[SS_UDP_INUSE4] > 0;
	bool udp6 = !d->has_ss || d->ss[SS_UDP_INUSE6] > 0;
	int ret = 0;

	if (tcp4 && (ret = dump(c, AF_INET, IPPROTO_TCP, TCP_NON_LISTEN_STATES)) < 0)
		goto out;
	if (tcp6 && (ret = dump(c, AF_INET6, IPPROTO_TCP, TCP_NON_LISTEN_STATES)) < 0)
		goto out;
	if (udp4 && (ret = dump(c, AF_INET, IPPROTO_UDP, NL_DIAG_ALL_STATES)) < 0)
		goto out;
	if (udp6)
		ret = dump(c, AF_INET6, IPPROTO_UDP, NL_DIAG_ALL_STATES);
out:
	return ret;
}

/* The full census of job i, when the schedule (netns/schedule.h) says so. */
static int full_census(void *arg, unsigned worker, size_t i)
{
	struct netns_state *s = arg;
	const struct netns_census_job *job = &s->jobs[i];
	struct netns_entry *n = job->ref;
	struct netns_census census;
	struct dump_ctx c = {s, n, worker, &census};
	double t0;

	if (s->again) {
		if (!D(n)->censused || !D(n)->has_lis)
			return 0;
		t0 = s->sched.clock();
	} else if (!netns_schedule_take(&s->sched, job, &t0)) {
		return 0;
	}
	D(n)->censused = true;
	netns_census_begin(&census, &s->w[worker].scratch, &D(n)->lis);
	if (dump_census(&c, n) < 0)
		return 0;
	D(n)->census = census;
	D(n)->has_census = true;
	D(n)->census_time = netns_schedule_done(&s->sched, job, t0);
	return 0;
}

/* The namespaces whose listeners were dumped are the census candidates. */
static int plan_census(struct netns_state *s)
{
	const struct netns_table *t = &s->table;
	struct netns_census_job *jobs = realloc(s->jobs, (t->len ? t->len : 1) * sizeof(*jobs));

	if (jobs == NULL)
		return -ENOMEM;
	s->jobs = jobs;
	s->njobs = 0;
	for (size_t i = 0; i < t->len; i++) {
		struct netns_entry *n = t->v[i];

		D(n)->censused = false;
		if (netns_handle_ok(&n->h) && D(n)->has_lis)
			jobs[s->njobs++] = (struct netns_census_job){
				.own_table = n->h.ehash > 0,
				.has_census = D(n)->has_census,
				.census_time = D(n)->census_time,
				.first_seen = n->first_seen,
				.ref = n,
			};
	}
	netns_schedule_start(&s->sched, jobs, s->njobs);
	return 0;
}

/* ---- emission ---- */

static uint64_t sockets_of(const struct nsdata *d)
{
	uint64_t sum = 0;

	if (d->has_census) {
		for (int f = 0; f < 2; f++) {
			for (int st = 0; st < DIAG_TCP_STATE_COUNT; st++)
				sum += st == DIAG_TCP_LISTEN ? 0 : d->census.tcp[f][st];
			sum += d->census.udp[f][0] + d->census.udp[f][1];
		}
	} else if (d->has_ss) {
		sum = d->ss[SS_TCP_INUSE4] + d->ss[SS_TCP_INUSE6] + d->ss[SS_TCP_TW] +
		      d->ss[SS_UDP_INUSE4] + d->ss[SS_UDP_INUSE6];
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

/* Adds src into the netns="other" sum. */
static int add_other(struct nsdata *o, const struct nsdata *d)
{
	if (d->has_lis) {
		if (netns_listeners_merge(&o->lis, &d->lis) < 0)
			return -ENOMEM;
		o->has_lis = true;
	}
	if (d->has_census) {
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
		for (int r = 0; r < SS_COUNT; r++)
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
	F_SS_TCP_INUSE,
	F_SS_TCP_ORPHAN,
	F_SS_TCP_TW,
	F_SS_UDP_INUSE,
	F_COUNT
};

/* The families, next to the collector that emits them. */
static const struct expo_desc fams[F_COUNT] = {
	[F_INFO] = {"netstat_netns", EXPO_INFO,
		"Identity of a network namespace: Kubernetes pod, container, systemd unit, comm of its oldest process."},
	[F_TCP] = {"netstat_netns_tcp_sockets", EXPO_GAUGE,
		"TCP sockets of a network namespace by address family and state (as of its last full census, "
		"see netstat_netns_census_age_seconds; listen is current)."},
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
		"made in this scrape; older when the namespace shares the host's TCP hash table and waits its turn."},
	[F_EHASH] = {"netstat_netns_tcp_ehash_entries", EXPO_GAUGE,
		"net.ipv4.tcp_ehash_entries of a network namespace: negative when it shares the host's "
		"established hash table (every dump then walks all of the node's sockets)."},
	[F_SS_TCP_INUSE] = {"netstat_netns_sockstat_tcp_inuse", EXPO_GAUGE,
		"TCP sockets in use in a network namespace, by address family (sockstat)."},
	[F_SS_TCP_ORPHAN] = {"netstat_netns_sockstat_tcp_orphan", EXPO_GAUGE,
		"Orphaned TCP sockets in a network namespace (sockstat)."},
	[F_SS_TCP_TW] = {"netstat_netns_sockstat_tcp_tw", EXPO_GAUGE,
		"TCP sockets in TIME_WAIT in a network namespace (sockstat)."},
	[F_SS_UDP_INUSE] = {"netstat_netns_sockstat_udp_inuse", EXPO_GAUGE,
		"UDP sockets in use in a network namespace, by address family (sockstat)."},
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

/* One namespace's series; n is NULL for netns="other". */
static void emit_ns(struct emit_ctx *c, const struct netns_entry *n, const struct nsdata *d)
{
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
	if (d->has_census) {
		for (int f = 0; f < 2; f++)
			for (int st = 0; st < DIAG_TCP_STATE_COUNT; st++) {
				uint64_t v = st == DIAG_TCP_LISTEN && d->has_lis ? d->lis.tcp[f] : d->census.tcp[f][st];
				expo_add_u64(c->f[F_TCP], v, L.l,
					     with(&L, EXPO_LABELS({"family", family_names[f]},
								  {"state", diag_tcp_state_name(st)})));
			}
		for (int f = 0; f < 2; f++) {
			expo_add_u64(c->f[F_UDP], d->census.udp[f][1], L.l,
				     with(&L, EXPO_LABELS({"family", family_names[f]}, {"state", "connected"})));
			expo_add_u64(c->f[F_UDP], d->census.udp[f][0], L.l,
				     with(&L, EXPO_LABELS({"family", family_names[f]}, {"state", "unconnected"})));
		}
		if (n != NULL)
			expo_add_f64(c->f[F_AGE], d->census_time >= c->now ? 0 : c->now - d->census_time,
				     L.l, 4);
	}
	if (d->has_lis)
		emit_listeners(c, &L, &d->lis);
	if (d->has_eph)
		expo_add_f64(c->f[F_EPH], d->eph_ratio, L.l, 4);
	if (n != NULL && n->h.ehash != 0)
		expo_add_i64(c->f[F_EHASH], n->h.ehash, L.l, 4);
	if (d->has_ss) {
		for (int f = 0; f < 2; f++) {
			expo_add_u64(c->f[F_SS_TCP_INUSE], d->ss[f ? SS_TCP_INUSE6 : SS_TCP_INUSE4], L.l,
				     with(&L, EXPO_LABELS({"family", family_names[f]})));
			expo_add_u64(c->f[F_SS_UDP_INUSE], d->ss[f ? SS_UDP_INUSE6 : SS_UDP_INUSE4], L.l,
				     with(&L, EXPO_LABELS({"family", family_names[f]})));
		}
		expo_add_u64(c->f[F_SS_TCP_ORPHAN], d->ss[SS_TCP_ORPHAN], L.l, 4);
		expo_add_u64(c->f[F_SS_TCP_TW], d->ss[SS_TCP_TW], L.l, 4);
	}
	if (d->has_ctr)
		for (size_t k = 0; k < NCOUNTERS; k++)
			expo_add_u64(c->ctr[k], d->ctr[k], L.l, 4);
}

static void eph_ratio(struct nsdata *d)
{
	d->has_eph = d->has_census && d->range_lo >= 1 && d->range_hi >= d->range_lo;
	if (d->has_eph)
		d->eph_ratio = d->census.eph_max / (double)(d->range_hi - d->range_lo + 1);
}

static int emit(struct netns_state *s, struct expo *e)
{
	struct emit_ctx c = {.s = s, .now = s->scrape_start};
	struct netns_entry **order = NULL;
	struct nsdata other;
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
		eph_ratio(D(ns));
		D(ns)->rank = sockets_of(D(ns));
		order[n++] = ns;
	}
	qsort(order, n, sizeof(*order), cmp_rank);
	own = n < s->max_ns ? n : s->max_ns;
	for (size_t i = own; i < n; i++) {
		ret = add_other(&other, D(order[i]));
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
	for (size_t i = 0; i < own; i++)
		emit_ns(&c, order[i], D(order[i]));
	if (any_other)
		emit_ns(&c, NULL, &other);
	expo_add_u64(expo_family(e, "netstat_netns_namespaces", EXPO_GAUGE,
				 "Network namespaces seen besides the exporter's own (the largest get their own series)."),
		     n, EXPO_NOLABELS);
	ret = expo_error(e);
out:
	nsdata_fini(&other);
	free(order);
	return ret;
}

/* ---- the scrape ---- */

/* One pass over every namespace: the cheap tier, then the censuses. The
 * first pass asks the schedule which censuses to make; a second one (again)
 * makes the same ones, so the consumers, told to forget the first, get the
 * same namespaces' sockets. 0, -EINTR when a dump came back inconsistent, or
 * -ENOMEM. */
static int run_pass(struct netns_state *s, bool again)
{
	int ret = 0;

	atomic_store(&s->interrupted, false);
	s->again = again;
	stream_begin(s->out, s->threads);
	util_parallel_for(s->threads, s->table.len, cheap_tier, s);
	if (!again && (ret = plan_census(s)) < 0)
		goto out;
	util_parallel_for(s->threads, s->njobs, full_census, s);
	if (atomic_load(&s->interrupted))
		ret = -EINTR;
out:
	return ret;
}

/* The whole scrape's work, before any collector's collect(): the sockets go
 * to the consumers of the stream (per-process attribution) as they stream. */
static int netns_provide(void *state, const struct collect_ctx *ctx, struct stream_out *out)
{
	struct netns_state *s = state;
	int ret;

	s->ran = false;
	s->scrape_start = s->sched.clock();
	s->procfs_fd = ctx->procfs_fd;
	s->out = out;
	ret = netns_table_refresh(&s->table, ctx->procfs_fd);
	if (ret < 0)
		goto out;
	ret = run_pass(s, false);
	if (ret == -EINTR) /* the kernel said a dump was inconsistent: once more */
		ret = run_pass(s, true);
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
	return strcmp(family, fams[F_INFO].name) == 0 || strncmp(family, "netstat_netns_", 14) == 0;
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
