/* connections/explorer: answers connection queries from live sock_diag
 * dumps. See connections/explorer.h. */
#include "connections/explorer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/sockets.h"
#include "connections/view.h"
#include "expo/json.h"
#include "geoip/geoip.h"
#include "log.h"
#include "netns/share.h"
#include "owners/cache.h"
#include "owners/listen_map.h"
#include "sockdiag/bytecode.h"
#include "sockdiag/census.h"
#include "sockdiag/dump.h"
#include "util/bitset.h"
#include "util/clock.h"

#define THREADS 2
#define MAX_BATCH 64 /* requests sharing one dump */
/* The owner cache re-reads every fd table at most this often. */
#define RESCAN_MS 300000
/* Unowned socket inodes remembered per worker and dump, so the owner cache
 * looks for them at its next refresh (as the processes collector does). */
#define MAX_MISSING 1024
/* Listeners whose program request and TIME_WAIT sockets are given. */
#define MAX_LISTENERS 8192

/* A listener's owner, for the sockets that arrived on it. */
struct listener_owner {
	int32_t pid;
	char comm[CONN_COMM_MAX + 1];
};

struct conn_explorer {
	const struct config *cfg;
	struct geoip *geo;          /* owned; NULL without --geoip.database */
	struct owners *owners;      /* owned */
	struct diag_dump dump;
	struct diag_bc half[2];
	struct geoip_cache *cache[THREADS]; /* owned, one per worker */

	/* One run's state, touched only by the explorer thread and its workers. */
	struct conn_view *views[MAX_BATCH];
	size_t nviews;
	bool need_cc;
	bool need_asn;
	bool tcp_info;              /* --collector.sockets.tcp-info: ask INET_DIAG_INFO */
	uint64_t listening[BITSET_WORDS(65536)]; /* TCP ports with a listener, this dump */
	struct listen_map lmap;     /* this dump's owned TCP listeners -> owner index */
	struct listener_owner *lowners; /* owned, MAX_LISTENERS */
	bool listen_phase;          /* the dump of listeners runs (one worker) */
	uint32_t missing[THREADS][MAX_MISSING];
	size_t nmissing[THREADS];

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;        /* to the thread: a request or stopping; from it: exited */
	bool stopping;
	bool exited;                /* guarded by lock: the thread is done */
	bool left;                  /* closing gave up waiting: the thread still uses x */
	struct conn_request *queue; /* guarded by lock */
	/* The namespaces of one batch: [0] the exporter's own, then the netns
	 * collector's (netns/share), copied while the explorer held them. */
	struct conn_ns *ns;         /* owned */
	size_t nns, cap_ns;
	const struct conn_ns *cur_ns; /* the namespace being dumped */
	bool netns_on;              /* the netns collector lent its namespaces this batch */
	size_t ns_skipped;          /* shared-table namespaces left out of this batch (budget) */
	size_t ns_failed;           /* namespaces whose handle could not dump */
	uint64_t rr_ino;            /* the last shared-table namespace dumped: the next batch starts after it */
	uint64_t own_ino;
	uint8_t *nsbuf;             /* owned, NL_DIAG_BUF_SIZE: lent to the namespaces' sockets */
	uint64_t dumps;             /* guarded by lock: dumps run since start */
	uint64_t dump_id;           /* the running dump's number, for the answer */
};

/* ---- one dump ---- */

static int consume(void *arg, unsigned worker, const struct diag_sock *sk)
{
	struct conn_explorer *x = arg;
	struct owners_holders h;
	struct conn_row r;
	int st, ret = 0;

	memset(&r, 0, sizeof(r));
	if (sk->protocol == IPPROTO_UDP) {
		r.proto = CONN_PROTO_UDP;
		r.state = sk->dport ? CONN_STATE_UDP_CONNECTED : CONN_STATE_UDP_UNCONNECTED;
	} else {
		st = diag_tcp_state(sk->kstate);
		if (st < 0)
			return 0;
		r.proto = CONN_PROTO_TCP;
		r.state = (uint8_t)st;
	}
	r.family = sk->family;
	r.addr_family = sk->addr_family;
	r.sport = sk->sport;
	r.dport = sk->dport;
	memcpy(r.src, sk->src, sizeof(r.src));
	memcpy(r.dst, sk->dst, sizeof(r.dst));
	r.rqueue = sk->rqueue;
	r.wqueue = sk->wqueue;
	r.inode = sk->inode;
	r.uid = sk->uid;
	r.pid = -1;
	r.cc = CONN_CC_UNSET;
	if (sk->have & DIAG_HAVE_TCP_INFO) {
		r.has_info = true;
		r.rtt_us = sk->info.rtt_us;
		r.total_retrans = sk->info.total_retrans;
		r.retransmitting = diag_tcp_retransmitting(&sk->info);
	}
	if (r.state == DIAG_TCP_LISTEN && r.proto == CONN_PROTO_TCP) {
		r.direction = CONN_DIR_LISTEN;
		bitset_set(x->listening, r.sport); /* only the one listener worker writes */
	} else if (r.state == CONN_STATE_UDP_UNCONNECTED) {
		r.direction = CONN_DIR_LISTEN;
	} else if (census_scope_of(r.addr_family, r.dst) == CENSUS_SCOPE_LOOPBACK) {
		r.direction = CONN_DIR_LOCAL;
	} else if (r.proto == CONN_PROTO_TCP && bitset_test(x->listening, r.sport)) {
		r.direction = CONN_DIR_INBOUND;
		r.on_listener = true;
	} else {
		r.direction = CONN_DIR_OUTBOUND;
	}
	if (r.inode && owners_holders(x->owners, r.inode, &h) > 0) {
		const struct owners_proc *p = owners_proc_at(x->owners, h.slots[0]);
		if (p) {
			r.pid = p->pid;
			snprintf(r.comm, sizeof(r.comm), "%s", p->comm);
		}
		if (h.n > 1)
			r.holders = x->owners; /* unchanged until the answers are rendered */
	} else if (r.inode && x->nmissing[worker] < MAX_MISSING) {
		x->missing[worker][x->nmissing[worker]++] = r.inode;
	} else if (r.inode == 0 && r.proto == CONN_PROTO_TCP && !x->listen_phase &&
		   (r.state == DIAG_TCP_SYN_RECV || r.state == DIAG_TCP_TIME_WAIT)) {
		/* No process holds these: the listener they came through does. */
		uint32_t i;
		if (listen_map_find(&x->lmap, r.addr_family, r.src, r.sport, &i)) {
			r.pid = x->lowners[i].pid;
			memcpy(r.comm, x->lowners[i].comm, sizeof(r.comm));
			r.via_listener = true;
		}
	}
	if (x->listen_phase && r.direction == CONN_DIR_LISTEN && r.pid >= 0 &&
	    x->lmap.n < MAX_LISTENERS) {
		x->lowners[x->lmap.n].pid = r.pid;
		memcpy(x->lowners[x->lmap.n].comm, r.comm, sizeof(r.comm));
		listen_map_add(&x->lmap, r.addr_family, r.src, r.sport, (uint32_t)x->lmap.n);
	}
	if (r.direction == CONN_DIR_LOCAL && r.proto == CONN_PROTO_TCP)
		r.on_listener = bitset_test(x->listening, r.sport);
	if (x->need_asn && x->geo && r.direction != CONN_DIR_LISTEN &&
	    census_scope_of(r.addr_family, r.dst) == CENSUS_SCOPE_PUBLIC)
		geoip_asn(x->geo, r.addr_family, r.dst, &r.asn, NULL, 0);
	if (x->need_cc && x->geo) {
		if (r.direction == CONN_DIR_LISTEN ||
		    census_scope_of(r.addr_family, r.dst) != CENSUS_SCOPE_PUBLIC) {
			r.cc = CONN_CC_NONE;
		} else {
			r.cc = (uint16_t)geoip_country_cached(x->geo, x->cache[worker], r.addr_family, r.dst);
			if (r.cc == GEOIP_CC_NONE)
				r.cc = CONN_CC_UNKNOWN;
		}
	}
	r.ns = x->cur_ns;
	for (size_t i = 0; i < x->nviews && ret == 0; i++)
		ret = conn_view_add(x->views[i], worker, &r);
	return ret;
}

