/* netns/share: the netns collector's namespaces, lent to the connections
 * explorer.
 *
 * The explorer and the netns collector are separate; this is all they share.
 * The collector publishes its table (netns_share_set()) and brackets every
 * use of it that changes entries or talks through their sock_diag sockets
 * (the table refresh and the census pass) with netns_share_enter()/leave().
 * The explorer borrows the table between netns_share_begin() and
 * netns_share_end(): while it holds it, the collector's next refresh waits,
 * so the entries stay and their sockets are the explorer's alone (it lends
 * each its own buffer). What the explorer may read: ino, label, id, h (its
 * nl, for dumps) and h.ehash; nothing else, and nothing after end. The
 * explorer keeps the table at most one batch of dumps, bounded by the
 * published budget (the collector's --collector.netns.census-budget), so a
 * scrape waits at most that long. Without the collector (disabled), begin
 * returns NULL: the explorer sees its own namespace only. Thread-safe. */
#ifndef NETSTAT_NETNS_SHARE_H
#define NETSTAT_NETNS_SHARE_H

#include "netns/table.h"

/* The collector: t (NULL: withdrawn, e.g. at its fini) and its census
 * budget in seconds. */
void netns_share_set(struct netns_table *t, double budget);
void netns_share_enter(void);
void netns_share_leave(void);

/* The explorer: the published table, locked until netns_share_end(), and
 * the budget; NULL (nothing locked) when none is published. */
const struct netns_table *netns_share_begin(double *budget);
void netns_share_end(void);

#endif
