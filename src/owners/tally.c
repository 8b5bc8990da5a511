#include "owners/tally.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "owners/listen_map.h"

/* Count keys: the eleven TCP states, then UDP unconnected and connected. */
#define KEY_UDP_UNCONNECTED DIAG_TCP_STATE_COUNT
#define KEY_UDP_CONNECTED (DIAG_TCP_STATE_COUNT + 1)
#define NKEYS (DIAG_TCP_STATE_COUNT + 2)

enum reason {
	REASON_KERNEL = 0,
	REASON_NOT_FOUND,
	REASON_COUNT
};

static const char *const reason_names[REASON_COUNT] = {"kernel", "not_found"};

/* Request and TIME_WAIT sockets of one local address and port, waiting for
 * the dump's end to be given to the listener they arrived on. */
struct pending {
	uint32_t n[2];           /* [0]: syn_recv, [1]: time_wait; 0 and 0: empty slot */
	uint16_t port;
	uint8_t addr_family;
	uint8_t addr[16];
};

struct listener {
	uint64_t netns;  /* 0: the host dump */
	unsigned slot;
	bool first;      /* of the socket's first holder: its request and TIME_WAIT sockets' owner */
	uint8_t protocol;
	uint8_t addr_family;
	uint16_t port;
	uint8_t addr[16];
};

/* One dump worker's tallies; only that worker writes them. */
struct worker_tally {
	uint64_t *counts;        /* owned; [slot * NKEYS + key] */
	size_t nslots;           /* rows allocated */
	uint64_t unknown[REASON_COUNT][NKEYS];
	struct listener *listeners; /* owned, TALLY_MAX_LISTENERS */
	size_t nlisteners;
	uint32_t *missing;       /* owned, TALLY_MAX_MISSING */
	size_t nmissing;
	struct pending *pending; /* owned, TALLY_MAX_PENDING slots, open addressing */
	size_t npending;
	/* other namespaces' sockets */
	uint64_t *ncounts;       /* owned; [slot * NKEYS + key] */
	uint64_t *slot_ns;       /* owned; [slot]: the namespace its sockets were dumped in */
	size_t nnslots;          /* rows allocated */
};

struct tally {
	struct owners *owners;   /* borrowed */
	const struct expo_desc *desc; /* borrowed, [TALLY_METRIC_COUNT] */
	struct tally_opts opts;
	unsigned nworkers;
	unsigned nslots;         /* owners_slots() at tally_begin() */
	unsigned nworkers_ns;    /* 0: no netns section this scrape */
	unsigned nslots_ns;      /* owners_slots() at tally_begin_netns() */
	struct worker_tally t[TALLY_MAX_WORKERS];
};

struct tally *tally_new(struct owners *owners, const struct tally_opts *opts,
			const struct expo_desc *desc)
{
	struct tally *a = calloc(1, sizeof(*a));

	if (a == NULL)
		goto out;
	a->owners = owners;
	a->desc = desc;
	a->opts = *opts;
	for (int w = 0; w < TALLY_MAX_WORKERS; w++) {
		a->t[w].listeners = malloc(TALLY_MAX_LISTENERS * sizeof(struct listener));
		a->t[w].missing = malloc(TALLY_MAX_MISSING * sizeof(uint32_t));
		a->t[w].pending = calloc(TALLY_MAX_PENDING, sizeof(struct pending));
		if (a->t[w].listeners == NULL || a->t[w].missing == NULL || a->t[w].pending == NULL) {
			tally_free(a);
			a = NULL;
			goto out;
		}
	}
out:
	return a;
}

void tally_free(struct tally *a)
{
	if (a == NULL)
		return;
	for (int w = 0; w < TALLY_MAX_WORKERS; w++) {
		free(a->t[w].counts);
		free(a->t[w].ncounts);
		free(a->t[w].slot_ns);
		free(a->t[w].listeners);
		free(a->t[w].missing);
		free(a->t[w].pending);
	}
	free(a);
}

/* Forgets the listeners of the host dump (netns false) or of the others. */
static void drop_listeners(struct worker_tally *t, bool netns)
{
	size_t o = 0;

	for (size_t i = 0; i < t->nlisteners; i++)
		if ((t->listeners[i].netns != 0) != netns)
			t->listeners[o++] = t->listeners[i];
	t->nlisteners = o;
}