/* Kernel state mask of the non-listening TCP states any view wants. */
static uint32_t tcp_mask(const struct conn_explorer *x)
{
	uint32_t mask = 0;

	for (size_t i = 0; i < x->nviews; i++) {
		const struct conn_query *q = conn_view_query(x->views[i]);
		if (q->protos && !(q->protos & CONN_PROTO_TCP))
			continue;
		for (int st = 0; st < DIAG_TCP_STATE_COUNT; st++) {
			if (st == DIAG_TCP_LISTEN || (q->states && !(q->states & (1u << st))))
				continue;
			mask |= 1u << (st + DIAG_KSTATE_ESTABLISHED);
			if (st == DIAG_TCP_SYN_RECV)
				mask |= 1u << DIAG_KSTATE_NEW_SYN_RECV;
		}
	}
	return mask;
}

static bool want_udp(const struct conn_explorer *x)
{
	for (size_t i = 0; i < x->nviews; i++) {
		const struct conn_query *q = conn_view_query(x->views[i]);
		if ((!q->protos || (q->protos & CONN_PROTO_UDP)) &&
		    (!q->states || (q->states >> CONN_STATE_UDP_UNCONNECTED)))
			return true;
	}
	return false;
}

/* ---- the other namespaces (the netns collector's, through netns/share) ---- */

static int consume_ns(const struct diag_sock *sk, void *arg)
{
	return consume(arg, 0, sk);
}

/* One dump through a namespace's socket, with the explorer's buffer. */
static int ns_dump(struct conn_explorer *x, struct diag_nl *nl, uint8_t family, uint8_t protocol,
		   uint32_t states, uint8_t ext)
{
	int ret;

	nl->buf = x->nsbuf;
	ret = diag_nl_dump(nl, family, protocol, states, ext, NULL, consume_ns, x);
	nl->buf = NULL;
	return ret == -ENOENT ? 0 : ret; /* no such family there (IPv6 off) */
}

/* Listeners first (for the directions and the listeners' sockets), then
 * what the views want, as run_dump() does at home, in one thread. */
static int ns_dump_all(struct conn_explorer *x, struct diag_nl *nl, uint32_t mask, bool udp)
{
	int ret = 0;

	memset(x->listening, 0, sizeof(x->listening));
	listen_map_clear(&x->lmap);
	x->listen_phase = true;
	for (int f = 0; f < 2 && ret == 0; f++)
		ret = ns_dump(x, nl, f ? AF_INET6 : AF_INET, IPPROTO_TCP,
			      NL_DIAG_STATE(DIAG_KSTATE_LISTEN), 0);
	x->listen_phase = false;
	if (ret < 0)
		return ret;
	listen_map_freeze(&x->lmap);
	for (int f = 0; f < 2 && mask && ret == 0; f++)
		ret = ns_dump(x, nl, f ? AF_INET6 : AF_INET, IPPROTO_TCP, mask,
			      x->tcp_info ? NL_DIAG_EXT_INFO : 0);
	for (int f = 0; f < 2 && udp && ret == 0; f++)
		ret = ns_dump(x, nl, f ? AF_INET6 : AF_INET, IPPROTO_UDP, NL_DIAG_ALL_STATES, 0);
	return ret;
}

