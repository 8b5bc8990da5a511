/* sockdiag/census: the streaming socket census. See sockdiag/census.h. */
#include "sockdiag/census.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "util/bitset.h"
#include "util/hash.h"

/* Per-port counts of non-listening sockets, one table per direction. */
struct port_entry {
	uint16_t port;
	uint32_t total;
	uint32_t n[DIAG_TCP_STATE_COUNT];
};

struct port_table {
	uint32_t idx[65536];     /* 1-based index into ents; 0: port not seen */
	struct port_entry *ents; /* owned */
	size_t n, cap;
};

/* Listening sockets per port, SO_REUSEPORT siblings and families summed. */
struct listen_entry {
	uint16_t port;
	uint32_t sockets;
	uint64_t queue;   /* sum of accept-queue lengths (idiag_rqueue) */
	uint64_t backlog; /* sum of configured backlogs (idiag_wqueue) */
};

/* An open-addressing hash table of fixed-size records, key first. Byte 0 of
 * every key is an address family, never 0, so 0 marks an empty slot. */
struct htab {
	uint8_t *slots;     /* owned; nslots * rec_size bytes */
	size_t rec_size;
	size_t key_size;    /* a multiple of 8 */
	size_t nslots;      /* a power of two, or 0 before the first insert */
	size_t n;
	size_t max;         /* entries; new keys past it are untracked */
	uint64_t untracked; /* sockets whose key did not fit */
};

struct peer_key {
	uint8_t fam;
	uint8_t pad[7];
	uint8_t addr[16];
};
struct peer_rec {
	struct peer_key k;
	uint32_t n[2]; /* [0] syn_recv, [1] established */
};

struct tuple_key {
	uint8_t fam;
	uint8_t pad;
	uint16_t rport;
	uint8_t pad2[4];
	uint8_t laddr[16];
	uint8_t raddr[16];
};
struct tuple_rec {
	struct tuple_key k;
	uint32_t n;
	uint32_t pad;
};

struct census {
	uint64_t tcp[CENSUS_FAMILY_COUNT][DIAG_TCP_STATE_COUNT];
	uint64_t udp[CENSUS_FAMILY_COUNT][2]; /* [0] unconnected, [1] connected */
	uint64_t udp_rqueue[CENSUS_FAMILY_COUNT];
	uint64_t udp_wqueue[CENSUS_FAMILY_COUNT];
	uint64_t scope[CENSUS_SCOPE_COUNT][CENSUS_DIR_COUNT];
	uint64_t listening[BITSET_WORDS(65536)]; /* ports with a listener */
	struct port_table ports[CENSUS_DIR_COUNT];
	uint32_t listen_idx[65536];     /* 1-based index into listen */
	struct listen_entry *listen;    /* owned */
	size_t nlisten, listen_cap;
	struct htab peers;
	struct htab tuples;
	/* Established sockets by remote country: [0] private/loopback, a
	 * country index, or [GEOIP_CC_COUNT] public but not in the database. */
	uint64_t country[CENSUS_DIR_COUNT][GEOIP_CC_COUNT + 1];
	const struct geoip *geo;       /* borrowed */
	struct geoip_cache *geo_cache; /* owned */
};

/* ---- hash tables ---- */

static void htab_init(struct htab *h, size_t rec_size, size_t key_size, size_t max)
{
	memset(h, 0, sizeof(*h));
	h->rec_size = rec_size;
	h->key_size = key_size;
	h->max = max;
}

static void htab_clear(struct htab *h)
{
	if (h->slots != NULL)
		memset(h->slots, 0, h->nslots * h->rec_size);
	h->n = 0;
	h->untracked = 0;
}

static uint8_t *htab_slot(const struct htab *h, const void *key)
{
	size_t mask = h->nslots - 1;
	size_t i = (size_t)hash_words(key, h->key_size) & mask;

	for (;;) {
		uint8_t *rec = h->slots + i * h->rec_size;
		if (rec[0] == 0 || memcmp(rec, key, h->key_size) == 0)
			return rec;
		i = (i + 1) & mask;
	}
}

static int htab_grow(struct htab *h)
{
	size_t nslots = h->nslots ? h->nslots * 2 : 256;
	uint8_t *old = h->slots;
	size_t oldn = h->nslots;

	h->slots = calloc(nslots, h->rec_size);
	if (h->slots == NULL) {
		h->slots = old;
		return -ENOMEM;
	}
	h->nslots = nslots;
	for (size_t i = 0; i < oldn; i++) {
		const uint8_t *rec = old + i * h->rec_size;
		if (rec[0] != 0)
			memcpy(htab_slot(h, rec), rec, h->rec_size);
	}
	free(old);
	return 0;
}

/* The record of key, inserted zeroed if new. *rec is NULL when the table is
 * full (the caller counts the socket as untracked). 0 or -ENOMEM. */
