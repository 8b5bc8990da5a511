/* connections/view: one query's answer, built while a dump streams. See connections/view.h. */
#include "connections/view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/hash.h"
#include "sockdiag/reply.h"

/* Open addressing; a record with sockets == 0 is an empty slot. */
struct group_table {
	struct conn_group_rec *slots; /* owned */
	size_t nslots, n;
	uint64_t untracked;
};

/* One worker's share. */
struct part {
	struct conn_row *heap; /* owned, limit rows; a max-heap: [0] is the last kept */
	size_t n;
	uint64_t total;
	uint64_t ungrouped;
	struct group_table groups;
};

struct conn_view {
	struct conn_query q;
	unsigned nworkers;
	struct part parts[CONN_MAX_WORKERS];
	const struct conn_group_rec **order; /* owned; after finish, grouped view */
	size_t norder;
};

struct conn_view *conn_view_new(const struct conn_query *q, unsigned nworkers)
{
	struct conn_view *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return NULL;
	v->q = *q;
	v->nworkers = nworkers < 1 ? 1 : nworkers > CONN_MAX_WORKERS ? CONN_MAX_WORKERS : nworkers;
	if (q->group != CONN_GROUP_NONE)
		return v;
	for (unsigned w = 0; w < v->nworkers; w++) {
		v->parts[w].heap = malloc(q->limit * sizeof(struct conn_row));
		if (v->parts[w].heap == NULL) {
			conn_view_free(v);
			return NULL;
		}
	}
	return v;
}

void conn_view_free(struct conn_view *v)
{
	if (v == NULL)
		return;
	for (unsigned w = 0; w < CONN_MAX_WORKERS; w++) {
		free(v->parts[w].heap);
		free(v->parts[w].groups.slots);
	}
	free(v->order);
	free(v);
}

const struct conn_query *conn_view_query(const struct conn_view *v)
{
	return &v->q;
}

bool conn_view_needs_country(const struct conn_view *v)
{
	return v->q.has_country || v->q.sort == CONN_COL_COUNTRY || v->q.group != CONN_GROUP_NONE;
}

bool conn_view_needs_asn(const struct conn_view *v)
{
	return v->q.has_asn || v->q.group == CONN_GROUP_ASN;
}

void conn_row_program(const struct conn_row *r, char *out)
{
	size_t n = strlen(r->comm);

	memcpy(out, r->comm, n + 1);
	if (r->via_listener && n)
		memcpy(out + n, CONN_LISTENER_SUFFIX, sizeof(CONN_LISTENER_SUFFIX));
}

static bool owner_match(const struct conn_query *q, const char *program, int32_t pid)
{
	return (!q->has_pid || pid == q->pid) && (!q->has_program || strstr(program, q->program));
}

/* Whether any owner of the row (the holders of a shared socket, else the
 * one in comm and pid) passes the query's program and pid filters. */
static bool owner_filter(const struct conn_query *q, const struct conn_row *r)
{
	char prog[CONN_PROGRAM_MAX + 1];
	struct owners_holders h;

	if (!q->has_program && !q->has_pid)
		return true;
	if (q->has_program && strcmp(q->program, "none") == 0)
		return r->comm[0] == '\0' && !q->has_pid;
	if (r->holders == NULL || owners_holders(r->holders, r->inode, &h) == 0) {
		conn_row_program(r, prog);
		return r->pid >= 0 && owner_match(q, prog, r->pid);
	}
	for (unsigned i = 0; i < h.n; i++) {
		const struct owners_proc *p = owners_proc_at(r->holders, h.slots[i]);

		if (p && owner_match(q, p->comm, p->pid))
			return true;
	}
	return false;
}

/* ---- comparison ---- */

