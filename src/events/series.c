/* events/series: counts map readings to bounded monotonic series (see the header). */
#include "events/series.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockdiag/census.h"

#define TABLE_CAP (2 * EVENTS_SERIES_MAX) /* power of two; at most half full */
_Static_assert(EV_COUNTS_MAX <= EVENTS_SERIES_MAX, "a reading fits a table");

struct slot {
	struct ev_key k;
	uint64_t v;
	bool used;
};

/* Open addressing, linear probing; no deletion. */
struct table {
	struct slot *s; /* TABLE_CAP slots */
	size_t n;
};

/* A namespace with series, and when it was last alive. */
struct ns_rec {
	uint32_t ino;
	unsigned misses; /* calls of forget() in a row that did not find it alive */
	bool counted;    /* an increase since the last forget() */
	bool gone;       /* being dropped (within forget()) */
	double alive;    /* when forget() last found it alive */
};

struct events_series {
	uint64_t allow[65536 / 64];
	uint64_t promoted[65536 / 64];
	unsigned top, npromoted;
	uint64_t *port_total;   /* 65536: events of ports not (yet) with a series */
	struct table last, cur; /* the previous reading, and this one */
	struct table series;
	struct events_serie *list;
	uint64_t dropped;
	struct ns_rec *ns; /* sorted by ino */
	size_t nns;
};

static bool bit(const uint64_t *b, unsigned i)
{
	return (b[i / 64] >> (i % 64)) & 1;
}

static uint64_t key_hash(const struct ev_key *k)
{
	uint64_t a, h;
	uint32_t b;

	memcpy(&a, k, 8);
	memcpy(&b, (const char *)k + 8, 4);
	h = a * 0x9E3779B97F4A7C15ull ^ (uint64_t)b * 0xC2B2AE3D27D4EB4Full;
	return h ^ h >> 31;
}

/* The slot of k, made when create; NULL when absent, or when full. */
static struct slot *table_find(struct table *t, const struct ev_key *k, bool create)
{
	size_t i = key_hash(k) & (TABLE_CAP - 1);

	for (;; i = (i + 1) & (TABLE_CAP - 1)) {
		struct slot *s = &t->s[i];

		if (s->used && memcmp(&s->k, k, sizeof(*k)) == 0)
			return s;
		if (s->used)
			continue;
		if (!create || t->n >= TABLE_CAP / 2)
			return NULL;
		s->used = true;
		s->k = *k;
		s->v = 0;
		t->n++;
		return s;
	}
}

void events_series_free(struct events_series *s)
{
	if (s == NULL)
		return;
	free(s->port_total);
	free(s->last.s);
	free(s->cur.s);
	free(s->series.s);
	free(s->list);
	free(s->ns);
	free(s);
}

struct events_series *events_series_new(const uint64_t allow[65536 / 64], unsigned top)
{
	struct events_series *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	memcpy(s->allow, allow, sizeof(s->allow));
	s->top = top;
	s->port_total = calloc(65536, sizeof(*s->port_total));
	s->last.s = calloc(TABLE_CAP, sizeof(struct slot));
	s->cur.s = calloc(TABLE_CAP, sizeof(struct slot));
	s->series.s = calloc(TABLE_CAP, sizeof(struct slot));
	s->list = calloc(EVENTS_SERIES_MAX, sizeof(*s->list));
	if (!s->port_total || !s->last.s || !s->cur.s || !s->series.s || !s->list) {
		events_series_free(s);
		return NULL;
	}
	return s;
}

