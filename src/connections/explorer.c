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
#include <unistd.h>

#include "collectors/sockets.h"
#include "connections/view.h"
#include "expo/json.h"
#include "geoip/geoip.h"
#include "log.h"
#include "owners/cache.h"
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
	bool tcp_info;              /* --collector.sockets.tcp-info: ask INET_DIAG_INFO */
	uint64_t listening[BITSET_WORDS(65536)]; /* TCP ports with a listener, this dump */
	uint32_t missing[THREADS][MAX_MISSING];
	size_t nmissing[THREADS];

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;        /* to the thread: a request or stopping; from it: exited */
	bool stopping;
	bool exited;                /* guarded by lock: the thread is done */
	bool left;                  /* closing gave up waiting: the thread still uses x */
	struct conn_request *queue; /* guarded by lock */
	uint64_t dumps;             /* guarded by lock: dumps run since start */
	uint64_t dump_id;           /* the running dump's number, for the answer */
};

/* ---- one dump ---- */

static int consume(void *arg, unsigned worker, const struct diag_sock *sk)
{
	struct conn_explorer *x = arg;
	struct conn_row r;
	int slot, st, ret = 0;

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
	} else {
		r.direction = CONN_DIR_OUTBOUND;
	}
	slot = r.inode ? owners_lookup(x->owners, r.inode) : -1;
	if (slot >= 0) {
		const struct owners_proc *p = owners_proc_at(x->owners, (unsigned)slot);
		if (p) {
			r.pid = p->pid;
			snprintf(r.comm, sizeof(r.comm), "%s", p->comm);
		}
	} else if (r.inode && x->nmissing[worker] < MAX_MISSING) {
		x->missing[worker][x->nmissing[worker]++] = r.inode;
	}
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

	x->need_cc = false;
	for (size_t i = 0; i < x->nviews; i++)
		x->need_cc |= conn_view_needs_country(x->views[i]);
	if (x->geo)
		geoip_refresh(x->geo);
	fd = open(x->cfg->procfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || owners_refresh(x->owners, fd, util_mono_ms()) < 0)
		log_msg(LOG_DEBUG, "connections: cannot list processes under %s", x->cfg->procfs);
	if (fd >= 0)
		close(fd);
	memset(x->listening, 0, sizeof(x->listening));
	memset(x->nmissing, 0, sizeof(x->nmissing));
	ret = diag_dump_run(&x->dump, 1, listen_jobs, 2, consume, x);
	if (ret < 0)
		goto out;
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

static void render_row(struct conn_explorer *x, struct users *u, const struct conn_row *r,
		       struct strbuf *sb)
{
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
		sb_printf(sb, ",\"pid\":%d", r->pid);
	} else {
		sb_puts(sb, "null,\"pid\":null");
	}
	sb_printf(sb, ",\"uid\":%u,\"user\":", r->uid);
	json_str(sb, user_name(u, r->uid));
	sb_printf(sb, ",\"inode\":%u,\"country\":", r->inode);
	if (x->geo) {
		unsigned cc = row_cc(x, r);
		put_cc(sb, cc);
		if (geoip_has_asn(x->geo) && cc != CONN_CC_NONE) {
			uint32_t asn;
			char org[128];
			geoip_asn(x->geo, r->addr_family, r->dst, &asn, org, sizeof(org));
			sb_puts(sb, ",\"asn\":");
			if (asn)
				sb_put_u64(sb, asn);
			else
				sb_puts(sb, "null");
			sb_puts(sb, ",\"as_org\":");
			json_str(sb, org);
		} else {
			sb_puts(sb, ",\"asn\":null,\"as_org\":null");
		}
	} else {
		sb_puts(sb, "null,\"asn\":null,\"as_org\":null");
	}
	if (r->has_info)
		sb_printf(sb, ",\"rtt\":%u.%06u,\"retrans\":%u,\"retransmitting\":%s", r->rtt_us / 1000000,
			  r->rtt_us % 1000000, r->total_retrans, r->retransmitting ? "true" : "false");
	else
		sb_puts(sb, ",\"rtt\":null,\"retrans\":null,\"retransmitting\":null");
	/* Not collected by this dump yet: namespaces, pod identity. */
	sb_puts(sb, ",\"netns\":null,\"pod\":null,\"container\":null}");
}

static void render_group_key(const struct conn_query *q, const struct conn_group_rec *g,
			     struct strbuf *sb)
{
	uint16_t v;

	switch (q->group) {
	case CONN_GROUP_REMOTE:
		put_addr(sb, g->key[0], g->key + 1);
		break;
	case CONN_GROUP_PROGRAM:
		json_strn(sb, (const char *)g->key, strnlen((const char *)g->key, sizeof(g->key)));
		break;
	case CONN_GROUP_PORT:
		memcpy(&v, g->key, 2);
		sb_put_u64(sb, v);
		break;
	default:
		memcpy(&v, g->key, 2);
		put_cc(sb, v);
		break;
	}
}

static void render_groups(struct conn_explorer *x, struct conn_view *v, struct strbuf *sb)
{
	const struct conn_query *q = conn_view_query(v);
	size_t n;
	const struct conn_group_rec *const *g = conn_view_groups(v, &n);

	sb_printf(sb, ",\"group\":\"%s\",\"groups_total\":%llu,\"untracked\":%llu,\"groups\":[",
		  conn_group_name(q->group), (unsigned long long)conn_view_groups_total(v),
		  (unsigned long long)conn_view_untracked(v));
	for (size_t i = 0; i < n; i++) {
		bool first = true;
		sb_puts(sb, i ? ",{\"key\":" : "{\"key\":");
		render_group_key(q, g[i], sb);
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

	sb_printf(sb, "{\"total\":%llu,\"limit\":%u,\"dump\":%llu,\"geoip\":%s,\"asn\":%s,"
		      "\"tcp_info\":%s,\"missing\":[%s\"netns\",\"pod\",\"container\"]",
		  (unsigned long long)conn_view_total(v), q->limit, (unsigned long long)x->dump_id, x->geo ? "true" : "false",
		  x->geo && geoip_has_asn(x->geo) ? "true" : "false", x->tcp_info ? "true" : "false",
		  x->tcp_info ? "" : "\"rtt\",\"retrans\",\"retransmitting\",");
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
	if (x->owners == NULL)
		goto out;
	for (int w = 0; w < THREADS; w++)
		if ((x->cache[w] = geoip_cache_new()) == NULL)
			goto out;
	/* Any range splits the dump exactly; the right one splits it evenly. */
	for (int h = 0; h < 2; h++) {
		int n = diag_bc_build(range, h == 1, x->half[h].ops, sizeof(x->half[h].ops));
		x->half[h].len = n > 0 ? (size_t)n : 0;
	}
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
	if (!x->geo && (q->has_country || q->sort == CONN_COL_COUNTRY || q->group == CONN_GROUP_COUNTRY)) {
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