static int cmp_u(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

static int cmp_addr(uint8_t fa, const uint8_t *a, uint8_t fb, const uint8_t *b)
{
	if (fa != fb)
		return fa == AF_INET ? -1 : 1;
	return memcmp(a, b, fa == AF_INET ? 4 : 16);
}

/* How much a row needs a look, most first: half-open and leaked
 * (CLOSE_WAIT) connections, then retransmitting ones, the other closing
 * states, connects in progress, established, TIME_WAIT, listeners, UDP. */
static unsigned problem_rank(const struct conn_row *r)
{
	static const uint8_t rank[CONN_STATE_COUNT] = {
		[DIAG_TCP_SYN_RECV] = 0, [DIAG_TCP_CLOSE_WAIT] = 1, [DIAG_TCP_FIN_WAIT1] = 3,
		[DIAG_TCP_LAST_ACK] = 3, [DIAG_TCP_CLOSING] = 3, [DIAG_TCP_CLOSE] = 3,
		[DIAG_TCP_SYN_SENT] = 4, [DIAG_TCP_ESTABLISHED] = 5, [DIAG_TCP_FIN_WAIT2] = 6,
		[DIAG_TCP_TIME_WAIT] = 7, [DIAG_TCP_LISTEN] = 8, [CONN_STATE_UDP_CONNECTED] = 9,
		[CONN_STATE_UDP_UNCONNECTED] = 9,
	};
	if (r->has_info && r->retransmitting)
		return 2;
	return r->state < CONN_STATE_COUNT ? rank[r->state] : 10;
}

static int cmp_col(enum conn_column c, const struct conn_row *a, const struct conn_row *b)
{
	int r;

	switch (c) {
	case CONN_COL_LOCAL:
		r = cmp_addr(a->addr_family, a->src, b->addr_family, b->src);
		return r ? r : cmp_u(a->sport, b->sport);
	case CONN_COL_PORT:
		return cmp_u(a->sport, b->sport);
	case CONN_COL_REMOTE:
		r = cmp_addr(a->addr_family, a->dst, b->addr_family, b->dst);
		return r ? r : cmp_u(a->dport, b->dport);
	case CONN_COL_RPORT:
		return cmp_u(a->dport, b->dport);
	case CONN_COL_PROTO:
		return cmp_u(a->proto, b->proto);
	case CONN_COL_STATE:
		return cmp_u(a->state, b->state);
	case CONN_COL_DIRECTION:
		return cmp_u(a->direction, b->direction);
	case CONN_COL_RQUEUE:
		return cmp_u(a->rqueue, b->rqueue);
	case CONN_COL_WQUEUE:
		return cmp_u(a->wqueue, b->wqueue);
	case CONN_COL_PROGRAM:
		r = strcmp(a->comm, b->comm);
		return r ? r : cmp_u(a->via_listener, b->via_listener);
	case CONN_COL_PID:
		return (a->pid > b->pid) - (a->pid < b->pid);
	case CONN_COL_UID:
		return cmp_u(a->uid, b->uid);
	case CONN_COL_COUNTRY:
		return cmp_u(a->cc, b->cc);
	case CONN_COL_RTT:
		return cmp_u(a->rtt_us, b->rtt_us);
	case CONN_COL_RETRANS:
		r = cmp_u(a->total_retrans, b->total_retrans);
		return r ? r : cmp_u(a->retransmitting, b->retransmitting);
	case CONN_COL_PROBLEMS: /* then fuller queues first */
		r = cmp_u(problem_rank(a), problem_rank(b));
		return r ? r : cmp_u((uint64_t)b->rqueue + b->wqueue, (uint64_t)a->rqueue + a->wqueue);
	default:
		return 0;
	}
}

int conn_row_cmp(const struct conn_query *q, const struct conn_row *a, const struct conn_row *b)
{
	int r;

	/* Rows without tcp_info (UDP, TIME_WAIT, request sockets, or tcp-info
	 * off) have nothing to rank: last, whichever the order. */
	if ((q->sort == CONN_COL_RTT || q->sort == CONN_COL_RETRANS) && a->has_info != b->has_info)
		return a->has_info ? -1 : 1;
	r = cmp_col(q->sort, a, b);
	if (r)
		return q->desc ? -r : r;
	/* The whole tuple, so the order is total and the same every time. */
	if ((r = cmp_col(CONN_COL_PROTO, a, b)) || (r = cmp_col(CONN_COL_LOCAL, a, b)) ||
	    (r = cmp_col(CONN_COL_REMOTE, a, b)) || (r = cmp_col(CONN_COL_STATE, a, b)))
		return r;
	return cmp_u(a->inode, b->inode);
}

/* ---- filter ---- */

/* A pod= or namespace= filter against a row's label ("none": no label). */
static bool ident_match(const char *want, const char *have)
{
	return strcmp(want, "none") == 0 ? have[0] == '\0' : strcmp(want, have) == 0;
}

static bool match(const struct conn_query *q, const struct conn_row *r)
{
	if (q->protos && !(q->protos & r->proto))
		return false;
	if (q->states && !(q->states & (1u << r->state)))
		return false;
	if (q->directions && !(q->directions & (1u << r->direction)))
		return false;
	if (q->has_port && r->sport != q->port)
		return false;
	if (q->has_rport && r->dport != q->rport)
		return false;
	if (!conn_query_remote_match(q, r->addr_family, r->dst))
		return false;
	if (!owner_filter(q, r))
		return false;
	if (q->retransmitting && (!r->has_info ||
				  r->retransmitting != (q->retransmitting == CONN_RETRANSMITTING_YES)))
		return false;
	if (q->has_asn && r->asn != q->asn)
		return false;
	if (q->has_netns && (r->ns == NULL || r->ns->ino != q->netns))
		return false;
	if (q->pod[0] && !ident_match(q->pod, r->ns ? r->ns->pod : ""))
		return false;
	if (q->namespace_[0] && !ident_match(q->namespace_, r->ns ? r->ns->namespace_ : ""))
		return false;
	if (q->has_country) {
		unsigned want = strcmp(q->country, "none") == 0 ? CONN_CC_NONE
			: strcmp(q->country, "unknown") == 0 ? CONN_CC_UNKNOWN
			: geoip_cc_index(q->country);
		if (r->cc != want)
			return false;
	}
	return true;
}

/* ---- bounded heap ---- */

static void swap_rows(struct conn_row *a, struct conn_row *b)
{
	struct conn_row t = *a;
	*a = *b;
	*b = t;
}

static void heap_push(const struct conn_query *q, struct part *p, const struct conn_row *r)
{
	size_t i;

	if (p->n < q->limit) {
		i = p->n++;
		p->heap[i] = *r;
		while (i > 0 && conn_row_cmp(q, &p->heap[(i - 1) / 2], &p->heap[i]) < 0) {
			swap_rows(&p->heap[(i - 1) / 2], &p->heap[i]);
			i = (i - 1) / 2;
		}
		return;
	}
	if (conn_row_cmp(q, r, &p->heap[0]) >= 0)
		return; /* after every kept row */
	p->heap[0] = *r;
	for (i = 0;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < p->n && conn_row_cmp(q, &p->heap[l], &p->heap[m]) > 0)
			m = l;
		if (l + 1 < p->n && conn_row_cmp(q, &p->heap[l + 1], &p->heap[m]) > 0)
			m = l + 1;
		if (m == i)
			break;
		swap_rows(&p->heap[i], &p->heap[m]);
		i = m;
	}
}

