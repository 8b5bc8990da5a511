/* netns/census: the small per-namespace socket census. See netns/census.h. */
#include "netns/census.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "util/bitset.h"
#include "util/hash.h"

void netns_listeners_init(struct netns_listeners *l)
{
	memset(l, 0, sizeof(*l));
}

void netns_listeners_fini(struct netns_listeners *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void netns_listeners_reset(struct netns_listeners *l)
{
	l->len = 0;
	l->tcp[0] = l->tcp[1] = 0;
}

static int push(struct netns_listeners *l, const struct netns_listener *e)
{
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct netns_listener *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->len++] = *e;
	return 0;
}

int netns_listeners_add(struct netns_listeners *l, const struct diag_sock *s)
{
	struct netns_listener e = {s->sport, 1, s->rqueue, s->wqueue};

	l->tcp[s->family == AF_INET6]++;
	return push(l, &e);
}

static int cmp_port(const void *a, const void *b)
{
	const struct netns_listener *x = a, *y = b;

	return (x->port > y->port) - (x->port < y->port);
}

void netns_listeners_finish(struct netns_listeners *l)
{
	size_t o = 0;

	if (l->len == 0)
		return;
	qsort(l->v, l->len, sizeof(*l->v), cmp_port);
	for (size_t i = 0; i < l->len; i++) {
		if (o > 0 && l->v[o - 1].port == l->v[i].port) {
			l->v[o - 1].sockets += l->v[i].sockets;
			l->v[o - 1].queue += l->v[i].queue;
			l->v[o - 1].backlog += l->v[i].backlog;
			continue;
		}
		l->v[o++] = l->v[i];
	}
	l->len = o;
}

int netns_listeners_merge(struct netns_listeners *dst, const struct netns_listeners *src)
{
	for (size_t i = 0; i < src->len; i++)
		if (push(dst, &src->v[i]) < 0)
			return -ENOMEM;
	dst->tcp[0] += src->tcp[0];
	dst->tcp[1] += src->tcp[1];
	return 0;
}

void netns_scratch_init(struct netns_scratch *sc)
{
	memset(sc, 0, sizeof(*sc));
}

void netns_scratch_fini(struct netns_scratch *sc)
{
	free(sc->slots);
	memset(sc, 0, sizeof(*sc));
}

void netns_census_begin(struct netns_census *c, struct netns_scratch *sc,
			const struct netns_listeners *l)
{
	memset(c, 0, sizeof(*c));
	memset(sc->listening, 0, sizeof(sc->listening));
	for (size_t i = 0; i < l->len; i++)
		bitset_set(sc->listening, l->v[i].port);
	c->tcp[0][DIAG_TCP_LISTEN] = l->tcp[0];
	c->tcp[1][DIAG_TCP_LISTEN] = l->tcp[1];
	if (sc->slots != NULL && sc->n > 0)
		memset(sc->slots, 0, sc->nslots * sizeof(*sc->slots));
	sc->n = 0;
}

static struct tuple_slot *find(struct tuple_slot *slots, size_t nslots, uint64_t h,
			       const uint8_t *key)
{
	size_t i = (size_t)h & (nslots - 1);

	for (;;) {
		struct tuple_slot *s = &slots[i];
		if (s->hash == 0 || (s->hash == h && memcmp(s->key, key, sizeof(s->key)) == 0))
			return s;
		i = (i + 1) & (nslots - 1);
	}
}

static int grow(struct netns_scratch *sc)
{
	size_t nslots = sc->nslots ? sc->nslots * 2 : 256;
	struct tuple_slot *slots = calloc(nslots, sizeof(*slots));

	if (slots == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < sc->nslots; i++)
		if (sc->slots[i].hash != 0)
			*find(slots, nslots, sc->slots[i].hash, sc->slots[i].key) = sc->slots[i];
	free(sc->slots);
	sc->slots = slots;
	sc->nslots = nslots;
	return 0;
}

