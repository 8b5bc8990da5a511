/* attrib: per-process socket counts from one sock_diag dump.
 *
 * The second consumer of the census's dump (see docs/processes.md): the
 * `processes` collector refreshes the owners cache and publishes a struct
 * attrib in collect_ctx.shared; the `sockets` collector, which owns the dump,
 * calls attrib_begin() before it, attrib_add() for every socket and
 * attrib_emit() after it. attrib_add() only reads the owners cache, so the
 * dump's worker threads may call it at once, each with its own worker index.
 *
 * Sockets nobody can be found for are counted by reason: "kernel" (inode 0:
 * TIME_WAIT, SYN_RECV request sockets, orphans closed by their process) and
 * "not_found" (an inode no readable fd table holds: another pid namespace,
 * an unreadable table, or a socket newer than the cache, which the next
 * refresh looks for). */
#ifndef NETSTAT_ATTRIB_H
#define NETSTAT_ATTRIB_H

#include <stdbool.h>

#include "diag_parse.h"
#include "expo.h"
#include "owners.h"

#define ATTRIB_MAX_WORKERS 4
/* Per worker and dump: listening sockets and unknown inodes remembered. */
#define ATTRIB_MAX_LISTENERS 8192
#define ATTRIB_MAX_MISSING 4096

/* Optional owner labels, each off by default (cardinality). */
struct attrib_opts {
	bool exe;
	bool user;
	bool pid;
};

struct attrib;

/* owners is borrowed and must outlive the attrib. NULL means ENOMEM. */
struct attrib *attrib_new(struct owners *owners, const struct attrib_opts *opts);
void attrib_free(struct attrib *a);

/* Starts (or restarts) a dump with up to nworkers (1..ATTRIB_MAX_WORKERS)
 * concurrent callers. 0, -EINVAL or -ENOMEM. */
int attrib_begin(struct attrib *a, unsigned nworkers);
/* Counts one socket. worker < the nworkers given to attrib_begin(). */
void attrib_add(struct attrib *a, unsigned worker, const struct diag_sock *s);
/* Adds netstat_process_sockets, netstat_listener_info and
 * netstat_unattributed_sockets to e, and tells the owners cache which inodes
 * it did not know. 0 or a negative errno. */
int attrib_emit(struct attrib *a, struct expo *e);

#endif