static int ns_grow(struct conn_explorer *x, size_t n)
{
	struct conn_ns *v;

	if (n <= x->cap_ns)
		return 0;
	v = realloc(x->ns, n * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	x->ns = v;
	x->cap_ns = n;
	return 0;
}

/* The same Kubernetes namespace gets the same number in one batch. */
static uint32_t ns_kns(const struct conn_explorer *x, const struct conn_ns *n)
{
	if (n->namespace_[0] == '\0')
		return 0;
	for (size_t i = 0; i < x->nns; i++)
		if (strcmp(x->ns[i].namespace_, n->namespace_) == 0)
			return x->ns[i].kns;
	return (uint32_t)x->nns + 1;
}

/* Copies the namespaces' labels, then dumps each: those with their own
 * hash table always (cheap), those on the shared table in turn after the
 * last batch's, at least one, then while the collector's census budget
 * lasts (each such dump walks the whole table). Rows point into x->ns: it does not move after. */
static int run_ns_dumps(struct conn_explorer *x, uint32_t mask, bool udp)
{
	const struct netns_table *t;
	double budget = 0, start;
	size_t first = 0, shared_done = 0;
	int ret = 0;

	x->netns_on = false;
	x->ns_skipped = x->ns_failed = 0;
	t = netns_share_begin(&budget);
	if (t == NULL)
		return 0;
	x->netns_on = true;
	if ((ret = ns_grow(x, t->len + 1)) < 0)
		goto out;
	for (size_t i = 0; i < t->len; i++) {
		const struct netns_entry *e = t->v[i];
		struct conn_ns *n = &x->ns[x->nns];
		memset(n, 0, sizeof(*n));
		n->ino = e->ino;
		snprintf(n->namespace_, sizeof(n->namespace_), "%s", e->id.namespace_);
		snprintf(n->pod, sizeof(n->pod), "%s", e->id.pod);
		snprintf(n->container, sizeof(n->container), "%s", e->id.container);
		n->kns = ns_kns(x, n);
		x->nns++;
		if (e->ino <= x->rr_ino)
			first = i + 1;
	}
	start = util_mono_now();
	for (size_t k = 0; k < t->len && ret == 0; k++) {
		size_t i = (first + k) % t->len;
		struct netns_entry *e = t->v[i];
		/* The init namespace's table is the global one (docs/netns.md). */
		bool shared = e->h.ehash <= 0 || e->ino == t->init_ino;
		if (netns_handle_ok(&e->h) < 0) {
			x->ns_failed++;
			continue;
		}
		if (shared && shared_done && util_mono_now() - start >= budget) {
			x->ns_skipped++;
			continue;
		}
		x->cur_ns = &x->ns[i + 1];
		ret = ns_dump_all(x, &e->h.nl, mask, udp);
		if (ret < 0 && ret != -EINTR && ret != -ENOMEM) { /* its rows may be partial */
			x->ns_failed++;
			ret = 0;
		}
		if (shared) {
			x->rr_ino = e->ino;
			shared_done++;
		}
	}
out:
	netns_share_end();
	x->cur_ns = &x->ns[0];
	return ret;
}

static int run_dump(struct conn_explorer *x)
{
	static const struct diag_dump_job listen_jobs[] = {
		{AF_INET, IPPROTO_TCP, NL_DIAG_STATE(DIAG_KSTATE_LISTEN), NULL},
		{AF_INET6, IPPROTO_TCP, NL_DIAG_STATE(DIAG_KSTATE_LISTEN), NULL},
	};
	struct diag_dump_job jobs[6];
	uint32_t mask = tcp_mask(x);
	size_t njobs = 0;
	int fd, ret;

	x->need_cc = x->need_asn = false;
	for (size_t i = 0; i < x->nviews; i++) {
		x->need_cc |= conn_view_needs_country(x->views[i]);
		x->need_asn |= conn_view_needs_asn(x->views[i]);
	}
	if (x->geo)
		geoip_refresh(x->geo);
	fd = open(x->cfg->procfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || owners_refresh(x->owners, fd, util_mono_ms()) < 0)
		log_msg(LOG_DEBUG, "connections: cannot list processes under %s", x->cfg->procfs);
	if (fd >= 0)
		close(fd);
	memset(x->nmissing, 0, sizeof(x->nmissing));
	if ((ret = ns_grow(x, 1)) < 0)
		goto out;
	x->nns = 1;
	memset(&x->ns[0], 0, sizeof(x->ns[0]));
	x->ns[0].ino = x->own_ino;
	x->ns[0].own = true;
	ret = run_ns_dumps(x, mask, want_udp(x));
	if (ret < 0)
		goto out;
	x->cur_ns = &x->ns[0];
	memset(x->listening, 0, sizeof(x->listening));
	listen_map_clear(&x->lmap);
	x->listen_phase = true;
	ret = diag_dump_run(&x->dump, 1, listen_jobs, 2, consume, x);
	x->listen_phase = false;
	if (ret < 0)
		goto out;
	listen_map_freeze(&x->lmap);
	for (int f = 0; f < 2 && mask; f++) {
		for (int h = 0; h < 2; h++)
			jobs[njobs++] = (struct diag_dump_job){f ? AF_INET6 : AF_INET, IPPROTO_TCP,
							      mask, &x->half[h],
							      x->tcp_info ? NL_DIAG_EXT_INFO : 0};
	}
	if (want_udp(x)) {
		jobs[njobs++] = (struct diag_dump_job){AF_INET, IPPROTO_UDP, NL_DIAG_ALL_STATES, NULL};
		jobs[njobs++] = (struct diag_dump_job){AF_INET6, IPPROTO_UDP, NL_DIAG_ALL_STATES, NULL};
	}
	ret = diag_dump_run(&x->dump, THREADS, jobs, njobs, consume, x);
	for (int w = 0; w < THREADS; w++)
		owners_note_missing(x->owners, x->missing[w], x->nmissing[w]);
out:
	return ret;
}

/* ---- rendering ---- */

static void put_addr(struct strbuf *sb, uint8_t fam, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(fam, a, buf, sizeof(buf));
	json_str(sb, buf);
}

static void put_cc(struct strbuf *sb, unsigned cc)
{
	char name[3];

	if (cc == CONN_CC_UNKNOWN) {
		json_str(sb, "unknown");
		return;
	}
	geoip_cc_name(cc, name);
	json_str(sb, name);
}

/* A tiny uid -> name memo for one answer. */
struct users {
	uint32_t uid[16];
	char name[16][33];
	size_t n;
};

static const char *user_name(struct users *u, uint32_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	size_t i;

	for (i = 0; i < u->n; i++)
		if (u->uid[i] == uid)
			return u->name[i];
	i = u->n < 16 ? u->n++ : 15;
	u->uid[i] = uid;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(u->name[i], sizeof(u->name[i]), "%s", res->pw_name);
	else
		snprintf(u->name[i], sizeof(u->name[i]), "%u", uid);
	return u->name[i];
}

static unsigned row_cc(const struct conn_explorer *x, const struct conn_row *r)
{
	unsigned cc;

	if (r->cc != CONN_CC_UNSET)
		return r->cc;
	if (r->direction == CONN_DIR_LISTEN ||
	    census_scope_of(r->addr_family, r->dst) != CENSUS_SCOPE_PUBLIC)
		return CONN_CC_NONE;
	cc = geoip_country(x->geo, r->addr_family, r->dst);
	return cc == GEOIP_CC_NONE ? CONN_CC_UNKNOWN : cc;
}

/* A row's remote network, as both formats show it. */
struct row_geo {
	bool geo;            /* a country database: cc is set */
	bool asn;            /* an ASN database and a public remote: asn, org are set */
	char cc[8];          /* "DE", "unknown", "" for private and loopback */
	uint32_t asn_n;      /* 0: unknown */
	char org[128];
};

static void row_geo(struct conn_explorer *x, const struct conn_row *r, struct row_geo *g)
{
	unsigned cc;

	memset(g, 0, sizeof(*g));
	if (!x->geo)
		return;
	g->geo = true;
	cc = row_cc(x, r);
	if (cc == CONN_CC_UNKNOWN)
		strcpy(g->cc, "unknown");
	else
		geoip_cc_name(cc, g->cc);
	if (geoip_has_asn(x->geo) && cc != CONN_CC_NONE) {
		g->asn = true;
		geoip_asn(x->geo, r->addr_family, r->dst, &g->asn_n, g->org, sizeof(g->org));
	}
}

/* Every owner of a row, first the one in its program and pid: a shared
 * socket's holders (up to OWNERS_MAX_HOLDERS, *more past them), else its
 * one owner, else none. each(arg, i, pid, comm) for each. */
static void row_owners(const struct conn_row *r, unsigned *more,
		       void (*each)(void *arg, unsigned i, int pid, const char *comm), void *arg)
{
	struct owners_holders h;
	unsigned n = 0;

	*more = 0;
	if (r->holders && owners_holders(r->holders, r->inode, &h) > 0) {
		for (unsigned i = 0; i < h.n; i++) {
			const struct owners_proc *p = owners_proc_at(r->holders, h.slots[i]);
			if (p)
				each(arg, n++, p->pid, p->comm);
		}
		*more = h.more;
	} else if (r->pid >= 0) {
		each(arg, 0, r->pid, r->comm);
	}
}

static void json_owner(void *arg, unsigned i, int pid, const char *comm)
{
	struct strbuf *sb = arg;

	sb_printf(sb, "%s{\"pid\":%d,\"program\":", i ? "," : "", pid);
	json_str(sb, comm);
	sb_putc(sb, '}');
}

/* "owners": [{pid, program}...], "owners_more": holders past the list. */
static void render_owners(const struct conn_row *r, struct strbuf *sb)
{
	unsigned more;

	sb_puts(sb, ",\"owners\":[");
	row_owners(r, &more, json_owner, sb);
	sb_printf(sb, "],\"owners_more\":%u", more);
}

/* A label, null when empty. */
static void json_label(struct strbuf *sb, const char *s)
{
	if (s[0])
		json_str(sb, s);
	else
		sb_puts(sb, "null");
}

/* A row's namespace fields: netns (its inode, as the netns collector's
 * label), namespace, pod, container (null when unknown). */
static void render_ns(const struct conn_ns *n, struct strbuf *sb)
{
	if (n == NULL) {
		sb_puts(sb, ",\"netns\":null,\"namespace\":null,\"pod\":null,\"container\":null");
		return;
	}
	sb_printf(sb, ",\"netns\":\"%llu\",\"namespace\":", (unsigned long long)n->ino);
	json_label(sb, n->namespace_);
	sb_puts(sb, ",\"pod\":");
	json_label(sb, n->pod);
	sb_puts(sb, ",\"container\":");
	json_label(sb, n->container);
}

static void render_row(struct conn_explorer *x, struct users *u, const struct conn_row *r,
		       struct strbuf *sb)
{
	struct row_geo g;

	sb_puts(sb, "{\"proto\":");
	json_str(sb, r->proto == CONN_PROTO_UDP ? "udp" : "tcp");
	sb_puts(sb, ",\"family\":");
	json_str(sb, r->family == AF_INET6 ? "ipv6" : "ipv4");
	sb_puts(sb, ",\"local\":");
	put_addr(sb, r->addr_family, r->src);
	sb_printf(sb, ",\"port\":%u,\"remote\":", r->sport);
	put_addr(sb, r->addr_family, r->dst);
	sb_printf(sb, ",\"rport\":%u,\"state\":", r->dport);
	json_str(sb, conn_state_name(r->state));
	sb_puts(sb, ",\"direction\":");
	json_str(sb, conn_direction_name(r->direction));
	sb_printf(sb, ",\"rqueue\":%u,\"wqueue\":%u,\"program\":", r->rqueue, r->wqueue);
	if (r->pid >= 0) {
		json_str(sb, r->comm);
		sb_printf(sb, ",\"pid\":%d,\"owner\":\"%s\"", r->pid, r->via_listener ? "listener" : "process");
	} else {
		sb_puts(sb, "null,\"pid\":null,\"owner\":null");
	}
	render_owners(r, sb);
	sb_printf(sb, ",\"uid\":%u,\"user\":", r->uid);
	json_str(sb, user_name(u, r->uid));
	sb_printf(sb, ",\"inode\":%u,\"country\":", r->inode);
	row_geo(x, r, &g);
	if (g.geo)
		json_str(sb, g.cc);
	else
		sb_puts(sb, "null");
	if (g.asn) {
		sb_puts(sb, ",\"asn\":");
		if (g.asn_n)
			sb_put_u64(sb, g.asn_n);
		else
			sb_puts(sb, "null");
		sb_puts(sb, ",\"as_org\":");
		json_str(sb, g.org);
	} else {
		sb_puts(sb, ",\"asn\":null,\"as_org\":null");
	}
	if (r->has_info)
		sb_printf(sb, ",\"rtt\":%u.%06u,\"retrans\":%u,\"retransmitting\":%s", r->rtt_us / 1000000,
			  r->rtt_us % 1000000, r->total_retrans, r->retransmitting ? "true" : "false");
	else
		sb_puts(sb, ",\"rtt\":null,\"retrans\":null,\"retransmitting\":null");
	render_ns(r->ns, sb);
	sb_putc(sb, '}');
}

/* ---- CSV (RFC 4180), the same fields as the JSON rows, null empty ---- */

#define CSV_ROW_HEADER \
	"proto,family,local,port,remote,rport,state,direction,rqueue,wqueue,program,pid,owner," \
	"uid,user,inode,country,asn,as_org,rtt,retrans,retransmitting,netns,namespace,pod,container," \
	"owners\r\n"

/* A text field: quoted when it holds a comma, quote or line break; one
 * starting with = + - @ (a formula to a spreadsheet) gets a leading '. */
static void csv_str(struct strbuf *sb, const char *s)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		sb_putc(sb, '"');
	if (strchr("=+-@", s[0]) && s[0])
		sb_putc(sb, '\'');
	for (; *s; s++) {
		if (*s == '"')
			sb_putc(sb, '"');
		sb_putc(sb, *s);
	}
	if (quote)
		sb_putc(sb, '"');
}