int tally_begin(struct tally *a, unsigned nworkers)
{
	unsigned nslots = owners_slots(a->owners);
	int ret = 0;

	if (nworkers == 0 || nworkers > TALLY_MAX_WORKERS) {
		ret = -EINVAL;
		goto out;
	}
	a->nworkers = nworkers;
	a->nslots = nslots;
	for (unsigned w = 0; w < nworkers; w++) {
		struct worker_tally *t = &a->t[w];

		if (t->nslots < nslots) {
			uint64_t *c = realloc(t->counts, (size_t)nslots * NKEYS * sizeof(*c));

			if (c == NULL) {
				ret = -ENOMEM;
				goto out;
			}
			t->counts = c;
			t->nslots = nslots;
		}
		if (nslots > 0)
			memset(t->counts, 0, (size_t)nslots * NKEYS * sizeof(*t->counts));
		memset(t->unknown, 0, sizeof(t->unknown));
		drop_listeners(t, false);
		t->nmissing = 0;
		if (t->npending)
			memset(t->pending, 0, TALLY_MAX_PENDING * sizeof(*t->pending));
		t->npending = 0;
	}
out:
	return ret;
}

int tally_begin_netns(struct tally *a, unsigned nworkers)
{
	unsigned nslots = owners_slots(a->owners);
	int ret = 0;

	if (nworkers == 0 || nworkers > TALLY_MAX_WORKERS) {
		ret = -EINVAL;
		goto out;
	}
	a->nworkers_ns = nworkers;
	a->nslots_ns = nslots;
	for (unsigned w = 0; w < TALLY_MAX_WORKERS; w++) {
		struct worker_tally *t = &a->t[w];

		if (t->nnslots < nslots) {
			uint64_t *c = realloc(t->ncounts, (size_t)nslots * NKEYS * sizeof(*c));
			uint64_t *ns;

			if (c != NULL)
				t->ncounts = c;
			ns = c ? realloc(t->slot_ns, (size_t)nslots * sizeof(*ns)) : NULL;
			if (ns == NULL) {
				ret = -ENOMEM;
				a->nworkers_ns = 0;
				goto out;
			}
			t->slot_ns = ns;
			t->nnslots = nslots;
		}
		if (nslots > 0) {
			memset(t->ncounts, 0, (size_t)nslots * NKEYS * sizeof(*t->ncounts));
			memset(t->slot_ns, 0, (size_t)nslots * sizeof(*t->slot_ns));
		}
		drop_listeners(t, true);
	}
out:
	return ret;
}

static int sock_key(const struct diag_sock *s)
{
	if (s->protocol == IPPROTO_UDP)
		return s->dport != 0 ? KEY_UDP_CONNECTED : KEY_UDP_UNCONNECTED;
	return diag_tcp_state(s->kstate);
}

static void add_listener(struct worker_tally *t, unsigned slot, bool first,
			 const struct diag_sock *s, int key, uint64_t netns)
{
	if ((s->kstate == DIAG_KSTATE_LISTEN && s->protocol == IPPROTO_TCP) ||
	    key == KEY_UDP_UNCONNECTED) {
		struct listener *l;

		if (t->nlisteners == TALLY_MAX_LISTENERS)
			return;
		l = &t->listeners[t->nlisteners++];
		l->netns = netns;
		l->slot = slot;
		l->first = first;
		l->protocol = s->protocol;
		l->addr_family = s->addr_family;
		l->port = s->sport;
		memcpy(l->addr, s->src, sizeof(l->addr));
	}
}

/* Orders processes by their label values, so equal owners are adjacent. */
struct sort_ctx {
	const struct owners *owners;
	const struct tally_opts *opts;
};

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_owner(const struct sort_ctx *c, unsigned sa, unsigned sb)
{
	const struct owners_proc *a = owners_proc_at(c->owners, sa);
	const struct owners_proc *b = owners_proc_at(c->owners, sb);
	int r = strcmp(a->comm, b->comm);

	if (r == 0 && c->opts->exe)
		r = cmp_str(a->exe, b->exe);
	if (r == 0 && c->opts->user) {
		long ua = a->has_uid ? (long)a->uid : -1, ub = b->has_uid ? (long)b->uid : -1;
		r = (ua > ub) - (ua < ub);
	}
	if (r == 0 && c->opts->pid)
		r = (a->pid > b->pid) - (a->pid < b->pid);
	return r;
}

