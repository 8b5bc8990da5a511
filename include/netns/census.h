/* netns/census: the small per-namespace socket census.
 *
 * The host's census (sockdiag/census.h) keeps about 800 KiB of port indexes;
 * a node may have hundreds of namespaces, so each namespace keeps only what
 * its families show: TCP states and UDP counts per family, its listeners per
 * port (queue and backlog), and the busiest ephemeral tuple. The address
 * table that finds that tuple, and the listener bitmap that tells outbound
 * from inbound, are per dump thread (struct netns_scratch) and reused from
 * namespace to namespace. Nothing is kept per socket. */
#ifndef NETSTAT_NETNS_CENSUS_H
#define NETSTAT_NETNS_CENSUS_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "events/abi.h"
#include "sockdiag/reply.h"
#include "util/bitset.h"

#define NETNS_MAX_TUPLES 16384 /* distinct outbound (local addr, remote addr, remote port) */

struct netns_listener {
	uint16_t port;
	uint32_t sockets;
	uint64_t queue;   /* accept queue lengths summed over the port's listeners */
	uint64_t backlog; /* configured backlogs summed */
};

/* Listeners per port, SO_REUSEPORT siblings and families summed. */
struct netns_listeners {
	struct netns_listener *v; /* owned; sorted by port after netns_listeners_finish() */
	size_t len, cap;
	uint64_t tcp[2];          /* LISTEN sockets per family (ipv4, ipv6) */
};

/* The full census of a namespace. */
struct netns_census {
	uint64_t tcp[2][DIAG_TCP_STATE_COUNT]; /* [ipv4, ipv6][state]; LISTEN from the listeners */
	uint64_t tw_fin_wait2[2];              /* of tcp[][FIN_WAIT2], timewait sockets (orphans the kernel keeps) */
	uint64_t udp[2][2];                    /* [family][unconnected, connected] */
	uint32_t eph_max;                      /* most outbound sockets sharing one tuple */
	uint64_t untracked;                    /* outbound sockets the tuple table had no room for */
};

/* One dump thread's working memory. */
struct netns_scratch {
	uint64_t listening[BITSET_WORDS(65536)];
	struct tuple_slot { uint64_t hash; uint8_t key[40]; uint32_t n; } *slots; /* owned */
	size_t nslots, n;
};

void netns_listeners_init(struct netns_listeners *l);
void netns_listeners_fini(struct netns_listeners *l);
void netns_listeners_reset(struct netns_listeners *l);
/* A LISTEN socket from a LISTEN-only dump. 0 or -ENOMEM. */
int netns_listeners_add(struct netns_listeners *l, const struct diag_sock *s);
/* Sorts and merges the ports. */
void netns_listeners_finish(struct netns_listeners *l);
/* Adds src's ports into dst (the "other" namespaces' sum). 0 or -ENOMEM;
 * dst needs netns_listeners_finish() afterwards. */
int netns_listeners_merge(struct netns_listeners *dst, const struct netns_listeners *src);

void netns_scratch_init(struct netns_scratch *sc);
void netns_scratch_fini(struct netns_scratch *sc);

/* Starts a census of a namespace whose listeners are l (finished). */
void netns_census_begin(struct netns_census *c, struct netns_scratch *sc,
			const struct netns_listeners *l);
/* One socket of the namespace's non-listening TCP or UDP dumps. 0 or -ENOMEM. */
int netns_census_add(struct netns_census *c, struct netns_scratch *sc, const struct diag_sock *s);

/* Live counts (events/live.h) against a census that saw them hold still,
 * over the states live counts keep (ESTABLISHED, SYN_SENT, FIN_WAIT1,
 * FIN_WAIT2 of full sockets, CLOSE_WAIT, LAST_ACK, CLOSING, LISTEN) and both
 * families. What is served is the kernel's counts plus offset: returns the
 * sockets that and the census disagree on, and sets offset so that they
 * agree from now on (the kernel closes some sockets without a state event:
 * docs/events.md, "Live states"). Pure. */
uint64_t netns_live_reconcile(const struct netns_census *c, const struct ev_live *kernel,
			      int64_t offset[2][EV_LIVE_STATES]);

/* The namespace's timewait sockets of now per family (IPv4 [0], IPv6 [1]),
 * from its sockstat tw: every timewait socket, both families, the orphans in
 * FIN_WAIT2 (ss's FIN-WAIT-2) too. orphans: those census c saw, served with
 * fin_wait2, as many as tw can still hold (fewer when some have gone since,
 * IPv6's taken off first), so that fin_wait2 and time_wait sum to what the
 * kernel holds however old c is. time_wait: the rest, split between the
 * families as c's TIME_WAIT sockets were (by inuse4/inuse6, sockstat's, when
 * c saw none). Pure. */
void netns_live_time_wait(const struct netns_census *c, uint64_t tw, uint64_t inuse4,
			  uint64_t inuse6, uint64_t time_wait[2], uint64_t orphans[2]);

#endif