static void csv_addr(struct strbuf *sb, uint8_t fam, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(fam, a, buf, sizeof(buf));
	sb_puts(sb, buf);
}

/* The owners column: PID:PROGRAM for each owner, joined by ';' (a ';' or
 * '\\' in a program written '\\;', '\\\\'), then ";+N" for N holders past
 * the list. */
static void csv_owner(void *arg, unsigned i, int pid, const char *comm)
{
	struct strbuf *sb = arg;

	sb_printf(sb, "%s%d:", i ? ";" : "", pid);
	for (; *comm; comm++) {
		if (*comm == ';' || *comm == '\\')
			sb_putc(sb, '\\');
		sb_putc(sb, *comm);
	}
}

static void csv_owners(const struct conn_row *r, struct strbuf *sb)
{
	struct strbuf f;
	unsigned more;

	sb_init(&f);
	row_owners(r, &more, csv_owner, &f);
	if (more)
		sb_printf(&f, ";+%u", more);
	sb_putc(&f, '\0');
	if (f.err)
		sb->err = f.err;
	else
		csv_str(sb, f.buf);
	sb_fini(&f);
}

static void render_row_csv(struct conn_explorer *x, struct users *u, const struct conn_row *r,
			   struct strbuf *sb)
{
	struct row_geo g;

