/* sockdiag/health: which service is suffering, per port, streamed from a dump.
 *
 * Sockets are added one at a time while a dump streams; nothing is kept per
 * socket. A non-listening TCP socket comes with the direction and port key
 * the census gives it (census_key()), so these families join
 * netstat_tcp_port_sockets; each adds its queues (idiag_rqueue, idiag_wqueue)
 * to its port. An established one whose reply carried tcp_info also adds its
 * smoothed RTT to the port's gauge histogram, and its retransmission state
 * and byte counts to the port's sums. A UDP socket adds its receive queue and
 * drops (INET_DIAG_SKMEMINFO) under its local port. Several can be filled in
 * parallel and merged, like the census. health_emit() applies the same
 * cardinality cuts as the census: allowlisted ports always, then the top N
 * (TCP: by socket count, the census's own ranking, so the ports match; UDP:
 * by drops), the rest summed under port="other".
 *
 * Memory: 768 KiB fixed (port indexes) plus about 150 bytes per port seen. */
#ifndef NETSTAT_SOCKDIAG_HEALTH_H
#define NETSTAT_SOCKDIAG_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "expo/expo.h"
#include "sockdiag/census.h"
#include "sockdiag/reply.h"

/* RTT buckets: 1-2.5-5 steps from 100 us to 10 s (upper bounds, seconds;
 * the +Inf bucket comes on top). Fixed: dashboards and recording rules
 * depend on them. */
#define HEALTH_RTT_BUCKETS 16
extern const double health_rtt_bounds[HEALTH_RTT_BUCKETS];

/* What health_emit() shows; owned by the caller. */
struct health_opts {
	const uint64_t *ports; /* allowlist bitmap (65536 bits): always their own series */
	unsigned top_ports;    /* other ports (per direction for TCP) with their own series */
	bool tcp_info;         /* emit the tcp_info families (RTT, retransmissions, bytes) */
};

struct health;

struct health *health_new(void);
void health_free(struct health *h);
/* Forgets every socket; keeps memory. */
void health_reset(struct health *h);

/* Adds a non-listening TCP socket under its census key. 0 or -ENOMEM. */
int health_add_tcp(struct health *h, enum census_dir dir, uint16_t port, const struct diag_sock *s);
/* Adds a UDP socket under its local port. 0 or -ENOMEM. */
int health_add_udp(struct health *h, const struct diag_sock *s);
/* Adds everything src counted to dst. 0 or -ENOMEM. */
int health_merge(struct health *dst, const struct health *src);

/* The families health_emit() fills, in the order it creates them. Their
 * names, types and HELP belong to the collector that emits them (a table of
 * HEALTH_METRIC_COUNT entries, collectors/sockets.c). */
enum health_metric {
	HEALTH_METRIC_TCP_PORT_RECEIVE_QUEUE_BYTES = 0,       /* {direction, port} */
	HEALTH_METRIC_TCP_PORT_SEND_QUEUE_BYTES,              /* {direction, port} */
	HEALTH_METRIC_TCP_PORT_RECEIVE_QUEUE_NONEMPTY_SOCKETS, /* {direction, port} */
	/* The tcp_info families, only with health_opts.tcp_info: */
	HEALTH_METRIC_TCP_PORT_RTT_SECONDS,            /* gauge histogram {direction, port} */
	HEALTH_METRIC_TCP_PORT_RETRANSMITTING_SOCKETS, /* {direction, port} */
	HEALTH_METRIC_TCP_PORT_RETRANSMITTED_SEGMENTS, /* {direction, port} */
	HEALTH_METRIC_TCP_PORT_ACKED_BYTES,            /* {direction, port} */
	HEALTH_METRIC_TCP_PORT_RECEIVED_BYTES,         /* {direction, port} */
	HEALTH_METRIC_UDP_PORT_RECEIVE_QUEUE_BYTES,    /* {port} */
	HEALTH_METRIC_UDP_PORT_DROPPED_DATAGRAMS,      /* {port} */
	HEALTH_METRIC_COUNT
};

/* Constant labels health_emit() can append to every sample. */
#define HEALTH_MAX_CONST_LABELS 6

/* Where health_emit() adds samples, as struct census_out: the emitting
 * collector's names and the set; families created on first use and kept in
 * fam (zero it before the first health_emit() into a set). */
struct health_out {
	struct expo *e;
	const struct expo_desc *desc; /* [HEALTH_METRIC_COUNT] */
	struct expo_family *fam[HEALTH_METRIC_COUNT];
};

/* Adds h's samples to out's families; every sample gets its own labels, then
 * labels[0..nlabels) (nlabels <= HEALTH_MAX_CONST_LABELS). Returns 0 or a
 * negative errno (-EINVAL for too many labels, the set's sticky error). */
int health_emit(const struct health *h, const struct health_opts *o, struct health_out *out,
		const struct expo_label *labels, size_t nlabels);

#endif
