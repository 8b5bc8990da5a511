/* netns/pass: one scrape's work over the other namespaces. See netns/pass.h. */
#include "netns/pass.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "events/live.h"
#include "log.h"
#include "netns/discovery.h"
#include "procfs/reader.h"
#include "procfs/sysctl.h"
#include "sockdiag/transport.h"
#include "util/parallel.h"

_Static_assert(UTIL_PARALLEL_MAX_WORKERS >= NETNS_PASS_MAX_THREADS, "every pass thread can run");

#define D(e) NETNS_DATA(e)

/* Counter files: small; anything near the cap is not one. */
#define FILE_CAP (1u << 20)

static const struct {
	const char *proto, *key;
} sockstat_rows[NETNS_SS_COUNT] = {
	[NETNS_SS_TCP_INUSE4] = {"TCP", "inuse"}, [NETNS_SS_TCP_INUSE6] = {"TCP6", "inuse"},
	[NETNS_SS_TCP_TW] = {"TCP", "tw"},
	[NETNS_SS_UDP_INUSE4] = {"UDP", "inuse"}, [NETNS_SS_UDP_INUSE6] = {"UDP6", "inuse"},
};

void netns_data_init(void *data)
{
	struct netns_data *d = data;

	netns_listeners_init(&d->lis);
	d->range_hi = 0;
	d->range_lo = 1;
}

void netns_data_fini(void *data)
{
	struct netns_data *d = data;

	netns_listeners_fini(&d->lis);
}

int netns_pass_init(struct netns_pass *p, unsigned threads, const struct netns_counter *counters,
		    size_t ncounters, util_clock_fn clock, double budget, double interval)
{
	memset(p, 0, sizeof(*p));
	p->threads = threads;
	p->counters = counters;
	p->ncounters = ncounters;
	netns_schedule_init(&p->sched, clock, budget, interval);
	for (unsigned i = 0; i < NETNS_PASS_MAX_THREADS; i++) {
		netns_scratch_init(&p->w[i].scratch);
		for (int f = 0; f < 4; f++)
			sb_init(&p->w[i].text[f]);
		snmp_list_init(&p->w[i].snmp);
		sockstat_list_init(&p->w[i].sockstat);
	}
	if (threads < 1 || threads > NETNS_PASS_MAX_THREADS || ncounters > NETNS_MAX_COUNTERS)
		return -EINVAL;
	for (unsigned i = 0; i < threads; i++)
		if ((p->w[i].buf = malloc(NL_DIAG_BUF_SIZE)) == NULL)
			return -ENOMEM;
	return 0;
}

void netns_pass_fini(struct netns_pass *p)
{
	free(p->jobs);
	p->jobs = NULL;
	for (int i = 0; i < NETNS_PASS_MAX_THREADS; i++) {
		free(p->w[i].buf);
		p->w[i].buf = NULL;
		netns_scratch_fini(&p->w[i].scratch);
		for (int f = 0; f < 4; f++)
			sb_fini(&p->w[i].text[f]);
		snmp_list_fini(&p->w[i].snmp);
		sockstat_list_fini(&p->w[i].sockstat);
	}
}

struct dump_ctx {
	struct netns_pass *s;
	struct netns_entry *n;
	unsigned worker;
	struct netns_census *census; /* NULL: the LISTEN dump */
};