/* ---- groups ---- */

static struct conn_group_rec *slot_of(const struct group_table *t, const uint8_t *key)
{
	size_t mask = t->nslots - 1, i = (size_t)hash_fnv1a(key, sizeof(t->slots->key)) & mask;

	for (;;) {
		struct conn_group_rec *g = &t->slots[i];
		if (g->sockets == 0 || memcmp(g->key, key, sizeof(g->key)) == 0)
			return g;
		i = (i + 1) & mask;
	}
}

static int grow(struct group_table *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 64;
	struct conn_group_rec *old = t->slots;
	size_t oldn = t->nslots;

	t->slots = calloc(nslots, sizeof(*t->slots));
	if (t->slots == NULL) {
		t->slots = old;
		return -ENOMEM;
	}
	t->nslots = nslots;
	for (size_t i = 0; i < oldn; i++)
		if (old[i].sockets != 0)
			*slot_of(t, old[i].key) = old[i];
	free(old);
	return 0;
}

/* The record of key, zeroed if new; NULL when the table is full. */
static int group_get(struct group_table *t, const uint8_t *key, struct conn_group_rec **out)
{
	struct conn_group_rec *g;

	*out = NULL;
	if ((t->nslots == 0 || t->n + 1 > t->nslots / 2) && t->n < CONN_MAX_GROUPS && grow(t) < 0)
		return -ENOMEM;
	g = slot_of(t, key);
	if (g->sockets == 0) {
		if (t->n >= CONN_MAX_GROUPS)
			return 0;
		memset(g, 0, sizeof(*g));
		memcpy(g->key, key, sizeof(g->key));
		t->n++;
	}
	*out = g;
	return 0;
}