	sb_printf(sb, "%s,%s,", r->proto == CONN_PROTO_UDP ? "udp" : "tcp",
		  r->family == AF_INET6 ? "ipv6" : "ipv4");
	csv_addr(sb, r->addr_family, r->src);
	sb_printf(sb, ",%u,", r->sport);
	csv_addr(sb, r->addr_family, r->dst);
	sb_printf(sb, ",%u,%s,%s,%u,%u,", r->dport, conn_state_name(r->state),
		  conn_direction_name(r->direction), r->rqueue, r->wqueue);
	if (r->pid >= 0) {
		csv_str(sb, r->comm);
		sb_printf(sb, ",%d,%s", r->pid, r->via_listener ? "listener" : "process");
	} else {
		sb_puts(sb, ",,");
	}
	sb_printf(sb, ",%u,", r->uid);
	csv_str(sb, user_name(u, r->uid));
	sb_printf(sb, ",%u,", r->inode);
	row_geo(x, r, &g);
	sb_puts(sb, g.cc);
	sb_putc(sb, ',');
	if (g.asn && g.asn_n)
		sb_put_u64(sb, g.asn_n);
	sb_putc(sb, ',');
	csv_str(sb, g.org);
	if (r->has_info)
		sb_printf(sb, ",%u.%06u,%u,%s", r->rtt_us / 1000000, r->rtt_us % 1000000,
			  r->total_retrans, r->retransmitting ? "true" : "false");
	else
		sb_puts(sb, ",,,");
	if (r->ns) {
		sb_printf(sb, ",%llu,", (unsigned long long)r->ns->ino);
		csv_str(sb, r->ns->namespace_);
		sb_putc(sb, ',');
		csv_str(sb, r->ns->pod);
		sb_putc(sb, ',');
		csv_str(sb, r->ns->container);
	} else {
		sb_puts(sb, ",,,,");
	}
	sb_putc(sb, ',');
	csv_owners(r, sb);
	sb_puts(sb, "\r\n");
}

/* A group's key as text: an address, a program, a port, a country, an AS
 * number ("" for none), a prefix, a state. */
