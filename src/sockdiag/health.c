/* sockdiag/health: per-port service health. See sockdiag/health.h. */
#include "sockdiag/health.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bitset.h"

const double health_rtt_bounds[HEALTH_RTT_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
/* The same bounds in tcpi_rtt's unit, for the hot path. */
static const uint32_t rtt_bounds_us[HEALTH_RTT_BUCKETS] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000,
	50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

/* One TCP port in one direction. */
struct tcp_port {
	uint16_t port;
	uint32_t sockets;       /* non-listening, any state: the census's ranking */
	uint32_t rq_nonempty;   /* sockets with bytes waiting to be read */
	uint64_t rqueue, wqueue;
	/* Established sockets with tcp_info: */
	uint32_t rtt[HEALTH_RTT_BUCKETS + 1];
	uint32_t info_sockets;
	uint32_t retransmitting;
	uint64_t rtt_us_sum;
	uint64_t total_retrans;
	uint64_t bytes_acked, bytes_received;
};

struct udp_port {
	uint16_t port;
	uint32_t sockets;
	uint64_t rqueue;
	uint64_t drops;
};

/* Entries of one kind by port; every entry type starts with its uint16_t port. */
struct ptab {
	uint32_t idx[65536]; /* 1-based index into ents; 0: port not seen */
	uint8_t *ents;       /* owned; n entries of size bytes */
	size_t n, cap, size;
};

struct health {
	struct ptab tcp[CENSUS_DIR_COUNT];
	struct ptab udp;
};

static void *ptab_at(const struct ptab *t, size_t i)
{
	return t->ents + i * t->size;
}

/* The entry of port, added zeroed if new; NULL on ENOMEM. */
static void *ptab_get(struct ptab *t, uint16_t port)
{
	uint8_t *e;

	if (t->idx[port] != 0)
		return ptab_at(t, t->idx[port] - 1);
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		uint8_t *p = realloc(t->ents, cap * t->size);
		if (p == NULL)
			return NULL;
		t->ents = p;
		t->cap = cap;
	}
	e = ptab_at(t, t->n++);
	memset(e, 0, t->size);
	memcpy(e, &port, sizeof(port));
	t->idx[port] = (uint32_t)t->n;
	return e;
}

static void ptab_reset(struct ptab *t)
{
	/* Clearing only what was used is cheaper than 256 KiB. */
	for (size_t i = 0; i < t->n; i++) {
		uint16_t port;
		memcpy(&port, ptab_at(t, i), sizeof(port));
		t->idx[port] = 0;
	}
	t->n = 0;
}

struct health *health_new(void)
{
	struct health *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	for (int d = 0; d < CENSUS_DIR_COUNT; d++)
		h->tcp[d].size = sizeof(struct tcp_port);
	h->udp.size = sizeof(struct udp_port);
	return h;
}

void health_free(struct health *h)
{
	if (h == NULL)
		return;
	for (int d = 0; d < CENSUS_DIR_COUNT; d++)
		free(h->tcp[d].ents);
	free(h->udp.ents);
	free(h);
}

void health_reset(struct health *h)
{
	for (int d = 0; d < CENSUS_DIR_COUNT; d++)
		ptab_reset(&h->tcp[d]);
	ptab_reset(&h->udp);
}

static unsigned rtt_bucket(uint32_t us)
{
	unsigned i = 0;

	while (i < HEALTH_RTT_BUCKETS && us > rtt_bounds_us[i])
		i++;
	return i;
}