static void add_country(struct conn_group_rec *g, uint16_t cc, uint32_t n)
{
	if (cc == CONN_CC_UNSET)
		return;
	for (int i = 0; i < CONN_GROUP_COUNTRIES; i++) {
		if (g->cc_n[i] != 0 && g->cc[i] == cc) {
			g->cc_n[i] += n;
			return;
		}
		if (g->cc_n[i] == 0) {
			g->cc[i] = cc;
			g->cc_n[i] = n;
			return;
		}
	}
	g->cc_other += n;
}

static void group_key(enum conn_group by, const struct conn_row *r, uint8_t key[20])
{
	memset(key, 0, 20);
	switch (by) {
	case CONN_GROUP_REMOTE:
		key[0] = r->addr_family;
		memcpy(key + 1, r->dst, r->addr_family == AF_INET ? 4 : 16);
		break;
	case CONN_GROUP_PROGRAM:
		memcpy(key, r->comm, strlen(r->comm));
		key[CONN_COMM_MAX] = r->via_listener;
		break;
	case CONN_GROUP_PORT:
		memcpy(key, &r->sport, 2);
		break;
	case CONN_GROUP_ASN:
		memcpy(key, &r->asn, 4);
		break;
	case CONN_GROUP_PREFIX:
		key[0] = r->addr_family;
		memcpy(key + 1, r->dst, r->addr_family == AF_INET ? 3 : 6); /* /24, /48 */
		break;
	case CONN_GROUP_STATE:
		key[0] = r->state;
		break;
	case CONN_GROUP_RPORT:
		memcpy(key, &r->dport, 2);
		break;
	case CONN_GROUP_POD:
		if (r->ns)
			memcpy(key, &r->ns->ino, 8);
		break;
	case CONN_GROUP_NAMESPACE:
		if (r->ns)
			memcpy(key, &r->ns->kns, 4);
		break;
	default:
		memcpy(key, &r->cc, 2);
		break;
	}
}

static int group_add(struct conn_view *v, struct part *p, const struct conn_row *r)
{
	struct conn_group_rec *g;
	uint8_t key[20];
	int ret;

	/* A client's ephemeral port is no service; a listener has no remote. */
	if ((v->q.group == CONN_GROUP_PORT && r->direction != CONN_DIR_LISTEN && !r->on_listener) ||
	    ((v->q.group == CONN_GROUP_REMOTE || v->q.group == CONN_GROUP_PREFIX) &&
	     r->direction == CONN_DIR_LISTEN)) {
		p->ungrouped++;
		return 0;
	}
	group_key(v->q.group, r, key);
	ret = group_get(&p->groups, key, &g);
	if (ret < 0)
		return ret;
	if (g == NULL) {
		p->groups.untracked++;
		return 0;
	}
	if (g->sockets == 0) {
		g->sample_family = r->addr_family;
		memcpy(g->sample, r->dst, sizeof(g->sample));
	}
	g->sockets++;
	g->states[r->state]++;
	add_country(g, r->cc, 1);
	return 0;
}

