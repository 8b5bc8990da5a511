/* netns/discovery: the network namespaces on the node.
 *
 * The distinct namespaces behind /proc/PID/ns/net (deduplicated by inode),
 * plus the named ones under /run/netns (`ip netns add`), each with the oldest
 * process in it (the one whose /proc/PID/net files and identity describe the
 * namespace). The walk costs one readlink per process; start times are read
 * only for the members of a namespace whose remembered oldest process is gone
 * (a new namespace, or its first process exited), so a steady node costs no
 * stat reads. A process that exits mid-walk is skipped. */
#ifndef NETSTAT_NETNS_DISCOVERY_H
#define NETSTAT_NETNS_DISCOVERY_H

#include <stddef.h>
#include <stdint.h>

#define NETNS_NAME_MAX 256

/* One namespace found. */
struct netns_found {
	uint64_t ino;               /* nsfs inode, as `readlink /proc/PID/ns/net` shows it */
	int pid;                    /* oldest member process; 0 when none (a bind mount only) */
	uint64_t start;             /* its start time, clock ticks since boot */
	uint32_t nprocs;            /* member processes */
	char name[NETNS_NAME_MAX];  /* file under the named-namespace directory, or "" */
};

/* A growable list, owned by the caller; reused from scrape to scrape. */
struct netns_list {
	struct netns_found *v;  /* sorted by ino after netns_discover() */
	size_t len, cap;
	/* every process seen in another namespace, sorted by ino then pid;
	 * valid until the next netns_discover() */
	struct netns_member { uint64_t ino; int pid; } *m;
	size_t mlen, mcap;
};

void netns_list_init(struct netns_list *l);
void netns_list_fini(struct netns_list *l);

/* "net:[4026531993]" (len bytes) -> 4026531993. 0 or -EINVAL. Pure. */
int netns_parse_link(const char *s, size_t len, uint64_t *ino);

/* The namespace's member remembered from the last scrape, or 0: the
 * discovery keeps it while it is still a member, which spares the start-time
 * reads. */
typedef int (*netns_hint_fn)(void *arg, uint64_t ino, uint64_t *start);

/* Fills l with the namespaces seen under procfs_fd (processes) and in
 * run_dir (named namespaces; NULL or missing: none), without skip_ino (the
 * exporter's own namespace; 0: none). hint may be NULL. 0, -ENOMEM, or the
 * negative errno of listing procfs_fd. */
int netns_discover(int procfs_fd, const char *run_dir, uint64_t skip_ino,
		   netns_hint_fn hint, void *hint_arg, struct netns_list *l);

/* The namespace inode of procfs_fd/<pid>/ns/net ("self" for pid <= 0).
 * 0 or a negative errno. */
int netns_ino_of(int procfs_fd, int pid, uint64_t *ino);


#endif
