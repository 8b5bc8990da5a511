/* sockdiag/health: per-port service health. See sockdiag/health.h. */
#include "sockdiag/health.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	p->retransmitting += s->info.retrans > 0 || s->info.ca_state == DIAG_TCP_CA_RECOVERY ||
			     s->info.ca_state == DIAG_TCP_CA_LOSS;
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

/* The families, in exposition order. */
enum health_family {
	HF_TCP_RQUEUE = 0,
	HF_TCP_WQUEUE,
	HF_TCP_RQ_NONEMPTY,
	HF_TCP_RTT,
	HF_TCP_RETRANSMITTING,
	HF_TCP_RETRANS_SEGS,
	HF_TCP_ACKED,
	HF_TCP_RECEIVED,
	HF_UDP_RQUEUE,
	HF_UDP_DROPS,
	HF_COUNT
};

static const struct {
	const char *name;
	enum expo_type type;
	bool tcp_info; /* only with --collector.sockets.tcp-info */
	const char *help;
} families[HF_COUNT] = {
	[HF_TCP_RQUEUE] = {"netstat_tcp_port_receive_queue_bytes", EXPO_GAUGE, false,
		"Bytes received but not yet read by the application (ss Recv-Q), summed over a port's "
		"non-listening TCP sockets, by direction."},
	[HF_TCP_WQUEUE] = {"netstat_tcp_port_send_queue_bytes", EXPO_GAUGE, false,
		"Bytes sent but not yet acknowledged by the peer, or not yet sent (ss Send-Q), summed "
		"over a port's non-listening TCP sockets, by direction."},
	[HF_TCP_RQ_NONEMPTY] = {"netstat_tcp_port_receive_queue_nonempty_sockets", EXPO_GAUGE, false,
		"Non-listening TCP sockets of a port with bytes waiting to be read, by direction."},
	[HF_TCP_RTT] = {"netstat_tcp_port_rtt_seconds", EXPO_GAUGEHISTOGRAM, true,
		"Smoothed round-trip time (tcpi_rtt, ss rtt:) of a port's established TCP sockets, "
		"by direction: how many sockets are in each bucket now."},
	[HF_TCP_RETRANSMITTING] = {"netstat_tcp_port_retransmitting_sockets", EXPO_GAUGE, true,
		"Established TCP sockets of a port in loss recovery (tcpi_ca_state Recovery or Loss) or "
		"with retransmitted segments not yet acknowledged (tcpi_retrans, ss retrans:N/), by direction."},
	[HF_TCP_RETRANS_SEGS] = {"netstat_tcp_port_retransmitted_segments", EXPO_GAUGE, true,
		"Segments retransmitted over their lifetime (tcpi_total_retrans, ss retrans:/N), summed "
		"over a port's established TCP sockets, by direction: a sum over live sockets, not a counter."},
	[HF_TCP_ACKED] = {"netstat_tcp_port_acked_bytes", EXPO_GAUGE, true,
		"Bytes acknowledged by the peer (tcpi_bytes_acked, ss bytes_acked:), summed over a port's "
		"established TCP sockets, by direction: a sum over live sockets, not a counter."},
	[HF_TCP_RECEIVED] = {"netstat_tcp_port_received_bytes", EXPO_GAUGE, true,
		"Bytes received (tcpi_bytes_received, ss bytes_received:), summed over a port's "
		"established TCP sockets, by direction: a sum over live sockets, not a counter."},
	[HF_UDP_RQUEUE] = {"netstat_udp_port_receive_queue_bytes", EXPO_GAUGE, false,
		"Memory held by datagrams not yet read (ss Recv-Q) of the UDP sockets bound to a local port."},
	[HF_UDP_DROPS] = {"netstat_udp_port_dropped_datagrams", EXPO_GAUGE, false,
		"Datagrams dropped by the UDP sockets bound to a local port (SK_MEMINFO_DROPS, ss -m d), "
		"mostly for a full receive buffer: a sum over live sockets, not a counter."},
};

static const char *const dir_names[CENSUS_DIR_COUNT] = {"inbound", "outbound"};

static bool bit_get(const uint64_t *bits, uint16_t i)
{
	return bits != NULL && ((bits[i >> 6] >> (i & 63)) & 1);
}

/* One series' worth of a port: its entry (or a zero one), and its label. */
struct row {
	const void *entry;
	char label[8];
	bool allowed;
};

static int cmp_tcp_rank(const void *a, const void *b)
{
	const struct tcp_port *x = *(const struct tcp_port *const *)a;
	const struct tcp_port *y = *(const struct tcp_port *const *)b;

	if (x->sockets != y->sockets)
		return x->sockets < y->sockets ? 1 : -1;
	return (x->port > y->port) - (x->port < y->port);
}

static int cmp_udp_rank(const void *a, const void *b)
{
	const struct udp_port *x = *(const struct udp_port *const *)a;
	const struct udp_port *y = *(const struct udp_port *const *)b;

	if (x->drops != y->drops)
		return x->drops < y->drops ? 1 : -1;
	if (x->rqueue != y->rqueue)
		return x->rqueue < y->rqueue ? 1 : -1;
	return (x->port > y->port) - (x->port < y->port);
}

/* Does a UDP port earn a place in the top N at all? */
static bool udp_notable(const void *e)
{
	const struct udp_port *p = e;
	return p->drops > 0 || p->rqueue > 0;
}

