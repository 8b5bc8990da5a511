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
#include "events/kernel.h"
#include "events/series.h"
#include "log.h"
#include "privs.h"
#include "util/clock.h"


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
	struct events_gap state_gap;             /* on_state's skipped runs not recovered */
	struct events_kernel k;                  /* what this kernel offers */
	/* Batch read buffers, EV_COUNTS_MAX entries (the larger map). */
	void *keys;
	__u64 *values;
	int ncpu; /* possible CPUs: a per-CPU map's value has a copy for each */
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

void events_loader_free(struct events_loader *l)
{
	if (l == NULL)
		return;
	for (int p = 0; p < EV_PROG_COUNT; p++)
		bpf_link__destroy(l->link[p]);
	bpf_link__destroy(l->live_link);
	events_bpf__destroy(l->skel);
	events_kernel_fini(&l->k);
	free(l->keys);
	free(l->values);
	free(l);
}

/* The live states' programs (docs/events.md, "Live states"), both or
 * neither: the second state program and the seed iterator (live_queues is
 * run, never attached). 0, or -1 with errno. */
static int attach_live(struct events_loader *l)
{
	int err;

	if ((l->live_link = bpf_program__attach(l->skel->progs.on_state_live)) != NULL &&
	    (l->link[EV_PROG_SEED] = bpf_program__attach_iter(l->prog[EV_PROG_SEED], NULL)) != NULL)
		return 0;
	err = errno;
	bpf_link__destroy(l->live_link);
	l->live_link = NULL;
	errno = err;
	return -1;
}

/* Opens and loads the skeleton (again: a failed load cannot be retried on
 * the same one) with the programs this kernel has, the cgroup program only
 * with cg, the live states' with live. 0 or a negative errno. */
static int load(struct events_loader *l, const struct events_options *o, bool cg, bool live)
{
	struct events_bpf *skel;
	const struct events_kernel *k = &l->k;
	bool rst = k->rst_reason, err = k->retransmit_err;

	events_bpf__destroy(l->skel);
	l->skel = skel = events_bpf__open();
	if (skel == NULL)
		return -errno;
	l->prog[EV_PROG_STATE] = skel->progs.on_state;
	l->prog[EV_PROG_RST_SENT] = rst ? skel->progs.on_rst_sent : skel->progs.on_rst_sent_noreason;
	bpf_program__set_autoload(rst ? skel->progs.on_rst_sent_noreason : skel->progs.on_rst_sent, false);
	l->prog[EV_PROG_RST_RECEIVED] = skel->progs.on_rst_received;
	l->prog[EV_PROG_RETRANSMIT] = err ? skel->progs.on_retransmit : skel->progs.on_retransmit_noerr;
	bpf_program__set_autoload(err ? skel->progs.on_retransmit_noerr : skel->progs.on_retransmit, false);
	l->prog[EV_PROG_SYNACK] = skel->progs.on_synack_retransmit;
	l->prog[EV_PROG_DROP] = skel->progs.on_drop;
	l->prog[EV_PROG_SYN] = skel->progs.on_syn;
	l->prog[EV_PROG_SEED] = skel->progs.live_seed;
	for (int p = 0; p < EV_PROG_COUNT; p++) {
		bool on = k->tp[p];

		if (p == EV_PROG_DROP)
			on = on && k->drop.n > 0;
		else if (p == EV_PROG_SYN)
			on = cg;
		else if (p == EV_PROG_SEED)
			on = live;
		if (!on) {
			bpf_program__set_autoload(l->prog[p], false);
			l->prog[p] = NULL;
		}
	}
	bpf_program__set_autoload(skel->progs.on_state_live, live);
	bpf_program__set_autoload(skel->progs.live_queues, live);
	skel->rodata->drop_reason_min = k->consumed >= 0 ? (__u32)k->consumed + 1 : 1;
	skel->rodata->drop_reason_no_socket = k->no_socket >= 0 ? (__u32)k->no_socket : ~0u;
	skel->rodata->drop_reason_listen_overflow = k->listen_overflow >= 0 ? (__u32)k->listen_overflow : ~0u;
	skel->rodata->drop_reason_queue_purge = k->queue_purge >= 0 ? (__u32)k->queue_purge : ~0u;
	skel->rodata->rst_from_drops = !k->rst_nosk && l->prog[EV_PROG_DROP] != NULL && k->no_socket >= 0;
	skel->rodata->scan_sources_on = o->scan_sources;
	skel->rodata->own_netns = own_netns();
	skel->rodata->live_on = live;
	return events_bpf__load(skel);
}