int health_add_tcp(struct health *h, enum census_dir dir, uint16_t port, const struct diag_sock *s)
{
	struct tcp_port *p = ptab_get(&h->tcp[dir], port);

	if (p == NULL)
		return -ENOMEM;
	p->sockets++;
	p->rqueue += s->rqueue;
	p->wqueue += s->wqueue;
	p->rq_nonempty += s->rqueue > 0;
	/* Only established sockets: the others' RTT and retransmissions
	 * describe a connection that is over or not yet up. */
	if (s->kstate != DIAG_KSTATE_ESTABLISHED || !(s->have & DIAG_HAVE_TCP_INFO))
		return 0;
	p->info_sockets++;
	p->rtt[rtt_bucket(s->info.rtt_us)]++;
	p->rtt_us_sum += s->info.rtt_us;
	p->retransmitting += diag_tcp_retransmitting(&s->info);
	p->total_retrans += s->info.total_retrans;
	p->bytes_acked += s->info.bytes_acked;
	p->bytes_received += s->info.bytes_received;
	return 0;
}

int health_add_udp(struct health *h, const struct diag_sock *s)
{
	struct udp_port *p = ptab_get(&h->udp, s->sport);

	if (p == NULL)
		return -ENOMEM;
	p->sockets++;
	p->rqueue += s->rqueue;
	p->drops += s->drops;
	return 0;
}

static void tcp_sum(struct tcp_port *dst, const struct tcp_port *src)
{
	dst->sockets += src->sockets;
	dst->rq_nonempty += src->rq_nonempty;
	dst->rqueue += src->rqueue;
	dst->wqueue += src->wqueue;
	for (int b = 0; b <= HEALTH_RTT_BUCKETS; b++)
		dst->rtt[b] += src->rtt[b];
	dst->info_sockets += src->info_sockets;
	dst->retransmitting += src->retransmitting;
	dst->rtt_us_sum += src->rtt_us_sum;
	dst->total_retrans += src->total_retrans;
	dst->bytes_acked += src->bytes_acked;
	dst->bytes_received += src->bytes_received;
}

static void udp_sum(struct udp_port *dst, const struct udp_port *src)
{
	dst->sockets += src->sockets;
	dst->rqueue += src->rqueue;
	dst->drops += src->drops;
}

int health_merge(struct health *dst, const struct health *src)
{
	for (int d = 0; d < CENSUS_DIR_COUNT; d++) {
		for (size_t i = 0; i < src->tcp[d].n; i++) {
			const struct tcp_port *sp = ptab_at(&src->tcp[d], i);
			struct tcp_port *dp = ptab_get(&dst->tcp[d], sp->port);
			if (dp == NULL)
				return -ENOMEM;
			tcp_sum(dp, sp);
		}
	}
	for (size_t i = 0; i < src->udp.n; i++) {
		const struct udp_port *sp = ptab_at(&src->udp, i);
		struct udp_port *dp = ptab_get(&dst->udp, sp->port);
		if (dp == NULL)
			return -ENOMEM;
		udp_sum(dp, sp);
	}
	return 0;
}

/* ---- emission ---- */

/* The tcp_info families, in enum order. */
static bool needs_tcp_info(enum health_metric m)
{
	return m >= HEALTH_METRIC_TCP_PORT_RTT_SECONDS && m <= HEALTH_METRIC_TCP_PORT_RECEIVED_BYTES;
}

static const char *const dir_names[CENSUS_DIR_COUNT] = {"inbound", "outbound"};

/* One series' worth of a port: its entry (or a zero one), and its label. */
struct row {
	const void *entry;
	char label[8];
	bool allowed;
};

/* Ranking keys (census_rank_ports): TCP ports by sockets, as the census
 * ranks them; UDP ports by drops, then queued bytes. */
static void tcp_key(const void *e, uint64_t key[2])
{
	const struct tcp_port *p = e;
	key[0] = p->sockets;
	key[1] = 0;
}

static void udp_key(const void *e, uint64_t key[2])
{
	const struct udp_port *p = e;
	key[0] = p->drops;
	key[1] = p->rqueue;
}

/* The rows of one table, in port order, then "other" (summed into *other)
 * when some ports are left out. key gives a candidate's ranking key; with
 * need_key a port whose key is zero never enters the top N. Returns the row
 * count, or -ENOMEM. *rows is the caller's to free. */