/* The rows of one table, in port order, then "other" (summed into *other)
 * when some ports are left out. rank sorts candidates best first; notable
 * (may be NULL) says which may enter the top N. Returns the row count, or
 * -ENOMEM. *rows is the caller's to free. */
static long pick_rows(const struct ptab *t, const struct health_opts *o,
		      int (*rank)(const void *, const void *), bool (*notable)(const void *),
		      void (*sum)(void *, const void *), void *other, const void *zero, struct row **rows)
{
	const uint8_t **cand = NULL;
	bool *chosen = NULL;
	size_t nallow = 0, ncand = 0, nrows = 0;
	bool any_other = false;
	long ret;

	for (size_t w = 0; o->ports && w < 65536 / 64; w++)
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
		if (!bit_get(o->ports, port))
			cand[ncand++] = e;
	}
	qsort(cand, ncand, sizeof(*cand), rank);
	for (size_t i = 0, top = 0; i < ncand; i++) {
		uint16_t port;
		memcpy(&port, cand[i], sizeof(port));
		if (top < o->top_ports && (notable == NULL || notable(cand[i]))) {
			chosen[port] = true;
			top++;
			continue;
		}
		any_other = true;
		sum(other, cand[i]);
	}
	for (uint32_t port = 0; port < 65536; port++) {
		bool allowed = bit_get(o->ports, (uint16_t)port);
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

static uint64_t tcp_value(const struct tcp_port *p, enum health_family f)
{
	switch (f) {
	case HF_TCP_RQUEUE:
		return p->rqueue;
	case HF_TCP_WQUEUE:
		return p->wqueue;
	case HF_TCP_RQ_NONEMPTY:
		return p->rq_nonempty;
	case HF_TCP_RETRANSMITTING:
		return p->retransmitting;
	case HF_TCP_RETRANS_SEGS:
		return p->total_retrans;
	case HF_TCP_ACKED:
		return p->bytes_acked;
	case HF_TCP_RECEIVED:
		return p->bytes_received;
	default:
		return 0;
	}
}

static void emit_tcp_row(struct expo_family *f, enum health_family hf, const char *dir,
			 const struct row *r)
{
	const struct tcp_port *p = r->entry;

	/* The tcp_info families: ports with established sockets, and the
	 * allowlist always. */
	if (families[hf].tcp_info && p->info_sockets == 0 && !r->allowed)
		return;
	if (hf == HF_TCP_RTT) {
		uint64_t counts[HEALTH_RTT_BUCKETS + 1];
		for (int b = 0; b <= HEALTH_RTT_BUCKETS; b++)
			counts[b] = p->rtt[b];
		expo_add_gaugehistogram(f, health_rtt_bounds, counts, HEALTH_RTT_BUCKETS,
					(double)p->rtt_us_sum / 1e6,
					EXPO_LABELS({"direction", dir}, {"port", r->label}));
		return;
	}
	expo_add_u64(f, tcp_value(p, hf), EXPO_LABELS({"direction", dir}, {"port", r->label}));
}

int health_emit(const struct health *h, const struct health_opts *o, struct expo *e)
{
	static const struct tcp_port tcp_zero;
	static const struct udp_port udp_zero;
	struct tcp_port tcp_other[CENSUS_DIR_COUNT];
	struct udp_port udp_other;
	struct row *rows[CENSUS_DIR_COUNT] = {NULL}, *urows = NULL;
	long nrows[CENSUS_DIR_COUNT], nurows;
	int ret = 0;

	memset(tcp_other, 0, sizeof(tcp_other));
	memset(&udp_other, 0, sizeof(udp_other));
	for (int d = 0; d < CENSUS_DIR_COUNT; d++) {
		nrows[d] = pick_rows(&h->tcp[d], o, cmp_tcp_rank, NULL, sum_tcp, &tcp_other[d],
				     &tcp_zero, &rows[d]);
		if (nrows[d] < 0) {
			ret = (int)nrows[d];
			goto out;
		}
	}
	nurows = pick_rows(&h->udp, o, cmp_udp_rank, udp_notable, sum_udp, &udp_other, &udp_zero, &urows);
	if (nurows < 0) {
		ret = (int)nurows;
		goto out;
	}
	for (int hf = 0; hf < HF_COUNT; hf++) {
		struct expo_family *f;
		if (families[hf].tcp_info && !o->tcp_info)
			continue;
		f = expo_family(e, families[hf].name, families[hf].type, families[hf].help);
		if (hf == HF_UDP_RQUEUE || hf == HF_UDP_DROPS) {
			for (long i = 0; i < nurows; i++) {
				const struct udp_port *p = urows[i].entry;
				expo_add_u64(f, hf == HF_UDP_RQUEUE ? p->rqueue : p->drops,
					     EXPO_LABELS({"port", urows[i].label}));
			}
			continue;
		}
		for (int d = 0; d < CENSUS_DIR_COUNT; d++)
			for (long i = 0; i < nrows[d]; i++)
				emit_tcp_row(f, hf, dir_names[d], &rows[d][i]);
	}
	ret = expo_error(e);
out:
	for (int d = 0; d < CENSUS_DIR_COUNT; d++)
		free(rows[d]);
	free(urows);
	return ret;
}