/* The namespace a pod or namespace group stands for (its first). */
static const struct conn_ns *group_ns(const struct conn_explorer *x, const struct conn_query *q,
				      const struct conn_group_rec *g)
{
	uint64_t ino;
	uint32_t kns;

	memcpy(&ino, g->key, 8);
	memcpy(&kns, g->key, 4);
	for (size_t i = 0; i < x->nns; i++)
		if (q->group == CONN_GROUP_POD ? x->ns[i].ino == ino : x->ns[i].kns == kns)
			return &x->ns[i];
	return NULL;
}

static void group_key_text(const struct conn_explorer *x, const struct conn_query *q,
			   const struct conn_group_rec *g, char *out, size_t len)
{
	uint16_t v;
	uint32_t asn;
	char addr[INET6_ADDRSTRLEN];
	uint8_t a[16] = {0};

	switch (q->group) {
	case CONN_GROUP_REMOTE:
		inet_ntop(g->key[0], g->key + 1, out, (socklen_t)len);
		break;
	case CONN_GROUP_PROGRAM: {
		struct conn_row r = {.via_listener = g->key[CONN_COMM_MAX] != 0};
		char prog[CONN_PROGRAM_MAX + 1];
		memcpy(r.comm, g->key, CONN_COMM_MAX);
		conn_row_program(&r, prog);
		snprintf(out, len, "%s", prog);
		break;
	}
	case CONN_GROUP_PORT:
	case CONN_GROUP_RPORT:
		memcpy(&v, g->key, 2);
		snprintf(out, len, "%u", v);
		break;
	case CONN_GROUP_ASN:
		memcpy(&asn, g->key, 4);
		if (asn)
			snprintf(out, len, "%u", asn);
		else
			out[0] = '\0';
		break;
	case CONN_GROUP_PREFIX:
		memcpy(a, g->key + 1, g->key[0] == AF_INET ? 3 : 6);
		inet_ntop(g->key[0], a, addr, sizeof(addr));
		snprintf(out, len, "%s/%s", addr, g->key[0] == AF_INET ? "24" : "48");
		break;
	case CONN_GROUP_STATE:
		snprintf(out, len, "%s", conn_state_name(g->key[0]));
		break;
	case CONN_GROUP_POD: { /* the pod, else the container, else the inode */
		const struct conn_ns *n = group_ns(x, q, g);
		uint64_t ino;
		memcpy(&ino, g->key, 8);
		if (n && n->pod[0])
			snprintf(out, len, "%s/%s", n->namespace_, n->pod);
		else if (n && n->container[0])
			snprintf(out, len, "%s", n->container);
		else
			snprintf(out, len, "%llu", (unsigned long long)ino);
		break;
	}
	case CONN_GROUP_NAMESPACE: {
		const struct conn_ns *n = group_ns(x, q, g);
		snprintf(out, len, "%s", n ? n->namespace_ : "");
		break;
	}
	default: {
		char cc[3];
		memcpy(&v, g->key, 2);
		if (v == CONN_CC_UNKNOWN) {
			snprintf(out, len, "unknown");
			break;
		}
		geoip_cc_name(v, cc);
		snprintf(out, len, "%s", cc);
		break;
	}
	}
}

static void render_group_key(const struct conn_explorer *x, const struct conn_query *q,
			     const struct conn_group_rec *g, struct strbuf *sb)
{
	char key[600];

	group_key_text(x, q, g, key, sizeof(key));
	if (q->group == CONN_GROUP_PORT || q->group == CONN_GROUP_RPORT)
		sb_puts(sb, key);
	else
		json_str(sb, key);
}

/* The AS organisation of an AS group (from one of its addresses). */
static void group_org(struct conn_explorer *x, const struct conn_group_rec *g, char *org, size_t len)
{
	uint32_t asn;

	org[0] = '\0';
	if (x->geo && g->sample_family)
		geoip_asn(x->geo, g->sample_family, g->sample, &asn, org, len);
}

static void render_groups_csv(struct conn_explorer *x, struct conn_view *v, struct strbuf *sb)
{
	const struct conn_query *q = conn_view_query(v);
	size_t n;
	const struct conn_group_rec *const *g = conn_view_groups(v, &n);

	sb_puts(sb, q->group == CONN_GROUP_ASN ? "key,as_org,sockets" : "key,sockets");
	for (unsigned s = 0; s < CONN_STATE_COUNT; s++)
		sb_printf(sb, ",%s", conn_state_name(s));
	sb_puts(sb, "\r\n");
	for (size_t i = 0; i < n; i++) {
		char key[600], org[128];
		group_key_text(x, q, g[i], key, sizeof(key));
		csv_str(sb, key);
		if (q->group == CONN_GROUP_ASN) {
			group_org(x, g[i], org, sizeof(org));
			sb_putc(sb, ',');
			csv_str(sb, org);
		}
		sb_printf(sb, ",%llu", (unsigned long long)g[i]->sockets);
		for (unsigned s = 0; s < CONN_STATE_COUNT; s++)
			sb_printf(sb, ",%u", g[i]->states[s]);
		sb_puts(sb, "\r\n");
	}
}