int events_loader_open(const struct events_options *o, struct events_loader **out,
		       enum events_fail *why, struct strbuf *err, struct strbuf *lacks)
{
	struct events_loader *l = calloc(1, sizeof(*l));
	struct btf *btf = NULL;
	const char *cg = NULL;
	int rc = 0, cgfd = -1, attached = 0;
	bool live;

	*out = NULL;
	if (l == NULL) {
		rc = -ENOMEM;
		*why = EVENTS_FAIL_LOAD;
		goto out;
	}
	_Static_assert(sizeof(struct ev_src_key) >= sizeof(struct ev_key), "key buffer size");
	_Static_assert(EV_COUNTS_MAX >= EV_SOURCES_MAX, "batch buffer size");
	l->keys = calloc(EV_COUNTS_MAX, sizeof(struct ev_src_key));
	l->values = calloc(EV_COUNTS_MAX, sizeof(__u64));
	/* The kernel copies a per-CPU value in 8-byte units: both are. */
	_Static_assert(sizeof(struct ev_prog_stats) % 8 == 0 && sizeof(struct ev_live) % 8 == 0,
		       "per-CPU value size");
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
	rc = events_kernel_read(btf, &l->k, lacks);
	if (rc < 0) {
		*why = EVENTS_FAIL_LOAD;
		sb_printf(err, "cannot read the kernel BTF: %s", strerror(-rc));
		goto out;
	}
	/* From /sys/devices/system/cpu/possible (absent in some chroots). */
	l->ncpu = libbpf_num_possible_cpus(); /* per-CPU maps' value copies */
	if (l->ncpu <= 0) {
		rc = l->ncpu < 0 ? l->ncpu : -EINVAL;
		*why = EVENTS_FAIL_LOAD;
		sb_printf(err, "cannot count the possible CPUs (/sys/devices/system/cpu/possible): %s",
			  strerror(-rc));
		goto out;
	}
	/* The cgroup program needs CAP_NET_ADMIN and a cgroup v2 hierarchy. */
	cg = o->cgroup_path ? o->cgroup_path : cgroup_root();
	if (!privs_has(CAP_NET_ADMIN) && !privs_has(CAP_SYS_ADMIN))
		events_lack(lacks, "no CAP_NET_ADMIN: no syns_received, syncookies_sent");
	else if (cg == NULL)
		events_lack(lacks, "no cgroup v2 hierarchy: no syns_received, syncookies_sent");
	else if ((cgfd = open(cg, O_RDONLY | O_CLOEXEC | O_DIRECTORY)) < 0)
		events_lack(lacks, "cannot open %s (%s): no syns_received, syncookies_sent", cg,
			    strerror(errno));
	live = o->live_states && l->k.tp[EV_PROG_STATE];
	rc = load(l, o, cgfd >= 0, live);
	/* The live states' programs are the most demanding (per-socket
	 * storage, an iterator): without them the rest may load. */
	if (rc < 0 && live) {
		int first = rc;

		if ((rc = load(l, o, cgfd >= 0, false)) == 0)
			events_lack(lacks, "the kernel refused the live states' programs (%s; the debug log says why)",
				    strerror(-first));
	}
	if (rc < 0) {
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
			events_lack(lacks, "cannot attach %s: %s", events_prog_names[p], strerror(errno));
			l->prog[p] = NULL;
			continue;
		}
		attached++;
	}
	if (l->prog[EV_PROG_SEED] != NULL && l->link[EV_PROG_STATE] != NULL && attach_live(l) < 0)
		events_lack(lacks, "cannot attach the live states' programs: %s", strerror(errno));
	if (l->link[EV_PROG_SEED] == NULL && o->live_states)
		events_lack(lacks, "no live TCP states per namespace (netstat_netns_tcp_sockets from censuses only)");
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

