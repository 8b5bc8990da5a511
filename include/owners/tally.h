/* owners/tally: per-process socket counts from one sock_diag dump.
 *
 * What the `processes` collector does with the socket stream (collector.h,
 * docs/processes.md): tally_begin() when the dump starts, tally_add() for
 * every socket, tally_emit() after it. tally_add() only reads the owners
 * cache, so the dump's worker threads may call it at once, each with its own
 * worker index.
 *
 * Request sockets (syn_recv) and TIME_WAIT sockets have no inode: those on a
 * host listener's local address and port count for the listener's owner
 * (owners/listen_map.h), in the series of their own state, since no process
 * ever holds either itself. The rest, on no listener, are kernel-held.
 *
 * Sockets nobody can be found for are counted by reason: "kernel" (inode 0:
 * TIME_WAIT and SYN_RECV on no listener, orphans closed by their process) and
 * "not_found" (an inode no readable fd table holds: another pid namespace,
 * an unreadable table, or a socket newer than the cache, which the next
 * refresh looks for). */
#ifndef NETSTAT_OWNERS_TALLY_H
#define NETSTAT_OWNERS_TALLY_H

#include <stdbool.h>

#include "sockdiag/reply.h"
#include "expo/expo.h"
#include "owners/cache.h"

#define TALLY_MAX_WORKERS 4
/* Per worker and dump: listening sockets and unknown inodes remembered. */
#define TALLY_MAX_LISTENERS 8192
#define TALLY_MAX_MISSING 4096
/* Per worker and dump: distinct local (address, port) pairs of request and
 * TIME_WAIT sockets waiting for their listener; past 3/4 of it they count as
 * kernel-held. */
#define TALLY_MAX_PENDING 8192

/* Optional owner labels, each off by default (cardinality). */
struct tally_opts {
	bool exe;
	bool user;
	bool pid;
};

/* The families tally_emit() fills. Their names, types and HELP belong to the
 * collector that emits them (collectors/processes.c). */
enum tally_metric {
	TALLY_METRIC_PROCESS_SOCKETS = 0,   /* {owner labels, protocol, state} */
	TALLY_METRIC_LISTENER,              /* info: {owner labels, protocol, address, port} */
	TALLY_METRIC_UNATTRIBUTED_SOCKETS,  /* {protocol, state, reason} */
	TALLY_METRIC_COUNT
};

struct tally;

/* owners and desc ([TALLY_METRIC_COUNT]) are borrowed and must outlive the
 * tally. NULL means ENOMEM. */
struct tally *tally_new(struct owners *owners, const struct tally_opts *opts,
			const struct expo_desc *desc);
void tally_free(struct tally *a);

/* Starts (or restarts) a dump with up to nworkers (1..TALLY_MAX_WORKERS)
 * concurrent callers. 0, -EINVAL or -ENOMEM. */
int tally_begin(struct tally *a, unsigned nworkers);
/* Counts one socket. worker < the nworkers given to tally_begin(). */
void tally_add(struct tally *a, unsigned worker, const struct diag_sock *s);
/* Sockets of other network namespaces (the netns collector's dumps), kept
 * apart from the host dump's: their per-process series carry a netns label
 * (the namespace inode), and those nobody can be found for are not counted
 * in netstat_unattributed_sockets nor sent to the owners cache as missing
 * (a node's pods would trigger a full re-read of every fd table each time:
 * their new processes and changed fd tables are read anyway). tally_begin_netns() starts them; the next tally_emit() shows them
 * and forgets them. */
int tally_begin_netns(struct tally *a, unsigned nworkers);
void tally_add_netns(struct tally *a, unsigned worker, const struct diag_sock *s, uint64_t netns);

/* Adds the tally's families (enum tally_metric) to e, and tells the owners cache which inodes
 * it did not know. 0 or a negative errno. */
int tally_emit(struct tally *a, struct expo *e);

#endif