static void render_groups(struct conn_explorer *x, struct conn_view *v, struct strbuf *sb)
{
	const struct conn_query *q = conn_view_query(v);
	size_t n;
	const struct conn_group_rec *const *g = conn_view_groups(v, &n);

	sb_printf(sb, ",\"group\":\"%s\",\"groups_total\":%llu,\"untracked\":%llu,\"ungrouped\":%llu,\"groups\":[",
		  conn_group_name(q->group), (unsigned long long)conn_view_groups_total(v),
		  (unsigned long long)conn_view_untracked(v), (unsigned long long)conn_view_ungrouped(v));
	for (size_t i = 0; i < n; i++) {
		bool first = true;
		sb_puts(sb, i ? ",{\"key\":" : "{\"key\":");
		render_group_key(x, q, g[i], sb);
		if (q->group == CONN_GROUP_POD) {
			const struct conn_ns *ns = group_ns(x, q, g[i]);
			if (ns)
				render_ns(ns, sb);
		}
		if (q->group == CONN_GROUP_ASN) {
			char org[128];
			group_org(x, g[i], org, sizeof(org));
			sb_puts(sb, ",\"as_org\":");
			json_str(sb, org);
		}
		sb_printf(sb, ",\"sockets\":%llu,\"states\":{", (unsigned long long)g[i]->sockets);
		for (unsigned s = 0; s < CONN_STATE_COUNT; s++) {
			if (!g[i]->states[s])
				continue;
			sb_printf(sb, "%s\"%s\":%u", first ? "" : ",", conn_state_name(s), g[i]->states[s]);
			first = false;
		}
		sb_puts(sb, "},\"countries\":");
		if (!x->geo) {
			sb_puts(sb, "null}");
			continue;
		}
		sb_putc(sb, '{');
		first = true;
		for (int c = 0; c < CONN_GROUP_COUNTRIES && g[i]->cc_n[c]; c++) {
			sb_puts(sb, first ? "" : ",");
			put_cc(sb, g[i]->cc[c]);
			sb_printf(sb, ":%u", g[i]->cc_n[c]);
			first = false;
		}
		if (g[i]->cc_other)
			sb_printf(sb, "%s\"other\":%u", first ? "" : ",", g[i]->cc_other);
		sb_puts(sb, "}}");
	}
	sb_puts(sb, "]}\n");
}

static void render(struct conn_explorer *x, struct conn_view *v, struct strbuf *sb)
{
	const struct conn_query *q = conn_view_query(v);
	struct users u = {.n = 0};
	size_t n;
	const struct conn_row *rows;

	if (q->csv) {
		if (q->group != CONN_GROUP_NONE) {
			render_groups_csv(x, v, sb);
			return;
		}
		rows = conn_view_rows(v, &n);
		sb_puts(sb, CSV_ROW_HEADER);
		for (size_t i = 0; i < n; i++)
			render_row_csv(x, &u, &rows[i], sb);
		return;
	}
	sb_printf(sb, "{\"total\":%llu,\"limit\":%u,\"dump\":%llu,\"geoip\":%s,\"asn\":%s,"
		      "\"tcp_info\":%s,\"missing\":[%s%s%s]",
		  (unsigned long long)conn_view_total(v), q->limit, (unsigned long long)x->dump_id, x->geo ? "true" : "false",
		  x->geo && geoip_has_asn(x->geo) ? "true" : "false", x->tcp_info ? "true" : "false",
		  x->tcp_info ? "" : "\"rtt\",\"retrans\",\"retransmitting\"",
		  !x->tcp_info && !x->netns_on ? "," : "",
		  x->netns_on ? "" : "\"namespace\",\"pod\",\"container\"");
	/* Whose namespaces the rows come from: netns.collector false, only the
	 * exporter's own (own: its inode); skipped: shared-table namespaces past the budget (the
	 * next batch starts with them); failed: whose socket could not dump. */
	sb_printf(sb, ",\"netns\":{\"collector\":%s,\"own\":\"%llu\",\"namespaces\":%zu,\"skipped\":%zu,"
		      "\"failed\":%zu}",
		  x->netns_on ? "true" : "false", (unsigned long long)x->own_ino, x->nns, x->ns_skipped,
		  x->ns_failed);
	if (q->group != CONN_GROUP_NONE) {
		render_groups(x, v, sb);
		return;
	}
	rows = conn_view_rows(v, &n);
	sb_printf(sb, ",\"sort\":\"%s\",\"order\":\"%s\",\"returned\":%zu,\"rows\":[",
		  conn_column_name(q->sort), q->desc ? "desc" : "asc", n);
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_putc(sb, ',');
		render_row(x, &u, &rows[i], sb);
	}
	sb_puts(sb, "]}\n");
}

/* ---- the thread ---- */

static void answer(struct conn_request *r, int ret)
{
	r->ret = ret;
	r->done(r);
}

