/* events/loader: loads the event layer's BPF programs (see the header). */
#include "events/loader.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "events.skel.h"
#include "log.h"
#include "privs.h"


const char *const events_fail_names[EVENTS_FAIL_COUNT] = {
	[EVENTS_FAIL_NO_BTF] = "no_btf",
	[EVENTS_FAIL_NO_PRIVILEGES] = "no_privileges",
	[EVENTS_FAIL_LOAD] = "load",
	[EVENTS_FAIL_ATTACH] = "attach",
};

const char *const events_prog_names[EV_PROG_COUNT] = {
	[EV_PROG_STATE] = "inet_sock_set_state",
	[EV_PROG_RST_SENT] = "tcp_send_reset",
	[EV_PROG_RST_RECEIVED] = "tcp_receive_reset",
	[EV_PROG_RETRANSMIT] = "tcp_retransmit_skb",
	[EV_PROG_SYNACK] = "tcp_retransmit_synack",
	[EV_PROG_DROP] = "kfree_skb",
	[EV_PROG_SYN] = "cgroup_skb_ingress",
	[EV_PROG_SEED] = "iter_tcp",
};

#define BTF_PATH "/sys/kernel/btf/vmlinux"

struct events_loader {
	struct events_bpf *skel;
	struct bpf_program *prog[EV_PROG_COUNT]; /* the one loaded per program slot */
	struct bpf_link *link[EV_PROG_COUNT];
	struct bpf_link *live_link;              /* on_state_live, beside on_state */
	bool rst_reason;
	struct events_reasons rst, drop;
	/* Batch read buffers, EV_COUNTS_MAX entries (the larger map). */
	void *keys;
	__u64 *values;
};

/* libbpf's messages, one log line per line: a verifier log (why the kernel
 * refused a program) runs to many kilobytes. */
__attribute__((format(printf, 2, 0)))
static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char small[512], *text = small, *line, *next;
	va_list copy;
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	va_copy(copy, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small) && (text = malloc((size_t)n + 1)) != NULL)
		vsnprintf(text, (size_t)n + 1, fmt, copy);
	else if (text == NULL)
		text = small; /* cut at 511 bytes rather than lost */
	va_end(copy);
	for (line = text; line != NULL && *line; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*line)
			log_msg(LOG_DEBUG, "events: libbpf: %s", line);
	}
	if (text != small)
		free(text);
	return 0;
}

/* Arguments of tracepoint tp in BTF (its btf_trace_ typedef), or -1. */
static int tp_args(const struct btf *btf, const char *tp)
{
	char name[128];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, (__u32)id);
	while (t && (btf_is_typedef(t) || btf_is_ptr(t)))
		t = btf__type_by_id(btf, t->type);
	if (t == NULL || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1; /* the first is the tracepoint's data pointer */
}

/* Names of enum name, and the value of one enumerator (or -1). */
static int read_enum(const struct btf *btf, const char *name, const char *prefix,
		     struct events_reasons *r, const char *want, int64_t *want_value)
{
	const struct btf_type *t;
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	int rc = 0;

	if (want_value)
		*want_value = -1;
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, (__u32)id);
	for (int i = 0; i < btf_vlen(t); i++) {
		const struct btf_enum *e = btf_enum(t) + i;
		const char *en = btf__name_by_offset(btf, e->name_off);

		if (en == NULL)
			continue;
		if (want && want_value && strcmp(en, want) == 0)
			*want_value = e->val;
		rc = events_reasons_add(r, en, e->val, prefix);
		if (rc == -ERANGE)
			rc = 0;
		if (rc < 0)
			break;
	}
	return rc;
}

/* The cgroup v2 hierarchy: /sys/fs/cgroup/unified in the hybrid layout,
 * else /sys/fs/cgroup. */