static void note_missing(struct worker_tally *t, uint32_t inode)
{
	if (t->nmissing < TALLY_MAX_MISSING)
		t->missing[t->nmissing++] = inode;
}

/* Keeps a request or TIME_WAIT socket for its listener; false when the
 * table is full. */
static bool pend(struct worker_tally *t, const struct diag_sock *s, int key)
{
	uint8_t k[19];
	uint64_t h = 0xcbf29ce484222325ull;
	size_t alen = s->addr_family == AF_INET ? 4 : 16, i;

	memset(k, 0, sizeof(k));
	k[0] = s->addr_family;
	memcpy(k + 1, &s->sport, 2);
	memcpy(k + 3, s->src, alen);
	for (size_t j = 0; j < sizeof(k); j++)
		h = (h ^ k[j]) * 0x100000001b3ull;
	for (i = (size_t)h % TALLY_MAX_PENDING;; i = (i + 1) % TALLY_MAX_PENDING) {
		struct pending *p = &t->pending[i];
		if (p->n[0] == 0 && p->n[1] == 0) {
			if (4 * (t->npending + 1) > 3 * TALLY_MAX_PENDING)
				return false; /* keep the table at most 3/4 full */
			t->npending++;
			p->port = s->sport;
			p->addr_family = s->addr_family;
			memcpy(p->addr, s->src, alen);
			break;
		}
		if (p->port == s->sport && p->addr_family == s->addr_family &&
		    memcmp(p->addr, s->src, alen) == 0)
			break;
	}
	t->pending[i].n[key == DIAG_TCP_TIME_WAIT]++;
	return true;
}

/* Whether listed holder i of a socket has the owner labels of an earlier
 * one: the socket then already counts for that series. */
static bool series_counted(const struct tally *a, const struct owners_holders *h, unsigned i)
{
	struct sort_ctx sc = {a->owners, &a->opts};

	for (unsigned j = 0; j < i; j++)
		if (cmp_owner(&sc, h->slots[j], h->slots[i]) == 0)
			return true;
	return false;
}

/* Counts a held socket once for each distinct owner series among its listed
 * holders (docs/processes.md, Shared sockets). counts and slot_ns: the host
 * dump's or the other namespaces' (slot_ns NULL for the host). */
static void count_holders(struct tally *a, struct worker_tally *t, const struct owners_holders *h,
			  unsigned nslots, uint64_t *counts, uint64_t *slot_ns, const struct diag_sock *s,
			  int key, uint64_t netns)
{
	for (unsigned i = 0; i < h->n; i++) {
		uint32_t slot = h->slots[i];

		if (slot >= nslots || (i > 0 && series_counted(a, h, i)))
			continue;
		counts[(size_t)slot * NKEYS + (size_t)key]++;
		/* A process's sockets normally live in its own namespace; one
		 * holding sockets in several is shown under the last one seen. */
		if (slot_ns)
			slot_ns[slot] = netns;
		add_listener(t, slot, i == 0, s, key, netns);
	}
}

void tally_add(struct tally *a, unsigned worker, const struct diag_sock *s)
{
	struct worker_tally *t = &a->t[worker];
	struct owners_holders h;
	int key = sock_key(s);

	if (key < 0)
		return;
	if (owners_holders(a->owners, s->inode, &h) == 0 || h.slots[0] >= a->nslots) {
		if (s->inode == 0) {
			if (s->protocol != IPPROTO_TCP ||
			    (key != DIAG_TCP_SYN_RECV && key != DIAG_TCP_TIME_WAIT) || !pend(t, s, key))
				t->unknown[REASON_KERNEL][key]++;
			return;
		}
		t->unknown[REASON_NOT_FOUND][key]++;
		note_missing(t, s->inode);
		return;
	}
	count_holders(a, t, &h, a->nslots, t->counts, NULL, s, key, 0);
}