static int htab_get(struct htab *h, const void *key, uint8_t **rec)
{
	int ret = 0;
	uint8_t *r;

	*rec = NULL;
	if (h->nslots == 0 || (h->n + 1 > h->nslots / 2 && h->n < h->max)) {
		ret = htab_grow(h);
		if (ret < 0)
			goto out;
	}
	r = htab_slot(h, key);
	if (r[0] == 0) {
		if (h->n >= h->max)
			goto out;
		memcpy(r, key, h->key_size);
		h->n++;
	}
	*rec = r;
out:
	return ret;
}

/* ---- lifecycle ---- */

struct census *census_new(void)
{
	struct census *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	htab_init(&c->peers, sizeof(struct peer_rec), sizeof(struct peer_key), CENSUS_MAX_PEERS);
	htab_init(&c->tuples, sizeof(struct tuple_rec), sizeof(struct tuple_key), CENSUS_MAX_TUPLES);
	return c;
}

void census_free(struct census *c)
{
	if (c == NULL)
		return;
	for (int d = 0; d < CENSUS_DIR_COUNT; d++)
		free(c->ports[d].ents);
	free(c->listen);
	free(c->peers.slots);
	free(c->tuples.slots);
	geoip_cache_free(c->geo_cache);
	free(c);
}

void census_reset(struct census *c)
{
	memset(c->tcp, 0, sizeof(c->tcp));
	memset(c->udp, 0, sizeof(c->udp));
	memset(c->udp_rqueue, 0, sizeof(c->udp_rqueue));
	memset(c->udp_wqueue, 0, sizeof(c->udp_wqueue));
	memset(c->scope, 0, sizeof(c->scope));
	memset(c->listening, 0, sizeof(c->listening));
	for (int d = 0; d < CENSUS_DIR_COUNT; d++) {
		struct port_table *t = &c->ports[d];
		/* Clearing only what was used is cheaper than 256 KiB. */
		for (size_t i = 0; i < t->n; i++)
			t->idx[t->ents[i].port] = 0;
		t->n = 0;
	}
	for (size_t i = 0; i < c->nlisten; i++)
		c->listen_idx[c->listen[i].port] = 0;
	c->nlisten = 0;
	htab_clear(&c->peers);
	htab_clear(&c->tuples);
	memset(c->country, 0, sizeof(c->country));
}

int census_set_geoip(struct census *c, const struct geoip *g)
{
	c->geo = g;
	if (g && !c->geo_cache && !(c->geo_cache = geoip_cache_new()))
		return -ENOMEM;
	return 0;
}

/* ---- classification ---- */

enum census_scope census_scope_of(uint8_t addr_family, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (addr_family == AF_INET) {
		if (a[0] == 127 || a[0] == 0)
			return CENSUS_SCOPE_LOOPBACK;
		if (a[0] == 169 && a[1] == 254)
			return CENSUS_SCOPE_LINK_LOCAL;
		if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		    (a[0] == 192 && a[1] == 168) ||
		    (a[0] == 100 && (a[1] & 0xc0) == 64)) /* CGNAT 100.64/10 */
			return CENSUS_SCOPE_PRIVATE;
		return CENSUS_SCOPE_PUBLIC;
	}
	if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
		return CENSUS_SCOPE_LOOPBACK;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return CENSUS_SCOPE_LINK_LOCAL;
	if ((a[0] & 0xfe) == 0xfc) /* ULA fc00::/7 */
		return CENSUS_SCOPE_PRIVATE;
	return CENSUS_SCOPE_PUBLIC;
}