static long pick_rows(const struct ptab *t, const struct health_opts *o,
		      void (*key)(const void *, uint64_t[2]), bool need_key,
		      void (*sum)(void *, const void *), void *other, const void *zero, struct row **rows)
{
	struct census_rank *cand = NULL;
	bool *chosen = NULL;
	size_t nallow = 0, ncand = 0, nrows = 0, ntop;
	bool any_other = false;
	long ret;

	for (size_t w = 0; o->ports && w < BITSET_WORDS(65536); w++)
		nallow += (size_t)__builtin_popcountll(o->ports[w]);
	cand = malloc((t->n + 1) * sizeof(*cand));
	chosen = calloc(65536, sizeof(*chosen));
	*rows = malloc((t->n + nallow + 1) * sizeof(**rows));
	if (cand == NULL || chosen == NULL || *rows == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < t->n; i++) {
		const uint8_t *e = ptab_at(t, i);
		uint16_t port;
		memcpy(&port, e, sizeof(port));
		if (o->ports && bitset_test(o->ports, port))
			continue;
		cand[ncand].port = port;
		cand[ncand].entry = e;
		key(e, cand[ncand++].key);
	}
	ntop = census_rank_ports(cand, ncand, o->top_ports, need_key);
	for (size_t i = 0; i < ncand; i++) {
		if (i < ntop) {
			chosen[cand[i].port] = true;
			continue;
		}
		any_other = true;
		sum(other, cand[i].entry);
	}
	for (uint32_t port = 0; port < 65536; port++) {
		bool allowed = o->ports && bitset_test(o->ports, port);
		struct row *r;
		if (!allowed && !chosen[port])
			continue;
		r = &(*rows)[nrows++];
		r->entry = t->idx[port] ? ptab_at(t, t->idx[port] - 1) : zero;
		r->allowed = allowed;
		snprintf(r->label, sizeof(r->label), "%u", (unsigned)port);
	}
	if (any_other) {
		struct row *r = &(*rows)[nrows++];
		r->entry = other;
		r->allowed = false;
		snprintf(r->label, sizeof(r->label), "other");
	}
	ret = (long)nrows;
out:
	free(cand);
	free(chosen);
	return ret;
}

static void sum_tcp(void *dst, const void *src)
{
	tcp_sum(dst, src);
}

static void sum_udp(void *dst, const void *src)
{
	udp_sum(dst, src);
}

static uint64_t tcp_value(const struct tcp_port *p, enum health_metric m)
{
	switch (m) {
	case HEALTH_METRIC_TCP_PORT_RECEIVE_QUEUE_BYTES:
		return p->rqueue;
	case HEALTH_METRIC_TCP_PORT_SEND_QUEUE_BYTES:
		return p->wqueue;
	case HEALTH_METRIC_TCP_PORT_RECEIVE_QUEUE_NONEMPTY_SOCKETS:
		return p->rq_nonempty;
	case HEALTH_METRIC_TCP_PORT_RETRANSMITTING_SOCKETS:
		return p->retransmitting;
	case HEALTH_METRIC_TCP_PORT_RETRANSMITTED_SEGMENTS:
		return p->total_retrans;
	case HEALTH_METRIC_TCP_PORT_ACKED_BYTES:
		return p->bytes_acked;
	case HEALTH_METRIC_TCP_PORT_RECEIVED_BYTES:
		return p->bytes_received;
	default:
		return 0;
	}
}

/* A sample's labels: its own, then the constant ones. */
struct labels {
	struct expo_label l[2 + HEALTH_MAX_CONST_LABELS];
	size_t n;
};

static void labels_set(struct labels *ls, const struct expo_label *own, size_t nown,
		       const struct expo_label *extra, size_t nextra)
{
	ls->n = 0;
	for (size_t i = 0; i < nown; i++)
		ls->l[ls->n++] = own[i];
	for (size_t i = 0; i < nextra; i++)
		ls->l[ls->n++] = extra[i];
}