void tally_add_netns(struct tally *a, unsigned worker, const struct diag_sock *s, uint64_t netns)
{
	struct worker_tally *t = &a->t[worker];
	struct owners_holders h;
	int key = sock_key(s);

	if (key < 0 || worker >= a->nworkers_ns || owners_holders(a->owners, s->inode, &h) == 0)
		return;
	count_holders(a, t, &h, a->nslots_ns, t->ncounts, t->slot_ns, s, key, netns);
}

/* One process's counts in one namespace (0: the host dump). */
struct row {
	unsigned slot;
	uint64_t netns;
	const uint64_t *counts; /* NKEYS */
};

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

static int cmp_rows(const void *x, const void *y, void *arg)
{
	const struct row *a = x, *b = y;
	int r = cmp_owner(arg, a->slot, b->slot);

	return r ? r : cmp_u64(a->netns, b->netns);
}

static int cmp_listeners(const void *x, const void *y, void *arg)
{
	const struct listener *a = x, *b = y;
	int r = cmp_owner(arg, a->slot, b->slot);

	if (r == 0)
		r = cmp_u64(a->netns, b->netns);
	if (r == 0)
		r = (a->protocol > b->protocol) - (a->protocol < b->protocol);
	if (r == 0)
		r = (a->addr_family > b->addr_family) - (a->addr_family < b->addr_family);
	if (r == 0)
		r = memcmp(a->addr, b->addr, a->addr_family == AF_INET ? 4 : 16);
	if (r == 0)
		r = (a->port > b->port) - (a->port < b->port);
	return r;
}

/* The owner labels of one process: comm, then the optional ones. */
struct owner_labels {
	struct expo_label l[5];
	size_t n;
	char user[64];
	char pid[16];
	char netns[24];
};