static int on_sock(const struct diag_sock *sk, void *arg)
{
	struct dump_ctx *c = arg;

	c->s->on_sock(c->s->arg, c->worker, sk, c->n->ino);
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
	 * twice: the pass runs once more (netns_pass_run()). */
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
static void read_counters(struct netns_pass *s, struct netns_pass_worker *w, struct netns_entry *n)
{
	static const char *const files[4] = {"net/snmp", "net/netstat", "net/sockstat", "net/sockstat6"};
	struct parse_error perr;
	char path[64];
	bool ok = true;
	uint64_t ino;

	D(n)->has_ctr = D(n)->has_ss = false;
	if (n->pid <= 0)
		return;
	for (int f = 0; f < 4; f++) {
		snprintf(path, sizeof(path), "%d/%s", n->pid, files[f]);
		if (procfs_read(s->procfs_fd, path, FILE_CAP, &w->text[f]) < 0 && f < 3)
			ok = false; /* sockstat6 is missing without IPv6 */
	}
	/* The pid is the one discovery found: if it has since exited and the
	 * number gone to a process of another namespace, the files were that
	 * namespace's. Checked after reading, so such a read is dropped. */
	if (!ok || netns_ino_of(s->procfs_fd, n->pid, &ino) < 0 || ino != n->ino)
		return;
	w->snmp.len = 0;
	if (snmp_parse_pairs(w->text[0].buf, w->text[0].len, &w->snmp, &perr) == 0 &&
	    snmp_parse_pairs(w->text[1].buf, w->text[1].len, &w->snmp, &perr) == 0) {
		memset(D(n)->ctr, 0, sizeof(D(n)->ctr));
		for (size_t i = 0; i < w->snmp.len; i++) {
			const struct snmp_stat *st = &w->snmp.v[i];
			for (size_t c = 0; c < s->ncounters; c++)
				if (cmp_stat(st->proto, st->proto_len, s->counters[c].proto) &&
				    cmp_stat(st->field, st->field_len, s->counters[c].field))
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
			for (int r = 0; r < NETNS_SS_COUNT; r++)
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

/* tcp_max_tw_buckets, through the fd the handle opened inside. Unreadable
 * (not opened, a read or parse error): no value, and one debug line until it
 * reads again. */
static void read_max_tw(struct netns_entry *n)
{
	char buf[32];
	ssize_t len;
	int ret = n->h.tw_fd < 0 ? (n->h.tw_err < 0 ? n->h.tw_err : -EBADF) : 0;

	if (ret == 0) {
		len = pread(n->h.tw_fd, buf, sizeof(buf), 0);
		ret = len < 0 ? -errno : netns_parse_max_tw(buf, (size_t)len, &D(n)->max_tw);
	}
	D(n)->has_max_tw = ret == 0;
	if (ret < 0 && !D(n)->max_tw_said)
		log_msg(LOG_DEBUG, "netns: cannot read net.ipv4.tcp_max_tw_buckets of namespace %llu: %s",
			(unsigned long long)n->ino, strerror(-ret));
	D(n)->max_tw_said = ret < 0;
}

/* Whether sockstat says the namespace may have TCP sockets of a family
 * (TIME_WAIT is counted for both together); true when it could not be read. */
static bool has4(const struct netns_data *d)
{
	return !d->has_ss || d->ss[NETNS_SS_TCP_INUSE4] > 0 || d->ss[NETNS_SS_TCP_TW] > 0;
}

static bool has6(const struct netns_data *d)
{
	return !d->has_ss || d->ss[NETNS_SS_TCP_INUSE6] > 0 || d->ss[NETNS_SS_TCP_TW] > 0;
}

/* The cheap tier of namespace i: counters, the port range, the timewait
 * limit, the listeners. */
static int cheap_tier(void *arg, unsigned worker, size_t i)
{
	struct netns_pass *s = arg;
	struct netns_entry *n = s->table->v[i];
	struct dump_ctx c = {s, n, worker, NULL};

	read_counters(s, &s->w[worker], n);
	/* Before the listeners: a census compared with these counts covers
	 * them too (see full_census()). */
	D(n)->has_live = D(n)->live_seeded && events_live_read(n->ino, &D(n)->live) == 0;
	netns_listeners_reset(&D(n)->lis);
	D(n)->has_lis = false;
	D(n)->has_max_tw = false;
	if (!netns_handle_ok(&n->h))
		return 0;
	read_range(n);
	read_max_tw(n);
	/* A family with no TCP socket in use has no listener either. */
	if ((!has4(D(n)) || dump(&c, AF_INET, IPPROTO_TCP, NL_DIAG_STATE(DIAG_KSTATE_LISTEN)) == 0) &&
	    (!has6(D(n)) || dump(&c, AF_INET6, IPPROTO_TCP, NL_DIAG_STATE(DIAG_KSTATE_LISTEN)) == 0)) {
		netns_listeners_finish(&D(n)->lis);
		D(n)->has_lis = true;
	}
	return 0;
}

static void queue_row(void *arg, uint64_t ino, const uint64_t n[2])
{
	struct netns_entry *e = netns_table_find(arg, ino);

	if (e != NULL && D(e)->has_syn_recv)
		memcpy(D(e)->syn_recv, n, sizeof(D(e)->syn_recv));
}

/* With live states, the request sockets (SYN_RECV) of every seeded
 * namespace: its listeners' SYN queues, read now for all at once. */
static void live_queues(struct netns_pass *s)
{
	struct netns_table *t = s->table;
	bool ok = events_live_on();

	for (size_t i = 0; i < t->len; i++) {
		D(t->v[i])->has_syn_recv = ok && D(t->v[i])->live_seeded;
		memset(D(t->v[i])->syn_recv, 0, sizeof(D(t->v[i])->syn_recv));
	}
	if (ok && events_live_syn_recv(queue_row, t) < 0)
		for (size_t i = 0; i < t->len; i++)
			D(t->v[i])->has_syn_recv = false;
}

/* Kernel states 1..12 but LISTEN, as the sockets collector dumps them. */
#define TCP_NON_LISTEN_STATES \
	(((NL_DIAG_STATE(DIAG_KSTATE_NEW_SYN_RECV) << 1) - 2) & ~NL_DIAG_STATE(DIAG_KSTATE_LISTEN))

/* The dumps of a full census. A family whose sockstat counts say it has no
 * such sockets is not dumped: with a shared hash table each TCP dump walks
 * every socket of the node. */
static int dump_census(struct dump_ctx *c, const struct netns_entry *n)
{
	const struct netns_data *d = D(n);
	bool tcp4 = has4(d), tcp6 = has6(d);
	bool udp4 = !d->has_ss || d->ss[NETNS_SS_UDP_INUSE4] > 0;
	bool udp6 = !d->has_ss || d->ss[NETNS_SS_UDP_INUSE6] > 0;
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

/* The namespace's seed walk, in its first census slot (it costs what a
 * census does): from then on its live counts are whole. */
static void seed(struct netns_entry *n)
{
	if (n->h.seed_fd < 0)
		return;
	if (events_live_seed(n->h.seed_fd, n->ino) == 0)
		D(n)->live_seeded = true;
	n->h.seed_fd = -1;
}

/* Compares a census with the live counts when they held still from before
 * the listeners' dump (cheap_tier()) to now: else the two saw different
 * moments, and the last comparison stands. */
static void reconcile(struct netns_entry *n, const struct netns_census *census)
{
	struct ev_live now;

	if (!D(n)->live_seeded || events_live_read(n->ino, &now) != 0)
		return;
	if (D(n)->has_live && now.seq == D(n)->live.seq) {
		D(n)->drift = netns_live_reconcile(census, &now, D(n)->live_offset);
		D(n)->has_drift = true;
	}
	if (!D(n)->has_live) { /* seeded just now: the counts of this scrape */
		D(n)->live = now;
		D(n)->has_live = true;
	}
}

/* The full census of job i, when the schedule (netns/schedule.h) says so. */
static int full_census(void *arg, unsigned worker, size_t i)
{
	struct netns_pass *s = arg;
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
	if (!s->again)
		seed(n);
	netns_census_begin(&census, &s->w[worker].scratch, &D(n)->lis);
	if (dump_census(&c, n) < 0)
		return 0;
	reconcile(n, &census);
	D(n)->census = census;
	D(n)->has_census = true;
	D(n)->census_time = netns_schedule_done(&s->sched, job, t0, &D(n)->census_cost);
	return 0;
}

/* The namespaces whose listeners were dumped are the census candidates. */
static int plan_census(struct netns_pass *s)
{
	const struct netns_table *t = s->table;
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
				.own_table = netns_census_own_table(n->h.ehash, n->ino, t->init_ino, t->self_ehash),
				.has_census = D(n)->has_census,
				.census_time = D(n)->census_time,
				.first_seen = n->first_seen,
				.ref = n,
				.cost = D(n)->census_cost,
			};
	}
	netns_schedule_start(&s->sched, jobs, s->njobs);
	return 0;
}

/* One pass over every namespace: the cheap tier, then the censuses. The
 * first pass asks the schedule which censuses to make; a second one (again)
 * makes the same ones, so the consumers, told to forget the first, get the
 * same namespaces' sockets. 0, -EINTR when a dump came back inconsistent, or
 * -ENOMEM. */
static int run_pass(struct netns_pass *s, bool again)
{
	int ret = 0;

	atomic_store(&s->interrupted, false);
	s->again = again;
	s->begin(s->arg, s->threads);
	live_queues(s);
	util_parallel_for(s->threads, s->table->len, cheap_tier, s);
	if (!again && (ret = plan_census(s)) < 0)
		goto out;
	util_parallel_for(s->threads, s->njobs, full_census, s);
	if (atomic_load(&s->interrupted))
		ret = -EINTR;
out:
	return ret;
}


int netns_pass_run(struct netns_pass *p, struct netns_table *t, int procfs_fd)
{
	int ret;

	p->table = t;
	p->procfs_fd = procfs_fd;
	ret = run_pass(p, false);
	if (ret == -EINTR) /* the kernel said a dump was inconsistent: once more */
		ret = run_pass(p, true);
	p->table = NULL;
	return ret;
}