/* Grows an array of n used elements to hold one more. 0 or -ENOMEM. */
static int reserve(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	p = realloc(*arr, ncap * elem);
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static struct port_entry *port_get(struct port_table *t, uint16_t port)
{
	struct port_entry *e;

	if (t->idx[port] != 0)
		return &t->ents[t->idx[port] - 1];
	if (reserve((void **)&t->ents, &t->cap, t->n, sizeof(*t->ents)) < 0)
		return NULL;
	e = &t->ents[t->n++];
	memset(e, 0, sizeof(*e));
	e->port = port;
	t->idx[port] = (uint32_t)t->n;
	return e;
}

static struct listen_entry *listen_get(struct census *c, uint16_t port)
{
	struct listen_entry *e;

	if (c->listen_idx[port] != 0)
		return &c->listen[c->listen_idx[port] - 1];
	if (reserve((void **)&c->listen, &c->listen_cap, c->nlisten, sizeof(*c->listen)) < 0)
		return NULL;
	e = &c->listen[c->nlisten++];
	memset(e, 0, sizeof(*e));
	e->port = port;
	c->listen_idx[port] = (uint32_t)c->nlisten;
	bitset_set(c->listening, port);
	return e;
}

static size_t addr_len(uint8_t addr_family)
{
	return addr_family == AF_INET ? 4 : 16;
}

static int add_peer(struct census *c, const struct diag_sock *s, int which)
{
	struct peer_key k;
	uint8_t *rec;
	int ret;

	memset(&k, 0, sizeof(k));
	k.fam = s->addr_family;
	memcpy(k.addr, s->dst, addr_len(s->addr_family));
	ret = htab_get(&c->peers, &k, &rec);
	if (ret == 0 && rec == NULL)
		c->peers.untracked++;
	else if (ret == 0)
		((struct peer_rec *)rec)->n[which]++;
	return ret;
}

static int add_tuple(struct census *c, const struct diag_sock *s)
{
	struct tuple_key k;
	uint8_t *rec;
	int ret;

	memset(&k, 0, sizeof(k));
	k.fam = s->addr_family;
	k.rport = s->dport;
	memcpy(k.laddr, s->src, addr_len(s->addr_family));
	memcpy(k.raddr, s->dst, addr_len(s->addr_family));
	ret = htab_get(&c->tuples, &k, &rec);
	if (ret == 0 && rec == NULL)
		c->tuples.untracked++;
	else if (ret == 0)
		((struct tuple_rec *)rec)->n++;
	return ret;
}

int census_add(struct census *c, const struct diag_sock *s)
{
	int fam = s->family == AF_INET6 ? CENSUS_IPV6 : CENSUS_IPV4;
	enum census_dir dir;
	enum census_scope scope;
	struct port_entry *pe;
	uint16_t port = 0;
	int st;

	if (s->protocol == IPPROTO_UDP) {
		c->udp[fam][s->dport != 0]++;
		c->udp_rqueue[fam] += s->rqueue;
		c->udp_wqueue[fam] += s->wqueue;
		return 0;
	}
	st = diag_tcp_state(s->kstate);
	if (st < 0)
		return 0; /* not requested; nothing to label it with */
	c->tcp[fam][st]++;
	if (st == DIAG_TCP_LISTEN) {
		struct listen_entry *le = listen_get(c, s->sport);
		if (le == NULL)
			return -ENOMEM;
		le->sockets++;
		le->queue += s->rqueue;
		le->backlog += s->wqueue;
		return 0;
	}
	if (census_key(c, s, &port) == CENSUS_INBOUND)
		dir = CENSUS_INBOUND;
	else
		dir = CENSUS_OUTBOUND;
	pe = port_get(&c->ports[dir], port);
	if (pe == NULL)
		return -ENOMEM;
	pe->total++;
	pe->n[st]++;
	scope = census_scope_of(s->addr_family, s->dst);
	c->scope[scope][dir]++;
	if (c->geo && st == DIAG_TCP_ESTABLISHED) {
		unsigned cc = 0;
		if (scope == CENSUS_SCOPE_PUBLIC) {
			cc = geoip_country_cached(c->geo, c->geo_cache, s->addr_family, s->dst);
			if (cc == GEOIP_CC_NONE)
				cc = GEOIP_CC_COUNT;
		}
		c->country[dir][cc]++;
	}
	if (dir == CENSUS_OUTBOUND)
		return add_tuple(c, s);
	if (st == DIAG_TCP_SYN_RECV)
		return add_peer(c, s, 0);
	if (st == DIAG_TCP_ESTABLISHED)
		return add_peer(c, s, 1);
	return 0;
}

int census_key(const struct census *c, const struct diag_sock *s, uint16_t *port)
{
	int st = diag_tcp_state(s->kstate);

	if (s->protocol != IPPROTO_TCP || st < 0 || st == DIAG_TCP_LISTEN)
		return -1;
	if (bitset_test(c->listening, s->sport)) {
		*port = s->sport;
		return CENSUS_INBOUND;
	}
	*port = s->dport;
	return CENSUS_OUTBOUND;
}

void census_copy_listeners(struct census *dst, const struct census *src)
{
	memcpy(dst->listening, src->listening, sizeof(dst->listening));
}

int census_merge(struct census *dst, const struct census *src)
{
	int ret = 0;

	for (int f = 0; f < CENSUS_FAMILY_COUNT; f++) {
		for (int s = 0; s < DIAG_TCP_STATE_COUNT; s++)
			dst->tcp[f][s] += src->tcp[f][s];
		dst->udp[f][0] += src->udp[f][0];
		dst->udp[f][1] += src->udp[f][1];
		dst->udp_rqueue[f] += src->udp_rqueue[f];
		dst->udp_wqueue[f] += src->udp_wqueue[f];
	}
	for (int s = 0; s < CENSUS_SCOPE_COUNT; s++)
		for (int d = 0; d < CENSUS_DIR_COUNT; d++)
			dst->scope[s][d] += src->scope[s][d];
	for (int d = 0; d < CENSUS_DIR_COUNT; d++)
		for (int k = 0; k <= GEOIP_CC_COUNT; k++)
			dst->country[d][k] += src->country[d][k];
	for (int d = 0; d < CENSUS_DIR_COUNT; d++) {
		const struct port_table *t = &src->ports[d];
		for (size_t i = 0; i < t->n; i++) {
			struct port_entry *pe = port_get(&dst->ports[d], t->ents[i].port);
			if (pe == NULL) {
				ret = -ENOMEM;
				goto out;
			}
			pe->total += t->ents[i].total;
			for (int s = 0; s < DIAG_TCP_STATE_COUNT; s++)
				pe->n[s] += t->ents[i].n[s];
		}
	}
	for (size_t i = 0; i < src->nlisten; i++) {
		struct listen_entry *le = listen_get(dst, src->listen[i].port);
		if (le == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		le->sockets += src->listen[i].sockets;
		le->queue += src->listen[i].queue;
		le->backlog += src->listen[i].backlog;
	}
	for (size_t i = 0; i < src->peers.nslots; i++) {
		const struct peer_rec *pr = (const void *)(src->peers.slots + i * src->peers.rec_size);
		uint8_t *rec;
		if (pr->k.fam == 0)
			continue;
		ret = htab_get(&dst->peers, &pr->k, &rec);
		if (ret < 0)
			goto out;
		if (rec == NULL) {
			dst->peers.untracked += (uint64_t)pr->n[0] + pr->n[1];
			continue;
		}
		((struct peer_rec *)rec)->n[0] += pr->n[0];
		((struct peer_rec *)rec)->n[1] += pr->n[1];
	}
	dst->peers.untracked += src->peers.untracked;
	for (size_t i = 0; i < src->tuples.nslots; i++) {
		const struct tuple_rec *tr = (const void *)(src->tuples.slots + i * src->tuples.rec_size);
		uint8_t *rec;
		if (tr->k.fam == 0)
			continue;
		ret = htab_get(&dst->tuples, &tr->k, &rec);
		if (ret < 0)
			goto out;
		if (rec == NULL) {
			dst->tuples.untracked += tr->n;
			continue;
		}
		((struct tuple_rec *)rec)->n += tr->n;
	}
	dst->tuples.untracked += src->tuples.untracked;
out:
	return ret;
}

uint64_t census_untracked(const struct census *c, enum census_table t)
{
	return t == CENSUS_TABLE_PEERS ? c->peers.untracked : c->tuples.untracked;
}

/* ---- emission ---- */

static const char *const family_names[CENSUS_FAMILY_COUNT] = {"ipv4", "ipv6"};
static const char *const dir_names[CENSUS_DIR_COUNT] = {"inbound", "outbound"};
static const char *const scope_names[CENSUS_SCOPE_COUNT] = {
	"loopback", "link_local", "private", "public"};

/* One census_emit() call: where samples go and the labels each one gets last. */
struct emit {
	struct census_out *out;
	const struct expo_label *extra;
	size_t nextra;
};

static struct expo_family *family(struct emit *em, enum census_metric m)
{
	return expo_family_once(em->out->e, &em->out->desc[m], &em->out->fam[m]);
}

/* A sample with its own labels (at most 5), then the constant ones. */
static void add(struct expo_family *f, const struct emit *em, uint64_t v,
		const struct expo_label *labels, size_t n)
{
	struct expo_label l[5 + CENSUS_MAX_CONST_LABELS];

	for (size_t i = 0; i < n; i++)
		l[i] = labels[i];
	for (size_t i = 0; i < em->nextra; i++)
		l[n + i] = em->extra[i];
	expo_add_u64(f, v, l, n + em->nextra);
}

static void emit_states(struct emit *em, const struct census *c)
{
	struct expo_family *f = family(em, CENSUS_METRIC_TCP_SOCKETS);

	for (int fam = 0; fam < CENSUS_FAMILY_COUNT; fam++)
		for (int st = 0; st < DIAG_TCP_STATE_COUNT; st++)
			add(f, em, c->tcp[fam][st],
			    EXPO_LABELS({"family", family_names[fam]},
					{"state", diag_tcp_state_name(st)}));
}

static void emit_udp(struct emit *em, const struct census *c)
{
	struct expo_family *f = family(em, CENSUS_METRIC_UDP_SOCKETS);

	for (int fam = 0; fam < CENSUS_FAMILY_COUNT; fam++) {
		add(f, em, c->udp[fam][1], EXPO_LABELS({"family", family_names[fam]},
						       {"state", "connected"}));
		add(f, em, c->udp[fam][0], EXPO_LABELS({"family", family_names[fam]},
						       {"state", "unconnected"}));
	}
	f = family(em, CENSUS_METRIC_UDP_RECEIVE_QUEUE_BYTES);
	for (int fam = 0; fam < CENSUS_FAMILY_COUNT; fam++)
		add(f, em, c->udp_rqueue[fam], EXPO_LABELS({"family", family_names[fam]}));
	f = family(em, CENSUS_METRIC_UDP_SEND_QUEUE_BYTES);
	for (int fam = 0; fam < CENSUS_FAMILY_COUNT; fam++)
		add(f, em, c->udp_wqueue[fam], EXPO_LABELS({"family", family_names[fam]}));
}

/* A port chosen for its own series: entry may be NULL (allowlisted, unseen). */
struct pick {
	uint16_t port;
	const void *entry;
};

static int cmp_pick_port(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;
	return (x->port > y->port) - (x->port < y->port);
}

static int cmp_rank(const void *a, const void *b)
{
	const struct census_rank *x = a, *y = b;

	for (int i = 0; i < 2; i++)
		if (x->key[i] != y->key[i])
			return x->key[i] < y->key[i] ? 1 : -1;
	return (x->port > y->port) - (x->port < y->port);
}

size_t census_rank_ports(struct census_rank *cand, size_t n, unsigned top, bool need_key)
{
	size_t k = 0;

	if (n > 1)
		qsort(cand, n, sizeof(*cand), cmp_rank);
	/* Zero keys sort last, so the chosen ones are a prefix. */
	while (k < n && k < top && (!need_key || cand[k].key[0] || cand[k].key[1]))
		k++;
	return k;
}

static void port_label(char buf[8], uint16_t port)
{
	snprintf(buf, 8, "%u", (unsigned)port);
}

/* Allowlisted ports: every state, even zero; the top-N: states seen; the
 * rest summed under port="other". The listen state never occurs here. */
static int emit_ports(struct emit *em, const struct census *c, const struct census_opts *o)
{
	struct expo_family *f = family(em, CENSUS_METRIC_TCP_PORT_SOCKETS);
	struct census_rank *rank = NULL;
	struct pick *picks = NULL;
	int ret = 0;

	for (int d = 0; d < CENSUS_DIR_COUNT; d++) {
		const struct port_table *t = &c->ports[d];
		size_t nrank = 0, npicks = 0, nallow = 0, ntop;
		uint32_t other[DIAG_TCP_STATE_COUNT] = {0};
		bool any_other = false;
		char pbuf[8];

		for (size_t w = 0; w < BITSET_WORDS(65536); w++)
			nallow += (size_t)__builtin_popcountll(o->ports[w]);
		free(rank);
		free(picks);
		rank = malloc((t->n + 1) * sizeof(*rank));
		picks = malloc((t->n + nallow + 1) * sizeof(*picks));
		if (rank == NULL || picks == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		for (size_t w = 0; w < BITSET_WORDS(65536); w++) {
			for (uint64_t bits = o->ports[w]; bits != 0; bits &= bits - 1) {
				uint16_t port = (uint16_t)(w * 64 + (size_t)__builtin_ctzll(bits));
				picks[npicks].port = port;
				picks[npicks++].entry = t->idx[port] ? &t->ents[t->idx[port] - 1] : NULL;
			}
		}
		for (size_t i = 0; i < t->n; i++)
			if (!bitset_test(o->ports, t->ents[i].port))
				rank[nrank++] = (struct census_rank){{t->ents[i].total, 0}, t->ents[i].port,
								    &t->ents[i]};
		ntop = census_rank_ports(rank, nrank, o->top_ports, false);
		for (size_t i = 0; i < nrank; i++) {
			const struct port_entry *pe = rank[i].entry;
			if (i < ntop) {
				picks[npicks].port = pe->port;
				picks[npicks++].entry = pe;
				continue;
			}
			any_other = true;
			for (int s = 0; s < DIAG_TCP_STATE_COUNT; s++)
				other[s] += pe->n[s];
		}
		qsort(picks, npicks, sizeof(*picks), cmp_pick_port);
		for (size_t i = 0; i < npicks; i++) {
			const struct port_entry *pe = picks[i].entry;
			bool allowed = bitset_test(o->ports, picks[i].port);
			port_label(pbuf, picks[i].port);
			for (int s = 0; s < DIAG_TCP_STATE_COUNT; s++) {
				uint32_t v = pe ? pe->n[s] : 0;
				if (s == DIAG_TCP_LISTEN || (v == 0 && !allowed))
					continue;
				add(f, em, v, EXPO_LABELS({"direction", dir_names[d]},
							  {"port", pbuf},
							  {"state", diag_tcp_state_name(s)}));
			}
		}
		for (int s = 0; any_other && s < DIAG_TCP_STATE_COUNT; s++) {
			if (other[s] == 0)
				continue;
			add(f, em, other[s], EXPO_LABELS({"direction", dir_names[d]},
							 {"port", "other"},
							 {"state", diag_tcp_state_name(s)}));
		}
	}
out:
	free(rank);
	free(picks);
	return ret;
}

/* Listening ports: allowlisted ones always (0 when nothing listens: a
 * service that went away), then the lowest max_listen_ports others, the rest
 * summed under port="other". */
static int emit_listeners(struct emit *em, const struct census *c, const struct census_opts *o)
{
	static const enum census_metric fams[3] = {
		CENSUS_METRIC_TCP_LISTENERS,
		CENSUS_METRIC_TCP_LISTEN_QUEUE_LENGTH,
		CENSUS_METRIC_TCP_LISTEN_BACKLOG,
	};
	struct listen_entry other = {0};
	size_t nshow = 0, nothers = 0;
	bool any_other = false;
	uint16_t *show = NULL;
	char pbuf[8];
	int ret = 0;

	show = malloc(65536 * sizeof(*show));
	if (show == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint32_t port = 0; port < 65536; port++) {
		bool allowed = bitset_test(o->ports, (uint16_t)port);
		const struct listen_entry *le;
		if (!allowed && c->listen_idx[port] == 0)
			continue;
		if (allowed || nothers++ < o->max_listen_ports) {
			show[nshow++] = (uint16_t)port;
			continue;
		}
		le = &c->listen[c->listen_idx[port] - 1];
		any_other = true;
		other.sockets += le->sockets;
		other.queue += le->queue;
		other.backlog += le->backlog;
	}
	for (int k = 0; k < 3; k++) {
		struct expo_family *f = family(em, fams[k]);
		for (size_t i = 0; i <= nshow; i++) {
			const struct listen_entry *le = &other;
			const char *label = "other";
			uint64_t v;
			if (i < nshow) {
				uint32_t idx = c->listen_idx[show[i]];
				static const struct listen_entry none;
				le = idx ? &c->listen[idx - 1] : &none;
				port_label(pbuf, show[i]);
				label = pbuf;
			} else if (!any_other) {
				break;
			}
			v = k == 0 ? le->sockets : k == 1 ? le->queue : le->backlog;
			add(f, em, v, EXPO_LABELS({"port", label}));
		}
	}
out:
	free(show);
	return ret;
}

static void emit_scopes(struct emit *em, const struct census *c)
{
	struct expo_family *f = family(em, CENSUS_METRIC_TCP_PEER_SOCKETS);

	for (int s = 0; s < CENSUS_SCOPE_COUNT; s++)
		for (int d = 0; d < CENSUS_DIR_COUNT; d++)
			add(f, em, c->scope[s][d], EXPO_LABELS({"scope", scope_names[s]},
							       {"direction", dir_names[d]}));
}

/* qsort_r comparator: count in state *which (0 syn_recv, 1 established)
 * descending, then address ascending. */
static int cmp_peer(const void *a, const void *b, void *which)
{
	const struct peer_rec *x = *(const struct peer_rec *const *)a;
	const struct peer_rec *y = *(const struct peer_rec *const *)b;
	int w = *(const int *)which;
	uint32_t nx = x->n[w], ny = y->n[w];

	if (nx != ny)
		return nx < ny ? 1 : -1;
	if (x->k.fam != y->k.fam)
		return x->k.fam < y->k.fam ? -1 : 1;
	return memcmp(x->k.addr, y->k.addr, 16);
}

void census_geo_labels(const struct geoip *g, uint8_t fam, const uint8_t *a, char cc[8],
		       char asn[16], char *org, size_t orglen)
{
	uint32_t n = 0;

	cc[0] = asn[0] = org[0] = '\0';
	if (census_scope_of(fam, a) != CENSUS_SCOPE_PUBLIC)
		return;
	unsigned k = geoip_country(g, fam, a);
	if (k == GEOIP_CC_NONE)
		strcpy(cc, "unknown");
	else
		geoip_cc_name(k, cc);
	geoip_asn(g, fam, a, &n, org, orglen);
	if (n)
		snprintf(asn, 16, "%u", n);
}

/* A top peer with its GeoIP labels (census_geo_labels()). */
static void add_peer_geo(struct expo_family *f, const struct emit *em, const struct geoip *g, uint64_t v,
			 const char *state, const char *addr, uint8_t fam, const uint8_t *a)
{
	char cc[8], asn[16], org[128];

	census_geo_labels(g, fam, a, cc, asn, org, sizeof(org));
	if (geoip_has_asn(g))
		add(f, em, v, EXPO_LABELS({"state", state}, {"address", addr}, {"country", cc},
					  {"asn", asn}, {"as_org", org}));
	else
		add(f, em, v, EXPO_LABELS({"state", state}, {"address", addr}, {"country", cc}));
}

static int emit_peers(struct emit *em, const struct census *c, const struct census_opts *o)
{
	static const char *const which_state[2] = {"syn_recv", "established"};
	const struct peer_rec **cand = NULL;
	struct expo_family *f;
	int ret = 0;

	if (o->top_peers == 0)
		goto out;
	cand = malloc((c->peers.n + 1) * sizeof(*cand));
	if (cand == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	f = family(em, CENSUS_METRIC_TCP_TOP_INBOUND_PEER_SOCKETS);
	for (int w = 0; w < 2; w++) {
		size_t n = 0;
		for (size_t i = 0; i < c->peers.nslots; i++) {
			const struct peer_rec *pr =
				(const void *)(c->peers.slots + i * c->peers.rec_size);
			if (pr->k.fam != 0 && pr->n[w] > 0 && pr->n[w] >= o->peer_min_sockets)
				cand[n++] = pr;
		}
		qsort_r(cand, n, sizeof(*cand), cmp_peer, &w);
		for (size_t i = 0; i < n && i < o->top_peers; i++) {
			char abuf[INET6_ADDRSTRLEN];
			inet_ntop(cand[i]->k.fam, cand[i]->k.addr, abuf, sizeof(abuf));
			if (o->geo) {
				add_peer_geo(f, em, o->geo, cand[i]->n[w], which_state[w], abuf,
					     cand[i]->k.fam, cand[i]->k.addr);
				continue;
			}
			add(f, em, cand[i]->n[w], EXPO_LABELS({"state", which_state[w]},
							      {"address", abuf}));
		}
	}
out:
	free(cand);
	return ret;
}

/* qsort_r: country indexes by count, descending, then by index. */
static int cmp_country(const void *a, const void *b, void *counts)
{
	const uint64_t *n = counts;
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	if (n[x] != n[y])
		return n[x] < n[y] ? 1 : -1;
	return (x > y) - (x < y);
}

/* One direction and state of netstat_tcp_peer_country_sockets: the top
 * countries of n ([0] private and loopback, [GEOIP_CC_COUNT] unknown), the
 * rest as "other", "" and "other" always present. */
static void emit_country_row(struct expo_family *f, struct emit *em, const struct census_opts *o,
			     const uint64_t *n, const char *dir, const char *state)
{
	unsigned idx[GEOIP_CC_COUNT];
	uint64_t other = 0;
	size_t k = 0;
	char cc[8];

	for (unsigned i = 1; i <= GEOIP_CC_COUNT; i++)
		if (n[i])
			idx[k++] = i;
	qsort_r(idx, k, sizeof(idx[0]), cmp_country, (void *)n);
	add(f, em, n[0], EXPO_LABELS({"direction", dir}, {"country", ""}, {"state", state}));
	for (size_t i = 0; i < k; i++) {
		if (i >= o->top_countries) {
			other += n[idx[i]];
			continue;
		}
		if (idx[i] == GEOIP_CC_COUNT)
			strcpy(cc, "unknown");
		else
			geoip_cc_name(idx[i], cc);
		add(f, em, n[idx[i]], EXPO_LABELS({"direction", dir}, {"country", cc}, {"state", state}));
	}
	add(f, em, other, EXPO_LABELS({"direction", dir}, {"country", "other"}, {"state", state}));
}

/* The peer table's inbound addresses with request sockets, as
 * (key, count) records for the SYN source families. */
struct syn_src {
	uint8_t fam;
	uint8_t addr[16];   /* the address, or its /24 or /48 prefix */
	uint32_t asn;
	uint64_t n;
};

static int cmp_src_key(const void *a, const void *b)
{
	const struct syn_src *x = a, *y = b;

	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

static int cmp_src_asn(const void *a, const void *b)
{
	const struct syn_src *x = a, *y = b;

	return (x->asn > y->asn) - (x->asn < y->asn);
}

/* Most sockets first; ties by key, so the order is stable. */
static int cmp_src_n(const void *a, const void *b)
{
	const struct syn_src *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->asn != y->asn ? (x->asn > y->asn) - (x->asn < y->asn) : cmp_src_key(a, b);
}

/* Sorts src by cmp, sums the runs that cmp calls equal into their first
 * record, sorts the result by count. Returns the records left. */
static size_t fold(struct syn_src *src, size_t n, int (*cmp)(const void *, const void *))
{
	size_t o = 0;

	qsort(src, n, sizeof(*src), cmp);
	for (size_t i = 0; i < n; i++) {
		if (o > 0 && cmp(&src[o - 1], &src[i]) == 0)
			src[o - 1].n += src[i].n;
		else
			src[o++] = src[i];
	}
	qsort(src, o, sizeof(*src), cmp_src_n);
	return o;
}

/* The SYN sources, from the peer table (request sockets per inbound remote
 * address): netstat_tcp_peer_country_sockets{state="syn_recv"} with GeoIP,
 * the top K /24 (IPv4) and /48 (IPv6) prefixes, and with an ASN database the
 * top K autonomous systems; the rest of each as "other". */
static int emit_syn_sources(struct emit *em, const struct census *c, const struct census_opts *o)
{
	struct syn_src *src = NULL;
	size_t n = 0, m;
	uint64_t *cc = NULL, other;
	struct expo_family *f;
	int ret = 0;

	src = malloc((c->peers.n + 1) * sizeof(*src));
	cc = calloc(GEOIP_CC_COUNT + 1, sizeof(*cc));
	if (src == NULL || cc == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c->peers.nslots; i++) {
		const struct peer_rec *pr = (const void *)(c->peers.slots + i * c->peers.rec_size);
		if (pr->k.fam == 0 || pr->n[0] == 0)
			continue;
		memset(&src[n], 0, sizeof(src[n]));
		src[n].fam = pr->k.fam;
		memcpy(src[n].addr, pr->k.addr, 16);
		src[n].n = pr->n[0];
		if (o->geo && census_scope_of(pr->k.fam, pr->k.addr) == CENSUS_SCOPE_PUBLIC) {
			unsigned k = geoip_country(o->geo, pr->k.fam, pr->k.addr);
			cc[k == GEOIP_CC_NONE ? GEOIP_CC_COUNT : k] += pr->n[0];
			if (geoip_has_asn(o->geo))
				geoip_asn(o->geo, pr->k.fam, pr->k.addr, &src[n].asn, NULL, 0);
		} else {
			cc[0] += pr->n[0];
		}
		n++;
	}
	if (o->geo)
		emit_country_row(family(em, CENSUS_METRIC_TCP_PEER_COUNTRY_SOCKETS), em, o, cc,
				 dir_names[CENSUS_INBOUND], "syn_recv");
	if (o->top_peers == 0)
		goto out;
	if (o->geo && geoip_has_asn(o->geo)) {
		struct syn_src *by_asn = malloc((n + 1) * sizeof(*by_asn));
		if (by_asn == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy(by_asn, src, n * sizeof(*src));
		m = fold(by_asn, n, cmp_src_asn);
		f = family(em, CENSUS_METRIC_TCP_SYN_RECV_TOP_ASN_SOCKETS);
		other = 0;
		for (size_t i = 0; i < m; i++) {
			char asn[16] = "", org[128] = "";
			uint32_t a;
			if (i >= o->top_peers) {
				other += by_asn[i].n;
				continue;
			}
			/* A folded record keeps one of its addresses: the AS's name. */
			geoip_asn(o->geo, by_asn[i].fam, by_asn[i].addr, &a, org, sizeof(org));
			if (by_asn[i].asn)
				snprintf(asn, sizeof(asn), "%u", by_asn[i].asn);
			add(f, em, by_asn[i].n, EXPO_LABELS({"asn", asn}, {"as_org", org}));
		}
		add(f, em, other, EXPO_LABELS({"asn", "other"}, {"as_org", ""}));
		free(by_asn);
	}
	for (size_t i = 0; i < n; i++) {
		size_t keep = src[i].fam == AF_INET ? 3 : 6; /* /24, /48 */
		memset(src[i].addr + keep, 0, 16 - keep);
		src[i].asn = 0;
	}
	m = fold(src, n, cmp_src_key);
	f = family(em, CENSUS_METRIC_TCP_SYN_RECV_TOP_PREFIX_SOCKETS);
	other = 0;
	for (size_t i = 0; i < m; i++) {
		char abuf[INET6_ADDRSTRLEN + 4];
		if (i >= o->top_peers) {
			other += src[i].n;
			continue;
		}
		inet_ntop(src[i].fam, src[i].addr, abuf, INET6_ADDRSTRLEN);
		strcat(abuf, src[i].fam == AF_INET ? "/24" : "/48");
		add(f, em, src[i].n, EXPO_LABELS({"prefix", abuf}));
	}
	add(f, em, other, EXPO_LABELS({"prefix", "other"}));
out:
	free(cc);
	free(src);
	return ret;
}

/* Established sockets by country, per direction. */
static void emit_countries(struct emit *em, const struct census *c, const struct census_opts *o)
{
	struct expo_family *f;

	if (!o->geo)
		return;
	f = family(em, CENSUS_METRIC_TCP_PEER_COUNTRY_SOCKETS);
	for (int d = 0; d < CENSUS_DIR_COUNT; d++)
		emit_country_row(f, em, o, c->country[d], dir_names[d], "established");
}

static void emit_ephemeral(struct emit *em, const struct census *c, const struct census_opts *o)
{
	struct expo_family *f;
	uint32_t max = 0;

	for (size_t i = 0; i < c->tuples.nslots; i++) {
		const struct tuple_rec *tr = (const void *)(c->tuples.slots + i * c->tuples.rec_size);
		if (tr->k.fam != 0 && tr->n > max)
			max = tr->n;
	}
	f = family(em, CENSUS_METRIC_TCP_EPHEMERAL_PORTS_MAX_USED);
	add(f, em, max, EXPO_NOLABELS);
	if (o->port_range_hi >= o->port_range_lo && o->port_range_hi != 0) {
		double width = (double)(o->port_range_hi - o->port_range_lo + 1);
		f = family(em, CENSUS_METRIC_TCP_EPHEMERAL_PORTS_MAX_USED_RATIO);
		expo_add_f64(f, max / width, em->extra, em->nextra);
	}
}

static void emit_untracked(struct emit *em, const struct census *c)
{
	struct expo_family *f = family(em, CENSUS_METRIC_TCP_UNTRACKED_SOCKETS);

	add(f, em, c->peers.untracked, EXPO_LABELS({"table", "peer_addresses"}));
	add(f, em, c->tuples.untracked, EXPO_LABELS({"table", "ephemeral_tuples"}));
}

int census_emit(const struct census *c, const struct census_opts *o, struct census_out *out,
		const struct expo_label *labels, size_t nlabels)
{
	struct emit em = {out, labels, nlabels};
	int ret = -EINVAL;

	if (nlabels > CENSUS_MAX_CONST_LABELS)
		goto out;
	emit_states(&em, c);
	emit_udp(&em, c);
	ret = emit_ports(&em, c, o);
	if (ret < 0)
		goto out;
	ret = emit_listeners(&em, c, o);
	if (ret < 0)
		goto out;
	emit_scopes(&em, c);
	ret = emit_peers(&em, c, o);
	if (ret < 0)
		goto out;
	emit_countries(&em, c, o);
	ret = emit_syn_sources(&em, c, o);
	if (ret < 0)
		goto out;
	emit_ephemeral(&em, c, o);
	emit_untracked(&em, c);
	ret = expo_error(out->e);
out:
	return ret;
}