static bool own_series(const struct events_series *s, uint16_t port)
{
	return port != 0 && (bit(s->allow, port) || bit(s->promoted, port));
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The namespaces in ino[0..n) (any order, repeats allowed; sorted here)
 * counted something: marked, and added when new. 0 or -ENOMEM. */
static int ns_counted(struct events_series *s, uint32_t *ino, size_t n)
{
	size_t k = 0, i = 0, j = 0, out = 0, need;
	struct ns_rec *v;

	if (n == 0)
		return 0;
	qsort(ino, n, sizeof(*ino), cmp_u32);
	for (size_t x = 0; x < n; x++)
		if (k == 0 || ino[k - 1] != ino[x])
			ino[k++] = ino[x];
	need = s->nns + k;
	v = malloc(need * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	while (i < s->nns || j < k) {
		if (j == k || (i < s->nns && s->ns[i].ino < ino[j])) {
			v[out++] = s->ns[i++];
		} else {
			if (i < s->nns && s->ns[i].ino == ino[j])
				v[out] = s->ns[i++];
			else
				v[out] = (struct ns_rec){.ino = ino[j]};
			v[out++].counted = true;
			j++;
		}
	}
	free(s->ns);
	s->ns = v;
	s->nns = out;
	return 0;
}

/* Gives the busiest ports without a series theirs, up to top in all. */
static int promote(struct events_series *s)
{
	struct census_rank *cand;
	size_t n = 0, k;

	if (s->npromoted >= s->top)
		return 0;
	cand = malloc(65536 * sizeof(*cand));
	if (cand == NULL)
		return -ENOMEM;
	for (unsigned p = 1; p < 65536; p++)
		if (s->port_total[p] && !own_series(s, (uint16_t)p))
			cand[n++] = (struct census_rank){{s->port_total[p], 0}, (uint16_t)p, NULL};
	k = census_rank_ports(cand, n, s->top - s->npromoted, true);
	for (size_t i = 0; i < k; i++) {
		s->promoted[cand[i].port / 64] |= 1ull << (cand[i].port % 64);
		s->npromoted++;
	}
	free(cand);
	return 0;
}

int events_series_update(struct events_series *s, const struct events_count *v, size_t n)
{
	uint64_t *delta = calloc(n ? n : 1, sizeof(*delta));
	uint32_t *counted = malloc((n ? n : 1) * sizeof(*counted));
	size_t ncounted = 0;
	struct table t;
	int rc = 0;

	if (delta == NULL || counted == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	memset(s->cur.s, 0, TABLE_CAP * sizeof(struct slot));
	s->cur.n = 0;
	for (size_t i = 0; i < n; i++) {
		struct slot *was = table_find(&s->last, &v[i].key, false);
		struct slot *now = table_find(&s->cur, &v[i].key, false);

		if (now) /* read twice while the map changed */
			continue;
		now = table_find(&s->cur, &v[i].key, true);
		if (now)
			now->v = v[i].value;
		/* Gone and back (LRU eviction): counts from 0. */
		delta[i] = was && v[i].value >= was->v ? v[i].value - was->v : v[i].value;
		if (!own_series(s, v[i].key.port))
			s->port_total[v[i].key.port] += delta[i];
	}
	rc = promote(s);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct ev_key k = v[i].key;
		struct slot *e;

		if (delta[i] == 0)
			continue;
		k.pad = 0;
		if (!own_series(s, k.port)) {
			k.port = 0;
			k.pad = 1;
		}
		e = table_find(&s->series, &k, true);
		if (e) {
			e->v += delta[i];
			counted[ncounted++] = k.netns;
		} else {
			s->dropped += delta[i];
		}
	}
	t = s->last;
	s->last = s->cur;
	s->cur = t;
	/* Only namespaces with series are kept: at most EVENTS_SERIES_MAX. */
	rc = ns_counted(s, counted, ncounted);
out:
	free(delta);
	free(counted);
	return rc;
}

int events_series_forget(struct events_series *s, const uint32_t *seen, size_t n, double now,
			 double after)
{
	uint32_t *sorted = malloc((n ? n : 1) * sizeof(*sorted));
	size_t j = 0;
	int ngone = 0;

	if (sorted == NULL)
		return -ENOMEM;
	if (n) {
		memcpy(sorted, seen, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_u32);
	}
	for (size_t i = 0; i < s->nns; i++) {
		struct ns_rec *r = &s->ns[i];

		if (r->counted || bsearch(&r->ino, sorted, n, sizeof(*sorted), cmp_u32)) {
			r->counted = false;
			r->misses = 0;
			r->alive = now;
		} else if (++r->misses >= 2 && now - r->alive >= after) {
			r->gone = true;
			ngone++;
		}
	}
	free(sorted);
	if (ngone == 0)
		return 0;
	/* Rebuild the series without the gone namespaces' (the table has no
	 * deletion), in cur, which is scratch between updates. */
	memset(s->cur.s, 0, TABLE_CAP * sizeof(struct slot));
	s->cur.n = 0;
	for (size_t i = 0; i < TABLE_CAP; i++) {
		const struct slot *o = &s->series.s[i];
		const struct ns_rec *r;

		if (!o->used)
			continue;
		/* ino leads struct ns_rec */
		r = bsearch(&o->k.netns, s->ns, s->nns, sizeof(*s->ns), cmp_u32);
		if (r && r->gone)
			continue;
		table_find(&s->cur, &o->k, true)->v = o->v;
	}
	{
		struct table t = s->series;

		s->series = s->cur;
		s->cur = t;
	}
	for (size_t i = 0; i < s->nns; i++)
		if (!s->ns[i].gone)
			s->ns[j++] = s->ns[i];
	s->nns = j;
	return ngone;
}

static int cmp_serie(const void *a, const void *b)
{
	const struct ev_key *x = &((const struct events_serie *)a)->key;
	const struct ev_key *y = &((const struct events_serie *)b)->key;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	if (x->pad != y->pad)
		return x->pad < y->pad ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return (x->reason > y->reason) - (x->reason < y->reason);
}

size_t events_series_list(struct events_series *s, const struct events_serie **out)
{
	size_t n = 0;

	for (size_t i = 0; i < TABLE_CAP && n < EVENTS_SERIES_MAX; i++)
		if (s->series.s[i].used)
			s->list[n++] = (struct events_serie){s->series.s[i].k, s->series.s[i].v};
	if (n > 1)
		qsort(s->list, n, sizeof(*s->list), cmp_serie);
	*out = s->list;
	return n;
}

uint64_t events_series_dropped(const struct events_series *s)
{
	return s->dropped;
}

uint64_t events_gap_lost(struct events_gap *g, uint64_t skipped, uint64_t applied, double now)
{
	uint64_t gap = skipped > applied ? skipped - applied : 0;
	uint64_t held;

	if (g->at > 0 && now - g->at < EVENTS_GAP_HOLD)
		return g->lost;
	/* What both readings saw unapplied (a gap only grows by new skips). */
	held = g->at > 0 ? (gap < g->gap ? gap : g->gap) : 0;
	if (held > g->lost)
		g->lost = held;
	g->gap = gap;
	g->at = now;
	return g->lost;
}