static const char *cgroup_root(void)
{
	static const char *const cands[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
	struct statfs sf;

	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
		if (statfs(cands[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
			return cands[i];
	return NULL;
}

/* The exporter's own network namespace (no live states there). */
static __u32 own_netns(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) == 0 ? (__u32)st.st_ino : 0;
}

static void lack(struct strbuf *lacks, const char *what)
{
	sb_printf(lacks, "%s%s", lacks->len ? "; " : "", what);
}

void events_loader_free(struct events_loader *l)
{
	if (l == NULL)
		return;
	for (int p = 0; p < EV_PROG_COUNT; p++)
		bpf_link__destroy(l->link[p]);
	bpf_link__destroy(l->live_link);
	events_bpf__destroy(l->skel);
	events_reasons_fini(&l->rst);
	events_reasons_fini(&l->drop);
	free(l->keys);
	free(l->values);
	free(l);
}

/* The live states' programs (docs/events.md, "Live states"), both or
 * neither: the second state program and the seed iterator. 0, or -1 with
 * errno. */
static int attach_live(struct events_loader *l)
{
	int err;

	if ((l->live_link = bpf_program__attach(l->skel->progs.on_state_live)) == NULL)
		return -1;
	if ((l->link[EV_PROG_SEED] = bpf_program__attach_iter(l->prog[EV_PROG_SEED], NULL)) != NULL)
		return 0;
	err = errno;
	bpf_link__destroy(l->live_link);
	l->live_link = NULL;
	errno = err;
	return -1;
}

int events_loader_open(const struct events_options *o, struct events_loader **out,
		       enum events_fail *why, struct strbuf *err, struct strbuf *lacks)
{
	struct events_loader *l = calloc(1, sizeof(*l));
	struct btf *btf = NULL;
	const char *cg = NULL;
	int64_t consumed, no_socket, overflow;
	int rc = 0, cgfd = -1, attached = 0;

	*out = NULL;
	if (l == NULL) {
		rc = -ENOMEM;
		*why = EVENTS_FAIL_LOAD;
		goto out;
	}
	events_reasons_init(&l->rst);
	events_reasons_init(&l->drop);
	_Static_assert(sizeof(struct ev_src_key) >= sizeof(struct ev_key), "key buffer size");
	_Static_assert(EV_COUNTS_MAX >= EV_SOURCES_MAX, "batch buffer size");
	l->keys = calloc(EV_COUNTS_MAX, sizeof(struct ev_src_key));
	l->values = calloc(EV_COUNTS_MAX, sizeof(__u64));
	if (l->keys == NULL || l->values == NULL) {
		rc = -ENOMEM;
		*why = EVENTS_FAIL_LOAD;
		goto out;
	}
	libbpf_set_print(print_libbpf);
	if (access(BTF_PATH, R_OK) != 0) {
		rc = -errno;
		*why = EVENTS_FAIL_NO_BTF;
		sb_printf(err, "no kernel BTF (%s: %s)", BTF_PATH, strerror(-rc));
		goto out;
	}
	if (!privs_has(CAP_SYS_ADMIN) && (!privs_has(CAP_BPF) || !privs_has(CAP_PERFMON))) {
		bool bpf = privs_has(CAP_BPF), perfmon = privs_has(CAP_PERFMON);

		rc = -EPERM;
		*why = EVENTS_FAIL_NO_PRIVILEGES;
		sb_printf(err, "no %s%s%s (nor CAP_SYS_ADMIN)", bpf ? "" : "CAP_BPF",
			  !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
		goto out;
	}
	btf = btf__load_vmlinux_btf();
	if (btf == NULL) {
		rc = -errno;
		*why = EVENTS_FAIL_NO_BTF;
		sb_printf(err, "cannot read the kernel BTF: %s", strerror(-rc));
		goto out;
	}
	l->skel = events_bpf__open();
	if (l->skel == NULL) {
		rc = -errno;
		*why = EVENTS_FAIL_LOAD;
		sb_printf(err, "cannot open the BPF object: %s", strerror(-rc));
		goto out;
	}
	l->prog[EV_PROG_STATE] = l->skel->progs.on_state;
	l->prog[EV_PROG_RST_RECEIVED] = l->skel->progs.on_rst_received;
	if (tp_args(btf, "tcp_retransmit_skb") >= 3) {
		l->prog[EV_PROG_RETRANSMIT] = l->skel->progs.on_retransmit;
		bpf_program__set_autoload(l->skel->progs.on_retransmit_noerr, false);
	} else {
		l->prog[EV_PROG_RETRANSMIT] = l->skel->progs.on_retransmit_noerr;
		bpf_program__set_autoload(l->skel->progs.on_retransmit, false);
	}
	l->prog[EV_PROG_SYNACK] = l->skel->progs.on_synack_retransmit;
	l->prog[EV_PROG_DROP] = l->skel->progs.on_drop;
	l->prog[EV_PROG_SYN] = l->skel->progs.on_syn;
	l->rst_reason = tp_args(btf, "tcp_send_reset") >= 3;
	l->prog[EV_PROG_RST_SENT] = l->rst_reason ? l->skel->progs.on_rst_sent
						  : l->skel->progs.on_rst_sent_noreason;
	bpf_program__set_autoload(l->rst_reason ? l->skel->progs.on_rst_sent_noreason
						: l->skel->progs.on_rst_sent, false);
	if (!l->rst_reason)
		lack(lacks, "tcp_send_reset has no reason (reason=\"unknown\")");
	l->prog[EV_PROG_SEED] = l->skel->progs.live_seed;
	if (!o->live_states || tp_args(btf, events_prog_names[EV_PROG_STATE]) < 0) {
		bpf_program__set_autoload(l->skel->progs.on_state_live, false);
		bpf_program__set_autoload(l->skel->progs.live_seed, false);
		l->prog[EV_PROG_SEED] = NULL;
	}

	/* Every program but the cgroup and iterator ones is named after its
	 * tracepoint. */
	for (int p = 0; p < EV_PROG_COUNT; p++) {
		if (p == EV_PROG_SYN || p == EV_PROG_SEED || tp_args(btf, events_prog_names[p]) >= 0)
			continue;
		bpf_program__set_autoload(l->prog[p], false);
		l->prog[p] = NULL;
		sb_printf(lacks, "%sno tracepoint %s", lacks->len ? "; " : "", events_prog_names[p]);
	}
	/* The cgroup program needs CAP_NET_ADMIN and a cgroup v2 hierarchy. */
	cg = o->cgroup_path ? o->cgroup_path : cgroup_root();
	if (!privs_has(CAP_NET_ADMIN) && !privs_has(CAP_SYS_ADMIN))
		lack(lacks, "no CAP_NET_ADMIN: no syns_received, syncookies_sent");
	else if (cg == NULL)
		lack(lacks, "no cgroup v2 hierarchy: no syns_received, syncookies_sent");
	else if ((cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		sb_printf(lacks, "%scannot open %s (%s): no syns_received, syncookies_sent",
			  lacks->len ? "; " : "", cg, strerror(errno));
	if (cgfd < 0) {
		bpf_program__set_autoload(l->prog[EV_PROG_SYN], false);
		l->prog[EV_PROG_SYN] = NULL;
	}
	if (read_enum(btf, "sk_rst_reason", "SK_RST_REASON_", &l->rst, NULL, NULL) == -ENOMEM ||
	    read_enum(btf, "skb_drop_reason", "SKB_DROP_REASON_", &l->drop, "SKB_CONSUMED",
		      &consumed) == -ENOMEM) {
		rc = -ENOMEM;
		*why = EVENTS_FAIL_LOAD;
		goto out;
	}
	read_enum(btf, "skb_drop_reason", "SKB_DROP_REASON_", &l->drop, "SKB_DROP_REASON_NO_SOCKET",
		  &no_socket);
	read_enum(btf, "skb_drop_reason", "SKB_DROP_REASON_", &l->drop,
		  "SKB_DROP_REASON_TCP_LISTEN_OVERFLOW", &overflow);
	if (l->drop.n == 0) {
		lack(lacks, "no enum skb_drop_reason: no drops, closed_port_syns");
		bpf_program__set_autoload(l->prog[EV_PROG_DROP], false);
		l->prog[EV_PROG_DROP] = NULL;
	} else if (no_socket < 0) {
		lack(lacks, "no drop reason NO_SOCKET: no closed_port_syns");
	}
	l->skel->rodata->drop_reason_min = consumed >= 0 ? (__u32)consumed + 1 : 1;
	l->skel->rodata->drop_reason_no_socket = no_socket >= 0 ? (__u32)no_socket : ~0u;
	l->skel->rodata->drop_reason_listen_overflow = overflow >= 0 ? (__u32)overflow : ~0u;
	l->skel->rodata->scan_sources_on = o->scan_sources;
	l->skel->rodata->own_netns = own_netns();
	l->skel->rodata->live_on = l->prog[EV_PROG_SEED] != NULL;
	rc = events_bpf__load(l->skel);
	if (rc) {
		*why = rc == -EPERM ? EVENTS_FAIL_NO_PRIVILEGES : EVENTS_FAIL_LOAD;
		sb_printf(err, "the kernel refused the BPF programs: %s", strerror(-rc));
		goto out;
	}
	for (int p = 0; p < EV_PROG_COUNT; p++) {
		if (l->prog[p] == NULL)
			continue;
		if (p == EV_PROG_SYN)
			l->link[p] = bpf_program__attach_cgroup(l->prog[p], cgfd);
		else if (p == EV_PROG_SEED)
			continue; /* attach_live(), after the state program */
		else
			l->link[p] = bpf_program__attach(l->prog[p]);
		if (l->link[p] == NULL) {
			sb_printf(lacks, "%scannot attach %s: %s", lacks->len ? "; " : "",
				  events_prog_names[p], strerror(errno));
			l->prog[p] = NULL;
			continue;
		}
		attached++;
	}
	if (l->prog[EV_PROG_SEED] != NULL && l->link[EV_PROG_STATE] != NULL && attach_live(l) < 0)
		sb_printf(lacks, "%scannot attach the live states' programs: %s", lacks->len ? "; " : "",
			  strerror(errno));
	if (l->link[EV_PROG_SEED] == NULL && o->live_states)
		lack(lacks, "no live TCP states per namespace (netstat_netns_tcp_sockets from censuses only)");
	if (attached == 0) {
		rc = -ENOENT;
		*why = EVENTS_FAIL_ATTACH;
		sb_printf(err, "no program could be attached (%s)", lacks->buf ? lacks->buf : "");
		goto out;
	}
	*out = l;
	l = NULL;
out:
	if (cgfd >= 0)
		close(cgfd);
	btf__free(btf);
	events_loader_free(l);
	return rc;
}

bool events_loader_attached(const struct events_loader *l, enum ev_prog p)
{
	return l->link[p] != NULL;
}

void events_loader_stats(const struct events_loader *l, uint64_t seen[EV_PROG_COUNT],
			 uint64_t lost[EV_PROG_COUNT])
{
	for (int p = 0; p < EV_PROG_COUNT; p++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		seen[p] = __atomic_load_n(&l->skel->bss->ev_seen[p], __ATOMIC_RELAXED);
		lost[p] = __atomic_load_n(&l->skel->bss->ev_lost[p], __ATOMIC_RELAXED);
		/* Runs the kernel skipped: an interrupt on the same CPU hit the
		 * program while it ran (5.12 on). */
		memset(&info, 0, sizeof(info));
		if (l->link[p] != NULL && p != EV_PROG_SYN &&
		    bpf_obj_get_info_by_fd(bpf_program__fd(l->prog[p]), &info, &len) == 0)
			lost[p] += info.recursion_misses;
	}
	/* Sockets left out of the live states (no room for their storage or
	 * their namespace). */
	lost[EV_PROG_STATE] += events_loader_live_lost(l);
}

/* Makes room for one more element in a caller's growing array. */
static int grow(void **v, size_t n, size_t *cap, size_t size)
{
	void *nv;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 256;
	nv = realloc(*v, ncap * size);
	if (nv == NULL)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* Reads every entry of map fd (keys of ksize bytes, __u64 values) into *v,
 * elements of esize bytes with the key first and the value at voff; with
 * take, deletes each entry read (so each read starts from the first key). */
static int map_read(int fd, bool take, size_t ksize, size_t esize, size_t voff, void **v,
		    size_t *n, size_t *cap)
{
	unsigned char key[32], next[32];
	bool first = true;
	int rc = 0;

	*n = 0;
	while (bpf_map_get_next_key(fd, first || take ? NULL : key, next) == 0) {
		__u64 value = 0;

		memcpy(key, next, ksize);
		first = false;
		if (take && bpf_map_lookup_and_delete_elem(fd, key, &value) != 0) {
			/* Kernels before 5.14 cannot do both at once for a hash. */
			if (bpf_map_lookup_elem(fd, key, &value) != 0)
				value = 0;
			if (bpf_map_delete_elem(fd, key) != 0)
				break; /* cannot empty it: stop rather than spin */
		} else if (!take && bpf_map_lookup_elem(fd, key, &value) != 0) {
			continue; /* evicted meanwhile */
		}
		rc = grow(v, *n, cap, esize);
		if (rc < 0)
			break;
		memcpy((char *)*v + *n * esize, key, ksize);
		memcpy((char *)*v + *n * esize + voff, &value, sizeof(value));
		(*n)++;
	}
	return rc;
}

/* Reads (with take: reads and deletes) the whole map fd in batches, keys
 * of ksize bytes into keys and values into values, at most max. The kernel
 * walks the hash by bucket, so entries coming and going meanwhile (an LRU
 * map under churn) cost nothing; get_next_key would restart from the first
 * key each time the current one was evicted. -EINVAL or -ENOTSUP: the kernel
 * has no batch operations for this map (before 5.6). */
static int map_batch(int fd, bool take, size_t max, size_t ksize, void *keys, __u64 *values,
		     size_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 in = 0, out = 0; /* a bucket index for hash maps */
	bool first = true;
	int rc = 0;

	*n = 0;
	while (*n < max) {
		__u32 count = (__u32)(max - *n);

		rc = take ? bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &out,
							      (char *)keys + *n * ksize, values + *n,
							      &count, &opts)
			  : bpf_map_lookup_batch(fd, first ? NULL : &in, &out, (char *)keys + *n * ksize,
						 values + *n, &count, &opts);
		*n += count;
		if (rc == -ENOENT) { /* the end */
			rc = 0;
			break;
		}
		if (rc < 0)
			break;
		in = out;
		first = false;
	}
	return rc;
}

/* Makes room for max elements of a caller's array. */
static int reserve(void **v, size_t max, size_t *cap, size_t size)
{
	void *nv;

	if (*cap >= max)
		return 0;
	nv = realloc(*v, max * size);
	if (nv == NULL)
		return -ENOMEM;
	*v = nv;
	*cap = max;
	return 0;
}

/* The whole map into the caller's array *v (elements of esize bytes, the
 * key first and the __u64 value at voff): in batches, else key by key. */
static int read_all(struct events_loader *l, const struct bpf_map *map, bool take, size_t max,
		    size_t esize, size_t voff, void **v, size_t *n, size_t *cap)
{
	size_t ksize = bpf_map__key_size(map);
	int fd = bpf_map__fd(map);
	int rc = reserve(v, max, cap, esize);

	if (rc == 0)
		rc = map_batch(fd, take, max, ksize, l->keys, l->values, n);
	if (rc == -EINVAL || rc == -ENOTSUP)
		return map_read(fd, take, ksize, esize, voff, v, n, cap);
	for (size_t i = 0; rc == 0 && i < *n; i++) {
		memcpy((char *)*v + i * esize, (char *)l->keys + i * ksize, ksize);
		memcpy((char *)*v + i * esize + voff, &l->values[i], sizeof(__u64));
	}
	return rc;
}

int events_loader_counts(struct events_loader *l, struct events_count **v, size_t *n,
			 size_t *cap)
{
	return read_all(l, l->skel->maps.counts, false, EV_COUNTS_MAX, sizeof(**v),
			offsetof(struct events_count, value), (void **)v, n, cap);
}

int events_loader_take_sources(struct events_loader *l, struct events_source **v, size_t *n,
			       size_t *cap)
{
	return read_all(l, l->skel->maps.sources, true, EV_SOURCES_MAX, sizeof(**v),
			offsetof(struct events_source, value), (void **)v, n, cap);
}

const struct events_reasons *events_loader_rst_reasons(const struct events_loader *l)
{
	return &l->rst;
}

const struct events_reasons *events_loader_drop_reasons(const struct events_loader *l)
{
	return &l->drop;
}

bool events_loader_rst_has_reason(const struct events_loader *l)
{
	return l->rst_reason;
}

uint64_t events_loader_map_bytes(const struct events_loader *l)
{
	const struct bpf_map *maps[] = {l->skel->maps.counts, l->skel->maps.sources,
					l->skel->maps.live, l->skel->maps.seeded};
	uint64_t total = 0;

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		total += (uint64_t)bpf_map__max_entries(maps[i]) *
			 (bpf_map__key_size(maps[i]) + bpf_map__value_size(maps[i]));
	return total;
}

bool events_loader_live_on(const struct events_loader *l)
{
	return l->link[EV_PROG_SEED] != NULL;
}

int events_loader_live_iter(struct events_loader *l)
{
	int fd = bpf_iter_create(bpf_link__fd(l->link[EV_PROG_SEED]));

	return fd < 0 ? -errno : fd;
}

int events_loader_live_read(struct events_loader *l, uint64_t ino, struct ev_live *out)
{
	__u32 key = (__u32)ino;

	if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.live), &key, out) == 0)
		return 0;
	memset(out, 0, sizeof(*out));
	return errno == ENOENT ? 0 : -errno;
}

void events_loader_live_forget(struct events_loader *l, uint64_t ino)
{
	__u32 key = (__u32)ino;

	bpf_map_delete_elem(bpf_map__fd(l->skel->maps.seeded), &key);
	bpf_map_delete_elem(bpf_map__fd(l->skel->maps.live), &key);
}

int events_loader_live_seeded(struct events_loader *l, uint64_t ino)
{
	__u32 key = (__u32)ino;
	__u8 one = 1;

	return bpf_map_update_elem(bpf_map__fd(l->skel->maps.seeded), &key, &one, BPF_ANY) == 0 ? 0 : -errno;
}

uint64_t events_loader_live_lost(const struct events_loader *l)
{
	return __atomic_load_n(&l->skel->bss->live_lost, __ATOMIC_RELAXED);
}
