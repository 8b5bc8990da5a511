/* owners/cache: which process holds each socket inode, from the fd tables under
 * /proc/PID/fd, cached across scrapes.
 *
 * The procfs reader behind per-process attribution. It is rooted at a
 * directory fd (--path.procfs, or a fixture tree in tests) and only looks at
 * the numeric entries of that directory: threads (/proc/PID/task) are not
 * processes.
 *
 * The cache keeps, per process, its start time (to notice a reused pid), a
 * fingerprint of its fd directory (size, mtime and inode number from stat();
 * on procfs st_size is the number of open fds) and the socket inodes of its fd
 * table. A refresh stats every process and re-reads only the fd tables of
 * processes that are new, reused or whose fingerprint changed, and of those
 * whose own re-read is due: each table is re-read at least once per rescan
 * interval, at a time of its own between half the interval and the whole of
 * it after its last read, so the re-reads spread over the scrapes instead of
 * one scrape paying for every table. Everything is re-read at the first
 * refresh, and when two dumps in a row showed a socket inode the cache did
 * not know and the processes that ran since do not hold (at most every
 * OWNERS_MISS_RESCAN_MS; see owners_note_missing()); an inode one dump shows
 * and the next does not (a connection that came and went between scrapes)
 * triggers nothing. Inodes still unknown after such a full read are
 * remembered as unowned and trigger nothing while the dumps show them.
 *
 * A socket held by several processes (fork, socket activation, SCM_RIGHTS)
 * is attributed to one of them, its first holder: a holder other than PID 1
 * before PID 1 (systemd socket activation: the activated service is the
 * answer), then the oldest (earliest start time), then the lowest pid.
 * owners_holders() lists its other holders too, in the same order: the first
 * OWNERS_MAX_HOLDERS, and how many more there are. A socket with one holder
 * (the common case) costs no more than before: the inode map holds its slot;
 * only a shared one has a list (44 bytes) beside it. */
#ifndef NETSTAT_OWNERS_CACHE_H
#define NETSTAT_OWNERS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procfs/pid_parse.h"

/* What to read besides comm, for the optional labels. */
#define OWNERS_WANT_UID 1u /* /proc/PID/status */
#define OWNERS_WANT_EXE 2u /* readlink /proc/PID/exe */

/* Shortest time between two full reads triggered by unknown inodes. */
#define OWNERS_MISS_RESCAN_MS 30000

/* Most inodes remembered as unknown (pending or unowned) at once. */
#define OWNERS_MAX_MISSING 65536

/* Holders of one socket listed at most; the rest are only counted. */
#define OWNERS_MAX_HOLDERS 8

/* One cached process, read-only outside owners/cache.c; valid until the next
 * refresh. */
struct owners_proc {
	int pid;
	uint32_t uid;                   /* effective uid, with OWNERS_WANT_UID */
	bool has_uid;
	uint64_t start;                 /* clock ticks since boot */
	char comm[PROC_COMM_MAX + 1];   /* UTF-8, no control characters */
	char *exe;                      /* owned by the cache; NULL if not wanted or unreadable */
};

struct owners_stats {
	uint64_t processes;      /* in the cache after the last refresh */
	uint64_t sockets;        /* distinct socket inodes the cache attributes */
	uint64_t unreadable;     /* processes whose fd table could not be read */
	uint64_t unreadable_userns; /* ... of them refused and in another user namespace */
	int unreadable_errno;    /* why the first of the others could not be (positive
				  * errno); 0 when all are in other user namespaces */
	int unreadable_pid;      /* ... and which process that was */
	char unreadable_comm[PROC_COMM_MAX + 1];
	uint64_t missing;        /* inodes remembered as unknown */
	uint64_t fd_table_reads; /* since start */
	uint64_t full_rescans;   /* since start */
};

struct owners;

/* want: OWNERS_WANT_* bits. rescan_interval_ms: longest time between two
 * reads of one fd table; 0 reads everything on every refresh. NULL means
 * ENOMEM. */
struct owners *owners_new(unsigned want, uint64_t rescan_interval_ms);
void owners_free(struct owners *o);

/* Brings the cache up to date with the processes under procfs_fd; now_ms is
 * a monotonic clock reading (for the rescan interval). A process that cannot
 * be read (gone mid-scan, fd table unreadable) is skipped or kept without
 * sockets; only a failure to list procfs_fd itself or ENOMEM fails the refresh
 * (0 or a negative errno; the cache stays usable either way). */
int owners_refresh(struct owners *o, int procfs_fd, uint64_t now_ms);

/* The slot of the process a socket inode is attributed to, or -1. Pure reads:
 * safe from several threads at once between refreshes. */
int owners_lookup(const struct owners *o, uint32_t inode);
/* The holders of a socket inode, first the one owners_lookup() gives, then
 * the others in the same order (see the top). slots points into the cache:
 * valid until the next refresh. */
struct owners_holders {
	const uint32_t *slots; /* n slots, for owners_proc_at() */
	unsigned n;            /* listed: 1..OWNERS_MAX_HOLDERS, 0 when none */
	unsigned more;         /* holders past the list */
};
/* h->n: 0 when no process holds inode. Pure reads, as owners_lookup(). */
unsigned owners_holders(const struct owners *o, uint32_t inode, struct owners_holders *h);
/* Slots are below owners_slots(); a free slot gives NULL. */
unsigned owners_slots(const struct owners *o);
const struct owners_proc *owners_proc_at(const struct owners *o, unsigned slot);

/* Tells the cache that the last dump showed these socket inodes (non-zero)
 * and owners_lookup() found no owner: the next refresh re-reads the processes
 * that ran, and one that finds the same inode reported again reads
 * everything, once, to look for it. Call it after every dump, with n = 0 when
 * nothing was missing: inodes not reported again are forgotten. Not
 * thread-safe: call after the dump. */
void owners_note_missing(struct owners *o, const uint32_t *inodes, size_t n);

void owners_get_stats(const struct owners *o, struct owners_stats *st);

#endif