void events_loader_stats(struct events_loader *l, uint64_t seen[EV_PROG_COUNT],
			 uint64_t lost[EV_PROG_COUNT])
{
	struct ev_prog_stats *cpu = calloc((size_t)l->ncpu, sizeof(*cpu));

	for (int p = 0; p < EV_PROG_COUNT; p++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		uint64_t skipped;
		__u32 key = (__u32)p;

		seen[p] = lost[p] = 0;
		if (cpu != NULL &&
		    bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.prog_stats), &key, cpu) == 0)
			for (int c = 0; c < l->ncpu; c++) {
				seen[p] += cpu[c].seen;
				lost[p] += cpu[c].lost;
			}
		/* Runs the kernel skipped: an interrupt on the same CPU hit the
		 * program while it ran (5.12 on). */
		memset(&info, 0, sizeof(info));
		if (l->link[p] == NULL || p == EV_PROG_SYN ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(l->prog[p]), &info, &len) != 0)
			continue;
		skipped = info.recursion_misses;
		if (p == EV_PROG_STATE && l->live_link != NULL) {
			/* on_state_live applies the changes of on_state's
			 * skipped runs (and its own skipped runs were
			 * on_state's): lost are those it did not, once the
			 * gap lasts (events_gap_lost(): a skip is counted
			 * before it is applied). Read after the misses, the
			 * recovered count may also run ahead of them. */
			uint64_t rec = __atomic_load_n(&l->skel->bss->state_recovered, __ATOMIC_RELAXED);

			skipped = events_gap_lost(&l->state_gap, skipped, rec, util_mono_now());
		}
		lost[p] += skipped;
	}
	free(cpu);
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
	return &l->k.rst;
}

const struct events_reasons *events_loader_drop_reasons(const struct events_loader *l)
{
	return &l->k.drop;
}

bool events_loader_rst_has_reason(const struct events_loader *l)
{
	return l->k.rst_reason;
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
	struct ev_live *cpu = calloc((size_t)l->ncpu, sizeof(*cpu));
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (cpu == NULL)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.live), &key, cpu) != 0) {
		rc = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	for (int c = 0; c < l->ncpu; c++) {
		for (int f = 0; f < 2; f++)
			for (int s = 0; s < EV_LIVE_STATES; s++)
				out->n[f][s] += cpu[c].n[f][s];
		out->seq += cpu[c].seq;
	}
out:
	free(cpu);
	return rc;
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

int events_loader_live_queues(struct events_loader *l,
			      void (*row)(void *arg, uint64_t ino, const uint64_t n[2]), void *arg)
{
	int map = bpf_map__fd(l->skel->maps.queues), ret = 0;
	__u64 ctx[1] = {0};
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = ctx, .ctx_size_in = sizeof(ctx));
	struct ev_queues q;
	__u32 key;

	/* Runs the program here and now, attached nowhere. */
	if (bpf_prog_test_run_opts(bpf_program__fd(l->skel->progs.live_queues), &run) < 0)
		ret = -errno;
	/* One row per namespace with requests queued, emptied for the next. */
	while (bpf_map_get_next_key(map, NULL, &key) == 0) {
		if (ret == 0 && bpf_map_lookup_elem(map, &key, &q) == 0)
			row(arg, key, (const uint64_t[2]){q.n[0], q.n[1]});
		bpf_map_delete_elem(map, &key);
	}
	return ret;
}
