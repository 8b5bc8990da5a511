/* connections/view: one query's answer, built while a dump streams.
 *
 * Pure: rows in, kept rows or groups out; no I/O. Each dump worker adds to
 * its own part (conn_view_add() with its index), so parts fill in parallel;
 * conn_view_finish() folds them into one. Rows view: every row that passes
 * the filter is counted (the total before the limit) and only the first
 * `limit` in sort order are kept, in a bounded heap. Grouped view: sockets
 * per group key, with their states and remote countries (by port: sockets on
 * a listener's port; by remote: sockets with a remote); at most
 * CONN_MAX_GROUPS groups per worker, sockets past that are counted as
 * untracked.
 *
 * Memory per view: limit rows per worker, plus the group tables. */
#ifndef NETSTAT_CONNECTIONS_VIEW_H
#define NETSTAT_CONNECTIONS_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connections/query.h"
#include "geoip/geoip.h"
#include "owners/cache.h"

#define CONN_MAX_WORKERS 4
#define CONN_MAX_GROUPS 16384
#define CONN_GROUP_COUNTRIES 4 /* countries listed per group; the rest summed as "other" */

/* A socket's remote country: a geoip code index, or these. */
#define CONN_CC_NONE GEOIP_CC_NONE   /* not a public address (or no database) */
#define CONN_CC_UNKNOWN GEOIP_CC_COUNT /* public, but not in the database */
#define CONN_CC_UNSET 0xffff          /* not looked up */

/* The network namespace a row was dumped in, as the netns collector names
 * it (netns/share); its strings are "" when unknown. kns: a number per
 * distinct Kubernetes namespace of one dump (0: none), for grouping. */
struct conn_ns {
	uint64_t ino;
	uint32_t kns;
	bool own;             /* the exporter's own namespace */
	char namespace_[256];
	char pod[256];
	char container[128];
};

/* One socket, as a view sees it. */
struct conn_row {
	uint8_t proto;       /* CONN_PROTO_TCP or CONN_PROTO_UDP */
	uint8_t family;      /* the socket's own: AF_INET or AF_INET6 */
	uint8_t addr_family; /* of the addresses, after un-mapping */
	uint8_t state;       /* enum conn_state */
	uint8_t direction;   /* enum conn_direction */
	uint16_t sport, dport;
	uint16_t cc;         /* CONN_CC_*, or a country index */
	uint8_t src[16], dst[16];
	uint32_t rqueue, wqueue, inode, uid;
	int32_t pid;         /* -1: no visible owner */
	bool has_info;       /* the dump carried tcp_info for it: the three below are set */
	bool retransmitting; /* diag_tcp_retransmitting() */
	uint32_t rtt_us;     /* tcpi_rtt */
	uint32_t total_retrans; /* tcpi_total_retrans */
	bool via_listener;   /* a request or TIME_WAIT socket: comm and pid are its listener's */
	bool on_listener;    /* TCP, its local port has a listener (a service port, not ephemeral) */
	uint32_t asn;        /* the remote AS when the view needs it (conn_view_needs_asn), else 0 */
	char comm[CONN_COMM_MAX + 1]; /* "" when no owner; a shared socket's first holder */
	const struct conn_ns *ns; /* borrowed; NULL: not known */
	/* A socket several processes hold: the owner cache that lists them
	 * (owners_holders() of inode; the first is comm and pid), borrowed and
	 * unchanged until the answer is rendered. NULL: one owner or none. */
	const struct owners *holders;
};

/* The program as shown and filtered: comm, "comm (listener)" for a socket
 * attributed to its listener, "" without an owner. out: CONN_PROGRAM_MAX + 1 bytes. */
void conn_row_program(const struct conn_row *r, char *out);

/* A group's key and counts. */
struct conn_group_rec {
	uint8_t key[20];     /* by group: fam+addr, comm and [16] via listener, port (2 bytes),
			      * cc (2 bytes), netns inode (8 bytes) or kns (4 bytes) */
	uint64_t sockets;
	uint32_t states[CONN_STATE_COUNT];
	uint16_t cc[CONN_GROUP_COUNTRIES];
	uint32_t cc_n[CONN_GROUP_COUNTRIES];
	uint32_t cc_other;
	uint8_t sample_family; /* one remote address of the group (for its AS's name) */
	uint8_t sample[16];
};

struct conn_view;

/* q is copied. NULL means ENOMEM. */
struct conn_view *conn_view_new(const struct conn_query *q, unsigned nworkers);
void conn_view_free(struct conn_view *v);
const struct conn_query *conn_view_query(const struct conn_view *v);

/* Whether the filter, sort or grouping needs the row's country; its AS. */
bool conn_view_needs_country(const struct conn_view *v);
bool conn_view_needs_asn(const struct conn_view *v);

/* Adds one row from worker w. 0 or -ENOMEM. */
int conn_view_add(struct conn_view *v, unsigned w, const struct conn_row *r);
/* Folds every worker's part into one and sorts it. 0 or -ENOMEM. */
int conn_view_finish(struct conn_view *v);

/* After conn_view_finish(): rows matching the filter (before the limit),
 * and the kept rows in order (borrowed from v). */
uint64_t conn_view_total(const struct conn_view *v);
const struct conn_row *conn_view_rows(const struct conn_view *v, size_t *n);
/* Grouped view: groups seen, sockets left out of a full table, and the top
 * `limit` groups by sockets (borrowed from v). */
uint64_t conn_view_groups_total(const struct conn_view *v);
uint64_t conn_view_untracked(const struct conn_view *v);
/* Sockets that match but belong to no group of this grouping: by port,
 * those on a port no listener has (ephemeral client ports); by remote,
 * listeners (no remote address). */
uint64_t conn_view_ungrouped(const struct conn_view *v);
const struct conn_group_rec *const *conn_view_groups(const struct conn_view *v, size_t *n);

/* Compares two rows by the query's sort column (then the whole tuple):
 * negative when a comes first. Sorted by rtt or retrans, rows without
 * tcp_info come after the others in either order. */
int conn_row_cmp(const struct conn_query *q, const struct conn_row *a, const struct conn_row *b);

#endif
