/* events/loader: loads and attaches the event layer's BPF programs (the
 * skeleton built from src/events/bpf/events.bpf.c) and reads their maps.
 *
 * Only built with NETSTAT_EVENTS (libbpf, clang and bpftool found at
 * configure time). events_loader_open() checks what the kernel and the
 * process allow first (kernel BTF, CAP_BPF and CAP_PERFMON, CAP_NET_ADMIN for
 * the cgroup program), picks the programs this kernel has tracepoints for,
 * and says what it lacks in one line. Reading is for one thread at a time
 * (the collector's collect()). */
#ifndef NETSTAT_EVENTS_LOADER_H
#define NETSTAT_EVENTS_LOADER_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events/abi.h"
#include "events/reasons.h"
#include "events/series.h"
#include "util/strbuf.h"

/* Why the layer is off. */
enum events_fail {
	EVENTS_FAIL_NO_BTF = 0,     /* no /sys/kernel/btf/vmlinux */
	EVENTS_FAIL_NO_PRIVILEGES,  /* no CAP_BPF and CAP_PERFMON */
	EVENTS_FAIL_LOAD,           /* the kernel refused the programs */
	EVENTS_FAIL_ATTACH,         /* no program could be attached */
	EVENTS_FAIL_COUNT
};

extern const char *const events_fail_names[EVENTS_FAIL_COUNT];
extern const char *const events_prog_names[EV_PROG_COUNT];

struct events_options {
	bool scan_sources;       /* count the sources of closed-port SYNs */
	const char *cgroup_path; /* cgroup v2 root for the SYN program; NULL: find it */
	bool live_states;        /* keep other namespaces' TCP states live (events/live.h) */
};

struct events_loader;

/* Loads and attaches. 0 with *out (owned by the caller); else a negative
 * errno, *why, and one line in err saying what is missing. Partial support
 * (a tracepoint this kernel lacks, no CAP_NET_ADMIN) is not a failure: it
 * is said in lacks (one line, empty when nothing is missing). */
int events_loader_open(const struct events_options *o, struct events_loader **out,
		       enum events_fail *why, struct strbuf *err, struct strbuf *lacks);
void events_loader_free(struct events_loader *l);

/* Whether program p is attached. */
bool events_loader_attached(const struct events_loader *l, enum ev_prog p);
/* Events counted and lost per program, since load (not thread-safe: it
 * keeps the state program's lost count from going down between reads). */
void events_loader_stats(struct events_loader *l, uint64_t seen[EV_PROG_COUNT],
			 uint64_t lost[EV_PROG_COUNT]);

/* Reads the whole counts map into *v (grown as needed; the caller frees it
 * with free()). 0 or a negative errno. */
int events_loader_counts(struct events_loader *l, struct events_count **v, size_t *n,
			 size_t *cap);

struct events_source {
	struct ev_src_key key;
	uint64_t value;
};
/* Reads and empties the sources map: the closed-port SYNs per source since
 * the last call. Same buffer rules as events_loader_counts(). */
int events_loader_take_sources(struct events_loader *l, struct events_source **v, size_t *n,
			       size_t *cap);

/* Reason names of this kernel (enum sk_rst_reason, enum skb_drop_reason). */
const struct events_reasons *events_loader_rst_reasons(const struct events_loader *l);
const struct events_reasons *events_loader_drop_reasons(const struct events_loader *l);
/* Whether the reset tracepoint carries a reason on this kernel. */
bool events_loader_rst_has_reason(const struct events_loader *l);

/* Live states (events/live.h): whether they are kept (the state program
 * and the seed iterator are attached); a seed walk of the calling thread's
 * namespace (an fd, or -errno); a namespace's counts (zero when none; 0 or
 * -errno); dropping them; its walk's end; sockets left uncounted since
 * load. */
bool events_loader_live_on(const struct events_loader *l);
int events_loader_live_iter(struct events_loader *l);
int events_loader_live_read(struct events_loader *l, uint64_t ino, struct ev_live *out);
void events_loader_live_forget(struct events_loader *l, uint64_t ino);
/* Namespace ino's seed walk ended: its sockets without storage are newer. */
int events_loader_live_seeded(struct events_loader *l, uint64_t ino);
uint64_t events_loader_live_lost(const struct events_loader *l);
/* The listeners' SYN queues (events/live.h). */
int events_loader_live_queues(struct events_loader *l,
			      void (*row)(void *arg, uint64_t ino, const uint64_t n[2]), void *arg);

#endif