/* netns: the namespace the sockets were dumped in; 0 (the host dump): no label. */
static void owner_labels(const struct tally *a, const struct owners_proc *p, uint64_t netns,
			 struct owner_labels *ol)
{
	ol->n = 0;
	ol->l[ol->n++] = (struct expo_label){"comm", p->comm};
	if (a->opts.exe)
		ol->l[ol->n++] = (struct expo_label){"exe", p->exe ? p->exe : ""};
	if (a->opts.user) {
		struct passwd pw, *res = NULL;
		char buf[1024];

		ol->user[0] = '\0';
		if (p->has_uid) {
			if (getpwuid_r(p->uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
				snprintf(ol->user, sizeof(ol->user), "%s", res->pw_name);
			else
				snprintf(ol->user, sizeof(ol->user), "%u", p->uid);
		}
		ol->l[ol->n++] = (struct expo_label){"user", ol->user};
	}
	if (a->opts.pid) {
		snprintf(ol->pid, sizeof(ol->pid), "%d", p->pid);
		ol->l[ol->n++] = (struct expo_label){"pid", ol->pid};
	}
	if (netns != 0) {
		snprintf(ol->netns, sizeof(ol->netns), "%llu", (unsigned long long)netns);
		ol->l[ol->n++] = (struct expo_label){"netns", ol->netns};
	}
}

static const char *key_protocol(int key)
{
	return key >= KEY_UDP_UNCONNECTED ? "udp" : "tcp";
}

static const char *key_state(int key)
{
	if (key == KEY_UDP_UNCONNECTED)
		return "unconnected";
	if (key == KEY_UDP_CONNECTED)
		return "connected";
	return diag_tcp_state_name((enum diag_tcp_state)key);
}

static struct expo_family *family(const struct tally *a, struct expo *e, enum tally_metric m)
{
	return expo_family(e, a->desc[m].name, a->desc[m].type, a->desc[m].help);
}

static void add_with(struct expo_family *f, uint64_t v, const struct owner_labels *ol,
		     const struct expo_label *extra, size_t nextra)
{
	struct expo_label l[9];
	size_t n = 0;

	for (size_t i = 0; i < ol->n; i++)
		l[n++] = ol->l[i];
	for (size_t i = 0; i < nextra; i++)
		l[n++] = extra[i];
	expo_add_u64(f, v, l, n);
}

static int emit_sockets(struct tally *a, struct expo *e, const struct sort_ctx *sc)
{
	struct worker_tally *t0 = &a->t[0];
	unsigned nns = a->nworkers_ns ? a->nslots_ns : 0;
	struct expo_family *f;
	struct row *order = NULL;
	unsigned n = 0;
	int ret = 0;

	order = malloc((a->nslots + nns + 1) * sizeof(*order));
	if (order == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (int sect = 0; sect < 2; sect++) {
		unsigned nslots = sect ? nns : a->nslots;

		for (unsigned s = 0; s < nslots; s++) {
			const uint64_t *c = (sect ? t0->ncounts : t0->counts) + (size_t)s * NKEYS;
			uint64_t sum = 0;

			if (owners_proc_at(a->owners, s) == NULL)
				continue;
			for (int k = 0; k < NKEYS; k++)
				sum += c[k];
			if (sum > 0)
				order[n++] = (struct row){s, sect ? t0->slot_ns[s] : 0, c};
		}
	}
	qsort_r(order, n, sizeof(*order), cmp_rows, (void *)sc);
	f = family(a, e, TALLY_METRIC_PROCESS_SOCKETS);
	for (unsigned i = 0; i < n;) {
		uint64_t sum[NKEYS] = {0};
		struct owner_labels ol;
		unsigned j = i;

		for (; j < n && cmp_rows(&order[i], &order[j], (void *)sc) == 0; j++)
			for (int k = 0; k < NKEYS; k++)
				sum[k] += order[j].counts[k];
		owner_labels(a, owners_proc_at(a->owners, order[i].slot), order[i].netns, &ol);
		for (int k = 0; k < NKEYS; k++)
			if (sum[k] > 0)
				add_with(f, sum[k], &ol, EXPO_LABELS({"protocol", key_protocol(k)},
								     {"state", key_state(k)}));
		i = j;
	}
out:
	free(order);
	return ret;
}

static void emit_listeners(struct tally *a, struct expo *e, const struct sort_ctx *sc)
{
	struct worker_tally *t0 = &a->t[0];
	struct expo_family *f;
	const struct listener *prev = NULL;

	qsort_r(t0->listeners, t0->nlisteners, sizeof(*t0->listeners), cmp_listeners, (void *)sc);
	f = family(a, e, TALLY_METRIC_LISTENER);
	for (size_t i = 0; i < t0->nlisteners; i++) {
		const struct listener *l = &t0->listeners[i];
		struct owner_labels ol;
		char addr[INET6_ADDRSTRLEN], port[8];

		/* SO_REUSEPORT siblings of one owner are one series. */
		if (prev && cmp_listeners(prev, l, (void *)sc) == 0)
			continue;
		prev = l;
		inet_ntop(l->addr_family == AF_INET ? AF_INET : AF_INET6, l->addr, addr, sizeof(addr));
		snprintf(port, sizeof(port), "%u", l->port);
		owner_labels(a, owners_proc_at(a->owners, l->slot), l->netns, &ol);
		add_with(f, 1, &ol, EXPO_LABELS({"protocol", l->protocol == IPPROTO_UDP ? "udp" : "tcp"},
						{"address", addr}, {"port", port}));
	}
}

static void emit_unknown(struct tally *a, struct expo *e)
{
	struct expo_family *f = family(a, e, TALLY_METRIC_UNATTRIBUTED_SOCKETS);

	for (int r = 0; r < REASON_COUNT; r++)
		for (int k = 0; k < NKEYS; k++)
			if (a->t[0].unknown[r][k] > 0)
				expo_add_u64(f, a->t[0].unknown[r][k],
					     EXPO_LABELS({"protocol", key_protocol(k)}, {"state", key_state(k)},
							 {"reason", reason_names[r]}));
}

/* Folds every worker's tallies into worker 0's. */
static void merge(struct tally *a)
{
	struct worker_tally *t0 = &a->t[0];

	unsigned nw = a->nworkers > a->nworkers_ns ? a->nworkers : a->nworkers_ns;

	for (unsigned w = 1; w < nw; w++) {
		struct worker_tally *t = &a->t[w];
		size_t room;

		if (w < a->nworkers)
			for (size_t i = 0; i < (size_t)a->nslots * NKEYS; i++)
				t0->counts[i] += t->counts[i];
		if (w < a->nworkers_ns) {
			for (size_t i = 0; i < (size_t)a->nslots_ns * NKEYS; i++)
				t0->ncounts[i] += t->ncounts[i];
			for (size_t i = 0; i < a->nslots_ns; i++)
				if (t->slot_ns[i] != 0)
					t0->slot_ns[i] = t->slot_ns[i];
		}
		for (int r = 0; r < REASON_COUNT; r++)
			for (int k = 0; k < NKEYS; k++)
				t0->unknown[r][k] += w < a->nworkers ? t->unknown[r][k] : 0;
		room = TALLY_MAX_LISTENERS - t0->nlisteners;
		room = t->nlisteners < room ? t->nlisteners : room;
		memcpy(t0->listeners + t0->nlisteners, t->listeners, room * sizeof(*t->listeners));
		t0->nlisteners += room;
		room = TALLY_MAX_MISSING - t0->nmissing;
		room = t->nmissing < room ? t->nmissing : room;
		memcpy(t0->missing + t0->nmissing, t->missing, room * sizeof(*t->missing));
		t0->nmissing += room;
		t->nlisteners = 0;
		t->nmissing = 0;
	}
	a->nworkers = 1;
}

/* Gives every pending request and TIME_WAIT socket to the host listener it
 * arrived on (listen_map.h), or counts it as kernel-held. */
static int resolve_pending(struct tally *a)
{
	struct worker_tally *t0 = &a->t[0];
	struct listen_map m;
	int ret = 0;

	listen_map_init(&m, TALLY_MAX_LISTENERS);
	for (size_t i = 0; i < t0->nlisteners; i++) {
		const struct listener *l = &t0->listeners[i];
		if (l->netns == 0 && l->protocol == IPPROTO_TCP && l->first &&
		    (ret = listen_map_add(&m, l->addr_family, l->addr, l->port, l->slot)) == -ENOMEM)
			goto out;
	}
	ret = 0;
	listen_map_freeze(&m);
	for (unsigned w = 0; w < TALLY_MAX_WORKERS; w++) {
		struct worker_tally *t = &a->t[w];
		for (size_t i = 0; t->npending && i < TALLY_MAX_PENDING; i++) {
			struct pending *p = &t->pending[i];
			uint32_t slot;
			if (p->n[0] == 0 && p->n[1] == 0)
				continue;
			if (listen_map_find(&m, p->addr_family, p->addr, p->port, &slot) && slot < a->nslots) {
				t0->counts[(size_t)slot * NKEYS + DIAG_TCP_SYN_RECV] += p->n[0];
				t0->counts[(size_t)slot * NKEYS + DIAG_TCP_TIME_WAIT] += p->n[1];
			} else {
				t0->unknown[REASON_KERNEL][DIAG_TCP_SYN_RECV] += p->n[0];
				t0->unknown[REASON_KERNEL][DIAG_TCP_TIME_WAIT] += p->n[1];
			}
			memset(p, 0, sizeof(*p));
		}
		t->npending = 0;
	}
out:
	listen_map_fini(&m);
	return ret;
}

int tally_emit(struct tally *a, struct expo *e)
{
	struct sort_ctx sc = {a->owners, &a->opts};
	int ret = 0;

	if (a->nworkers == 0) {
		ret = -EINVAL;
		goto out;
	}
	merge(a);
	ret = resolve_pending(a);
	if (ret < 0)
		goto out;
	owners_note_missing(a->owners, a->t[0].missing, a->t[0].nmissing);
	ret = emit_sockets(a, e, &sc);
	if (ret < 0)
		goto out;
	emit_listeners(a, e, &sc);
	emit_unknown(a, e);
	/* The netns section is one scrape's; the listeners go with it. */
	if (a->nworkers_ns) {
		drop_listeners(&a->t[0], true);
		a->nworkers_ns = 0;
	}
out:
	return ret;
}
