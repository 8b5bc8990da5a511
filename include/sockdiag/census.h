/* sockdiag/census: the streaming socket census behind the `sockets` collector.
 *
 * Sockets are added one at a time while a dump streams; nothing is kept per
 * socket. Listeners must be added first: a non-listening TCP socket is
 * "inbound" under its local port when that port has a listener, else
 * "outbound" under its remote port. Several censuses can be filled in
 * parallel (one per dump thread, each with a copy of the listener set, see
 * census_copy_listeners()) and merged at the end. census_emit() then applies
 * the cardinality cuts and adds the samples under the names its caller gives.
 *
 * Memory: about 800 KiB fixed per census (port indexes), plus per-port
 * entries and two address tables capped at CENSUS_MAX_PEERS and
 * CENSUS_MAX_TUPLES entries. A socket whose address key does not fit a full
 * table is not tracked there (counted in `untracked`); it is still counted
 * everywhere else. */
#ifndef NETSTAT_SOCKDIAG_CENSUS_H
#define NETSTAT_SOCKDIAG_CENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockdiag/reply.h"
#include "expo/expo.h"
#include "geoip/geoip.h"
#include "util/bitset.h"

#define CENSUS_MAX_PEERS 16384   /* distinct inbound remote addresses */
#define CENSUS_MAX_TUPLES 16384  /* distinct outbound (local addr, remote addr, remote port) */

enum census_dir {
	CENSUS_INBOUND = 0,
	CENSUS_OUTBOUND,
	CENSUS_DIR_COUNT
};

enum census_scope {
	CENSUS_SCOPE_LOOPBACK = 0,
	CENSUS_SCOPE_LINK_LOCAL,
	CENSUS_SCOPE_PRIVATE,
	CENSUS_SCOPE_PUBLIC,
	CENSUS_SCOPE_COUNT
};

enum census_family {
	CENSUS_IPV4 = 0,
	CENSUS_IPV6,
	CENSUS_FAMILY_COUNT
};

enum census_table {
	CENSUS_TABLE_PEERS = 0,
	CENSUS_TABLE_TUPLES,
	CENSUS_TABLE_COUNT
};

/* Scope of an address (addr_family AF_INET: 4 bytes, AF_INET6: 16 bytes,
 * network order). Unspecified addresses count as loopback: only sockets
 * that never left the host have them. */
enum census_scope census_scope_of(uint8_t addr_family, const uint8_t *addr);

/* The GeoIP labels of an address (as census_scope_of() takes it): country
 * ("" for a private or loopback address, "unknown" when the database has
 * none), asn ("" when unknown) and as_org (orglen bytes). */
void census_geo_labels(const struct geoip *g, uint8_t fam, const uint8_t *a, char cc[8],
		       char asn[16], char *org, size_t orglen);

/* The top-N rule of every per-port family (netstat_tcp_port_sockets here,
 * the service-health families in sockdiag/health.c): a candidate port
 * (seen, not allowlisted) and its ranking key. */
struct census_rank {
	uint64_t key[2];   /* compared in order, larger first */
	uint16_t port;
	const void *entry; /* the caller's */
};
/* Sorts cand best first (key[0], then key[1], descending; ties to the lower
 * port) and returns how many of the first have their own series: at most
 * top, and with need_key only ports whose key is not zero (a port with
 * nothing to show never enters). The rest are summed as port="other". */
size_t census_rank_ports(struct census_rank *cand, size_t n, unsigned top, bool need_key);

/* What census_emit() shows; owned by the caller. */
struct census_opts {
	uint64_t ports[BITSET_WORDS(65536)]; /* allowlist bitmap: always their own series */
	unsigned top_ports;         /* other ports per direction with their own series */
	unsigned max_listen_ports;  /* listening ports outside the allowlist with their own series */
	unsigned top_peers;         /* K per state; 0 disables the family */
	unsigned peer_min_sockets;  /* an address needs this many sockets to be listed */
	unsigned port_range_lo;     /* ip_local_port_range; hi < lo: unknown, ratio omitted */
	unsigned port_range_hi;
	const struct geoip *geo;    /* NULL: no country family, no country labels */
	unsigned top_countries;     /* countries per direction with their own series */
};

struct census;