static void emit_tcp_row(struct expo_family *f, enum health_metric m, const char *dir,
			 const struct row *r, const struct expo_label *extra, size_t nextra)
{
	const struct tcp_port *p = r->entry;
	struct labels ls;

	/* The tcp_info families: ports with established sockets, and the
	 * allowlist always. */
	if (needs_tcp_info(m) && p->info_sockets == 0 && !r->allowed)
		return;
	labels_set(&ls, EXPO_LABELS({"direction", dir}, {"port", r->label}), extra, nextra);
	if (m == HEALTH_METRIC_TCP_PORT_RTT_SECONDS) {
		uint64_t counts[HEALTH_RTT_BUCKETS + 1];
		for (int b = 0; b <= HEALTH_RTT_BUCKETS; b++)
			counts[b] = p->rtt[b];
		expo_add_gaugehistogram(f, health_rtt_bounds, counts, HEALTH_RTT_BUCKETS,
					(double)p->rtt_us_sum / 1e6, ls.l, ls.n);
		return;
	}
	expo_add_u64(f, tcp_value(p, m), ls.l, ls.n);
}

int health_emit(const struct health *h, const struct health_opts *o, struct health_out *out,
		const struct expo_label *labels, size_t nlabels)
{
	static const struct tcp_port tcp_zero;
	static const struct udp_port udp_zero;
	struct tcp_port tcp_other[CENSUS_DIR_COUNT];
	struct udp_port udp_other;
	struct row *rows[CENSUS_DIR_COUNT] = {NULL}, *urows = NULL;
	long nrows[CENSUS_DIR_COUNT], nurows;
	int ret = -EINVAL;

	if (nlabels > HEALTH_MAX_CONST_LABELS)
		goto out;
	memset(tcp_other, 0, sizeof(tcp_other));
	memset(&udp_other, 0, sizeof(udp_other));
	for (int d = 0; d < CENSUS_DIR_COUNT; d++) {
		nrows[d] = pick_rows(&h->tcp[d], o, tcp_key, false, sum_tcp, &tcp_other[d],
				     &tcp_zero, &rows[d]);
		if (nrows[d] < 0) {
			ret = (int)nrows[d];
			goto out;
		}
	}
	nurows = pick_rows(&h->udp, o, udp_key, true, sum_udp, &udp_other, &udp_zero, &urows);
	if (nurows < 0) {
		ret = (int)nurows;
		goto out;
	}
	for (int m = 0; m < HEALTH_METRIC_COUNT; m++) {
		struct expo_family *f;
		if (needs_tcp_info(m) && !o->tcp_info)
			continue;
		f = expo_family_once(out->e, &out->desc[m], &out->fam[m]);
		if (m == HEALTH_METRIC_UDP_PORT_RECEIVE_QUEUE_BYTES ||
		    m == HEALTH_METRIC_UDP_PORT_DROPPED_DATAGRAMS) {
			for (long i = 0; i < nurows; i++) {
				const struct udp_port *p = urows[i].entry;
				struct labels ls;
				labels_set(&ls, EXPO_LABELS({"port", urows[i].label}), labels, nlabels);
				expo_add_u64(f, m == HEALTH_METRIC_UDP_PORT_RECEIVE_QUEUE_BYTES ? p->rqueue : p->drops,
					     ls.l, ls.n);
			}
			continue;
		}
		for (int d = 0; d < CENSUS_DIR_COUNT; d++)
			for (long i = 0; i < nrows[d]; i++)
				emit_tcp_row(f, m, dir_names[d], &rows[d][i], labels, nlabels);
	}
	ret = expo_error(out->e);
out:
	for (int d = 0; d < CENSUS_DIR_COUNT; d++)
		free(rows[d]);
	free(urows);
	return ret;
}
