/* netns/handle: what the exporter keeps open inside another network namespace.
 *
 * A netlink socket stays bound to the namespace it was created in, and so does
 * an open sysctl file. So each namespace gets, once, a sock_diag socket and
 * fds of its ip_local_port_range and tcp_max_tw_buckets (and, with the events layer's live
 * states on, the iterator of its seed walk, events/live.h), created inside it by a short-lived thread
 * that setns()es into it (never a scrape thread: its namespace must not
 * change under the code that shares it), and the scrape uses them from any
 * thread afterwards: no setns per scrape in steady state. The same thread
 * reads tcp_ehash_entries, which says whether the namespace has its own
 * established hash table (positive) or shares the host's (negative): that
 * decides what a full census costs. The handle holds a reference on the
 * namespace (a socket pins its namespace): close it when the namespace is
 * no longer seen, or it would outlive its last process.
 *
 * setns() into a network namespace needs CAP_SYS_ADMIN (in the namespace's
 * owning user namespace and the caller's); opening /proc/PID/ns/net of
 * another user's process needs ptrace read access (CAP_SYS_PTRACE). */
#ifndef NETSTAT_NETNS_HANDLE_H
#define NETSTAT_NETNS_HANDLE_H

#include <stddef.h>
#include <stdint.h>

#include "sockdiag/transport.h"

struct netns_handle {
	struct diag_nl nl;  /* adopted socket; no buffer of its own (lend one per dump) */
	int range_fd;       /* ip_local_port_range opened inside, or -1 */
	int tw_fd;          /* tcp_max_tw_buckets opened inside, or -1 (tw_err says why) */
	int tw_err;         /* 0, or why tw_fd could not be opened (negative errno) */
	int ehash;          /* tcp_ehash_entries: > 0 own table, < 0 shared, 0 unknown */
	int seed_fd;        /* the events layer's seed walk of the namespace (events/live.h), to run once; -1: none */
	int err;            /* 0, or why the handle could not be opened (negative errno) */
};

/* What to open: the namespace ino, reached through procfs_fd/<pid>/ns/net
 * (pid > 0) or run_dir/<name>. */
struct netns_open_req {
	uint64_t ino;
	int pid;
	const char *name;
	struct netns_handle *h; /* filled; closed with netns_handle_close() */
};

/* Marks h closed (no fds). */
void netns_handle_init(struct netns_handle *h);
void netns_handle_close(struct netns_handle *h);
/* Whether the sock_diag socket is usable. */
int netns_handle_ok(const struct netns_handle *h);

/* Opens every request in one short-lived thread that enters each namespace
 * in turn (its inode checked against req.ino: a pid reused by another
 * namespace's process is refused with -ESTALE in h->err). procfs is the
 * path of the procfs mount (for /proc/sys inside the namespace). Returns 0
 * (each request's outcome is in its h->err) or a negative errno when the
 * thread could not run. */
int netns_open_all(int procfs_fd, const char *procfs, const char *run_dir,
		   struct netns_open_req *reqs, size_t n);

/* Parses tcp_ehash_entries ("-262144\n"). 0 or -EINVAL. Pure. */
int netns_parse_ehash(const char *s, size_t len, int *out);

/* Parses tcp_max_tw_buckets ("262144\n"): one int, as the kernel's
 * proc_dointvec prints it (negative values included: the kernel takes them).
 * 0 or -EINVAL. Pure. */
int netns_parse_max_tw(const char *s, size_t len, int *out);

#endif