static void run_batch(struct conn_explorer *x, struct conn_request *batch)
{
	struct conn_request *r, *next;
	int ret = 0;

	x->nviews = 0;
	for (r = batch; r; r = r->next) {
		r->ret = -ENOMEM;
		x->views[x->nviews] = conn_view_new(&r->query, THREADS);
		if (x->views[x->nviews] == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		x->nviews++;
	}
	ret = run_dump(x);
	if (ret == -EINTR) { /* inconsistent dump: once more, from clean views */
		for (size_t i = 0; i < x->nviews; i++) {
			struct conn_view *v = conn_view_new(conn_view_query(x->views[i]), THREADS);
			if (v == NULL) {
				ret = -ENOMEM;
				goto out;
			}
			conn_view_free(x->views[i]);
			x->views[i] = v;
		}
		ret = run_dump(x);
	}
	if (ret < 0)
		log_msg(LOG_WARN, "connections: sock_diag dump failed: %s", strerror(-ret));
out:
	r = batch;
	for (size_t i = 0; r; i++, r = next) {
		next = r->next;
		int rr = ret;
		if (rr == 0 && i < x->nviews && (rr = conn_view_finish(x->views[i])) == 0) {
			render(x, x->views[i], &r->body);
			rr = r->body.err;
		}
		if (i < x->nviews)
			conn_view_free(x->views[i]);
		answer(r, rr);
	}
	x->nviews = 0;
}

static void *explorer_main(void *arg)
{
	struct conn_explorer *x = arg;

	pthread_mutex_lock(&x->lock);
	for (;;) {
		struct conn_request *batch = NULL, **tail = &batch;
		size_t n = 0;

		while (!x->queue && !x->stopping)
			pthread_cond_wait(&x->wake, &x->lock);
		if (x->stopping)
			break;
		/* Take up to MAX_BATCH, oldest first; the rest wait for the next dump. */
		while (x->queue && n < MAX_BATCH) {
			struct conn_request *r = x->queue;
			x->queue = r->next;
			r->next = NULL;
			*tail = r;
			tail = &r->next;
			n++;
		}
		x->dump_id = ++x->dumps;
		pthread_mutex_unlock(&x->lock);
		run_batch(x, batch);
		pthread_mutex_lock(&x->lock);
	}
	x->exited = true;
	pthread_cond_broadcast(&x->wake);
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

int conn_explorer_new(const struct config *cfg, struct conn_explorer **out, struct strbuf *err)
{
	struct conn_explorer *x = calloc(1, sizeof(*x));
	struct diag_bc_range range = DIAG_BC_DEFAULT_RANGE;
	pthread_condattr_t ca;
	bool started = false;
	int ret = -ENOMEM;

	*out = NULL;
	if (x == NULL)
		goto out;
	x->cfg = cfg;
	x->tcp_info = sockets_tcp_info(cfg);
	pthread_mutex_init(&x->lock, NULL);
	/* Closing waits on the monotonic clock. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&x->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (cfg->geoip_database) {
		ret = geoip_open(cfg->geoip_database, cfg->geoip_asn_database, &x->geo, err);
		if (ret < 0)
			goto out;
	}
	ret = -ENOMEM;
	x->owners = owners_new(0, RESCAN_MS);
	listen_map_init(&x->lmap, MAX_LISTENERS);
	x->lowners = malloc(MAX_LISTENERS * sizeof(*x->lowners));
	if (x->owners == NULL || x->lowners == NULL)
		goto out;
	for (int w = 0; w < THREADS; w++)
		if ((x->cache[w] = geoip_cache_new()) == NULL)
			goto out;
	/* Any range splits the dump exactly; the right one splits it evenly. */
	for (int h = 0; h < 2; h++) {
		int n = diag_bc_build(range, h == 1, x->half[h].ops, sizeof(x->half[h].ops));
		x->half[h].len = n > 0 ? (size_t)n : 0;
	}
	{
		struct stat st;
		if (stat("/proc/self/ns/net", &st) == 0)
			x->own_ino = st.st_ino;
	}
	x->nsbuf = malloc(NL_DIAG_BUF_SIZE);
	if (x->nsbuf == NULL)
		goto out;
	ret = diag_dump_init(&x->dump, THREADS);
	if (ret < 0)
		goto out;
	ret = -pthread_create(&x->thread, NULL, explorer_main, x);
	if (ret < 0)
		goto out;
	started = true;
	*out = x;
	x = NULL;
out:
	if (x && !started) {
		diag_dump_fini(&x->dump);
		for (int w = 0; w < THREADS; w++)
			geoip_cache_free(x->cache[w]);
		owners_free(x->owners);
		listen_map_fini(&x->lmap);
		free(x->lowners);
		free(x->nsbuf);
		geoip_free(x->geo);
		pthread_cond_destroy(&x->wake);
		pthread_mutex_destroy(&x->lock);
		free(x);
	}
	return ret;
}

void conn_explorer_close(struct conn_explorer *x)
{
	struct conn_request *r, *next;
	struct timespec until;
	bool join, exited;

	if (x == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += CONN_EXPLORER_STOP_GRACE_SECONDS;
	pthread_mutex_lock(&x->lock);
	join = !x->stopping;
	x->stopping = true;
	r = x->queue;
	x->queue = NULL;
	pthread_cond_broadcast(&x->wake);
	/* A bounded wait: a dump stuck in the kernel must not hold the exit. */
	while (join && !x->exited && pthread_cond_timedwait(&x->wake, &x->lock, &until) != ETIMEDOUT)
		;
	exited = x->exited;
	pthread_mutex_unlock(&x->lock);
	if (join && exited) {
		pthread_join(x->thread, NULL);
	} else if (join) {
		log_msg(LOG_WARN, "connections: a dump still running after %d s at shutdown: left to "
			"the exit", CONN_EXPLORER_STOP_GRACE_SECONDS);
		pthread_detach(x->thread);
		x->left = true;
	}
	for (; r; r = next) {
		next = r->next;
		answer(r, -ECANCELED);
	}
}

void conn_explorer_free(struct conn_explorer *x)
{
	if (x == NULL)
		return;
	conn_explorer_close(x);
	if (x->left)
		return; /* its thread still uses x: the process is exiting */
	diag_dump_fini(&x->dump);
	for (int w = 0; w < THREADS; w++)
		geoip_cache_free(x->cache[w]);
	owners_free(x->owners);
	listen_map_fini(&x->lmap);
	free(x->lowners);
	free(x->nsbuf);
	free(x->ns);
	geoip_free(x->geo);
	pthread_cond_destroy(&x->wake);
	pthread_mutex_destroy(&x->lock);
	free(x);
}

void conn_explorer_submit(struct conn_explorer *x, struct conn_request *r)
{
	struct conn_request **tail;
	const struct conn_query *q = &r->query;

	r->next = NULL;
	sb_init(&r->body);
	if ((!x->geo && (q->has_country || q->sort == CONN_COL_COUNTRY || q->group == CONN_GROUP_COUNTRY)) ||
	    ((!x->geo || !geoip_has_asn(x->geo)) && (q->has_asn || q->group == CONN_GROUP_ASN))) {
		answer(r, -ENOTSUP);
		return;
	}
	pthread_mutex_lock(&x->lock);
	if (x->stopping) {
		pthread_mutex_unlock(&x->lock);
		answer(r, -ECANCELED);
		return;
	}
	for (tail = &x->queue; *tail; tail = &(*tail)->next)
		;
	*tail = r;
	pthread_cond_signal(&x->wake);
	pthread_mutex_unlock(&x->lock);
}