int conn_view_add(struct conn_view *v, unsigned w, const struct conn_row *r)
{
	struct part *p = &v->parts[w < v->nworkers ? w : 0];

	if (!match(&v->q, r))
		return 0;
	p->total++;
	if (v->q.group != CONN_GROUP_NONE)
		return group_add(v, p, r);
	heap_push(&v->q, p, r);
	return 0;
}

/* ---- finish ---- */

static int cmp_rows_r(const void *a, const void *b, void *q)
{
	return conn_row_cmp(q, a, b);
}

static int cmp_groups(const void *a, const void *b)
{
	const struct conn_group_rec *x = *(const struct conn_group_rec *const *)a;
	const struct conn_group_rec *y = *(const struct conn_group_rec *const *)b;

	if (x->sockets != y->sockets)
		return x->sockets < y->sockets ? 1 : -1;
	return memcmp(x->key, y->key, sizeof(x->key));
}

static int merge_groups(struct conn_view *v)
{
	struct group_table *t0 = &v->parts[0].groups;
	int ret = 0;

	for (unsigned w = 1; w < v->nworkers; w++) {
		struct group_table *t = &v->parts[w].groups;
		for (size_t i = 0; i < t->nslots; i++) {
			const struct conn_group_rec *src = &t->slots[i];
			struct conn_group_rec *g;
			if (src->sockets == 0)
				continue;
			ret = group_get(t0, src->key, &g);
			if (ret < 0)
				goto out;
			if (g == NULL) {
				t0->untracked += src->sockets;
				continue;
			}
			if (g->sockets == 0) {
				g->sample_family = src->sample_family;
				memcpy(g->sample, src->sample, sizeof(g->sample));
			}
			g->sockets += src->sockets;
			for (int s = 0; s < CONN_STATE_COUNT; s++)
				g->states[s] += src->states[s];
			for (int c = 0; c < CONN_GROUP_COUNTRIES; c++)
				if (src->cc_n[c])
					add_country(g, src->cc[c], src->cc_n[c]);
			g->cc_other += src->cc_other;
		}
		t0->untracked += t->untracked;
	}
	v->order = malloc((t0->n + 1) * sizeof(*v->order));
	if (v->order == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < t0->nslots; i++)
		if (t0->slots[i].sockets != 0)
			v->order[v->norder++] = &t0->slots[i];
	qsort(v->order, v->norder, sizeof(*v->order), cmp_groups);
	if (v->norder > v->q.limit)
		v->norder = v->q.limit;
out:
	return ret;
}

int conn_view_finish(struct conn_view *v)
{
	struct part *p0 = &v->parts[0];

	for (unsigned w = 1; w < v->nworkers; w++) {
		p0->total += v->parts[w].total;
		p0->ungrouped += v->parts[w].ungrouped;
	}
	if (v->q.group != CONN_GROUP_NONE)
		return merge_groups(v);
	for (unsigned w = 1; w < v->nworkers; w++)
		for (size_t i = 0; i < v->parts[w].n; i++)
			heap_push(&v->q, p0, &v->parts[w].heap[i]);
	qsort_r(p0->heap, p0->n, sizeof(*p0->heap), cmp_rows_r, &v->q);
	return 0;
}

uint64_t conn_view_total(const struct conn_view *v)
{
	return v->parts[0].total;
}

const struct conn_row *conn_view_rows(const struct conn_view *v, size_t *n)
{
	*n = v->parts[0].n;
	return v->parts[0].heap;
}

uint64_t conn_view_groups_total(const struct conn_view *v)
{
	return v->parts[0].groups.n;
}

uint64_t conn_view_ungrouped(const struct conn_view *v)
{
	return v->parts[0].ungrouped;
}

uint64_t conn_view_untracked(const struct conn_view *v)
{
	return v->parts[0].groups.untracked;
}

const struct conn_group_rec *const *conn_view_groups(const struct conn_view *v, size_t *n)
{
	*n = v->norder;
	return v->order;
}