static int add_tuple(struct netns_census *c, struct netns_scratch *sc, const struct diag_sock *s)
{
	uint8_t key[40] = {0};
	size_t alen = s->addr_family == AF_INET ? 4 : 16;
	struct tuple_slot *slot;
	uint64_t h;

	key[0] = s->addr_family;
	memcpy(key + 2, &s->dport, 2);
	memcpy(key + 4, s->src, alen);
	memcpy(key + 20, s->dst, alen);
	h = hash_words(key, sizeof(key)) | 1; /* 0 marks an empty slot */
	if ((sc->nslots == 0 || (sc->n + 1 > sc->nslots / 2 && sc->n < NETNS_MAX_TUPLES)) &&
	    grow(sc) < 0)
		return -ENOMEM;
	slot = find(sc->slots, sc->nslots, h, key);
	if (slot->hash == 0) {
		if (sc->n >= NETNS_MAX_TUPLES) {
			c->untracked++;
			return 0;
		}
		slot->hash = h;
		memcpy(slot->key, key, sizeof(key));
		sc->n++;
	}
	if (++slot->n > c->eph_max)
		c->eph_max = slot->n;
	return 0;
}

int netns_census_add(struct netns_census *c, struct netns_scratch *sc, const struct diag_sock *s)
{
	int fam = s->family == AF_INET6;
	int st;

	if (s->protocol == IPPROTO_UDP) {
		c->udp[fam][s->dport != 0]++;
		return 0;
	}
	st = diag_tcp_state(s->kstate);
	if (st < 0 || st == DIAG_TCP_LISTEN)
		return 0; /* listeners come from the LISTEN-only dump */
	c->tcp[fam][st]++;
	if (st == DIAG_TCP_FIN_WAIT2 && s->timer == DIAG_TIMER_TIME_WAIT)
		c->tw_fin_wait2[fam]++;
	/* Outbound, as the host census says: no listener on the local port. */
	if (bitset_test(sc->listening, s->sport))
		return 0;
	return add_tuple(c, sc, s);
}

uint64_t netns_live_reconcile(const struct netns_census *c, const struct ev_live *kernel,
			      int64_t offset[2][EV_LIVE_STATES])
{
	uint64_t drift = 0;

	for (int f = 0; f < 2; f++)
		for (int k = 0; k < EV_LIVE_STATES; k++) {
			int64_t census;

			if (!EV_LIVE_KEPT(k))
				continue;
			census = (int64_t)c->tcp[f][diag_tcp_state((uint8_t)k)];

			if (k == DIAG_KSTATE_FIN_WAIT2)
				census -= (int64_t)c->tw_fin_wait2[f];
			drift += (uint64_t)llabs(census - (kernel->n[f][k] + offset[f][k]));
			offset[f][k] = census - kernel->n[f][k];
		}
	return drift;
}

void netns_live_time_wait(const struct netns_census *c, uint64_t tw, uint64_t inuse4,
			  uint64_t inuse6, uint64_t time_wait[2], uint64_t orphans[2])
{
	uint64_t o4 = c->tw_fin_wait2[0], o6 = c->tw_fin_wait2[1];
	uint64_t c4 = c->tcp[0][DIAG_TCP_TIME_WAIT], c6 = c->tcp[1][DIAG_TCP_TIME_WAIT];
	uint64_t kept = o4 + o6 < tw ? o4 + o6 : tw; /* orphans tw can still hold */
	uint64_t total = tw - kept;

	orphans[0] = o4 < kept ? o4 : kept;
	orphans[1] = kept - orphans[0];
	if (c4 + c6 > 0)
		time_wait[1] = (total * c6 + (c4 + c6) / 2) / (c4 + c6);
	else
		time_wait[1] = inuse6 > 0 && inuse4 == 0 ? total : 0;
	time_wait[0] = total - time_wait[1];
}