struct census *census_new(void);
void census_free(struct census *c);
/* Forgets every socket (listeners included); keeps memory. */
void census_reset(struct census *c);

/* Counts established sockets by remote country with g (borrowed; NULL
 * stops): a cache of answers is allocated once. 0 or -ENOMEM. */
int census_set_geoip(struct census *c, const struct geoip *g);

/* Adds one socket from a TCP or UDP dump. LISTEN sockets go to the listener
 * set; every other TCP socket must come after all listeners. 0 or -ENOMEM. */
int census_add(struct census *c, const struct diag_sock *s);
/* The direction and port a non-listening TCP socket is counted under (the
 * listeners added so far decide, as in census_add()). -1 for a socket the
 * census gives no port: UDP, listening, or a state it does not report. */
int census_key(const struct census *c, const struct diag_sock *s, uint16_t *port);
/* Gives dst (reset, empty) the listener set of src, for classification only:
 * the listener counts themselves stay in src. */
void census_copy_listeners(struct census *dst, const struct census *src);
/* Adds everything src counted to dst. 0 or -ENOMEM. */
int census_merge(struct census *dst, const struct census *src);

/* Sockets that did not fit a full address table. */
uint64_t census_untracked(const struct census *c, enum census_table t);

/* The families census_emit() fills, in the order it creates them. Their
 * names, types and HELP belong to the collector that emits them (a table of
 * CENSUS_METRIC_COUNT entries, e.g. collectors/sockets.c), so another
 * collector can emit censuses under its own names. */
enum census_metric {
	CENSUS_METRIC_TCP_SOCKETS = 0,        /* {family, state} */
	CENSUS_METRIC_UDP_SOCKETS,            /* {family, state} */
	CENSUS_METRIC_UDP_RECEIVE_QUEUE_BYTES, /* {family} */
	CENSUS_METRIC_UDP_SEND_QUEUE_BYTES,   /* {family} */
	CENSUS_METRIC_TCP_PORT_SOCKETS,       /* {direction, port, state} */
	CENSUS_METRIC_TCP_LISTENERS,          /* {port} */
	CENSUS_METRIC_TCP_LISTEN_QUEUE_LENGTH, /* {port} */
	CENSUS_METRIC_TCP_LISTEN_BACKLOG,     /* {port} */
	CENSUS_METRIC_TCP_PEER_SOCKETS,       /* {scope, direction} */
	CENSUS_METRIC_TCP_TOP_INBOUND_PEER_SOCKETS, /* {state, address} (with geo: country, and asn,
						     * as_org with an ASN database); absent when top_peers is 0 */
	CENSUS_METRIC_TCP_PEER_COUNTRY_SOCKETS, /* {direction, country, state}; only with geo */
	CENSUS_METRIC_TCP_SYN_RECV_TOP_PREFIX_SOCKETS, /* {prefix}; absent when top_peers is 0 */
	CENSUS_METRIC_TCP_SYN_RECV_TOP_ASN_SOCKETS, /* {asn, as_org}; only with an ASN database */
	CENSUS_METRIC_TCP_EPHEMERAL_PORTS_MAX_USED, /* no labels */
	CENSUS_METRIC_TCP_EPHEMERAL_PORTS_MAX_USED_RATIO, /* no labels; absent when the range is unknown */
	CENSUS_METRIC_TCP_UNTRACKED_SOCKETS,  /* {table} */
	CENSUS_METRIC_COUNT
};

/* Constant labels census_emit() can append to every sample. */
#define CENSUS_MAX_CONST_LABELS 6

/* Where census_emit() adds samples: the emitting collector's names and the
 * set. Families are created on first use and kept in fam, so several
 * censuses (each with its own constant labels) can share them. Zero fam
 * before the first census_emit() into a set. */
struct census_out {
	struct expo *e;
	const struct expo_desc *desc; /* [CENSUS_METRIC_COUNT] */
	struct expo_family *fam[CENSUS_METRIC_COUNT];
};

/* Adds c's samples to out's families; every sample gets its own labels, then
 * labels[0..nlabels) (nlabels <= CENSUS_MAX_CONST_LABELS). Returns 0 or a
 * negative errno (-EINVAL for too many labels, the set's sticky error). */
int census_emit(const struct census *c, const struct census_opts *o, struct census_out *out,
		const struct expo_label *labels, size_t nlabels);

#endif
