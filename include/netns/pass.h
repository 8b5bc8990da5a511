/* netns/pass: one scrape's work over the other network namespaces.
 *
 * Over up to NETNS_PASS_MAX_THREADS dump threads (util/parallel.h), for the
 * namespaces of a netns/table whose entries carry a struct netns_data:
 *   1. the cheap tier, every namespace: the counter files
 *      /proc/PID/net/{snmp,netstat,sockstat,sockstat6} of its oldest process
 *      (the counters asked for, the sockstat rows below), its
 *      ip_local_port_range and tcp_max_tw_buckets, and a LISTEN-only dump
 *      (walks only the listening hash);
 *   2. the full census (every TCP state, UDP, ephemeral tuples) of the
 *      namespaces netns/schedule picks. A family whose sockstat counts say
 *      it has no such sockets is not dumped (with a shared hash table each
 *      TCP dump walks every socket of the node).
 * With the events layer's live states on (events/live.h), a namespace's
 * first census slot also runs its seed walk, every pass reads its live
 * counts, and each census is compared with them (netns_live_drift()) when
 * they did not move from before the listeners' dump to after the census.
 * Every socket dumped also goes to on_sock() with its namespace's inode. A
 * dump the kernel flags inconsistent (NLM_F_DUMP_INTR) makes the whole pass
 * run once more, after begin() again, with the same censuses, so whoever
 * on_sock() feeds counts no socket twice. */
#ifndef NETSTAT_NETNS_PASS_H
#define NETSTAT_NETNS_PASS_H

#include <linux/types.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events/abi.h"
#include "netns/census.h"
#include "netns/schedule.h"
#include "netns/table.h"
#include "procfs/snmp_parse.h"
#include "procfs/sockstat_parse.h"
#include "sockdiag/reply.h"
#include "util/strbuf.h"

#define NETNS_PASS_MAX_THREADS 4
#define NETNS_MAX_COUNTERS 16

/* The sockstat/sockstat6 rows a pass reads. */
enum netns_sockstat {
	NETNS_SS_TCP_INUSE4 = 0,
	NETNS_SS_TCP_INUSE6,
	NETNS_SS_TCP_TW,
	NETNS_SS_UDP_INUSE4,
	NETNS_SS_UDP_INUSE6,
	NETNS_SS_COUNT
};

/* A counter of /proc/PID/net/{snmp,netstat}: "Tcp", "RetransSegs". */
struct netns_counter {
	const char *proto, *field;
};

/* What one namespace showed: the data of its netns/table entry
 * (netns_data_init/_fini are the table's data_init/data_fini). */
struct netns_data {
	struct netns_listeners lis; bool has_lis;
	struct netns_census census; bool has_census;
	double census_time;                 /* clock seconds */
	double census_cost;                 /* seconds the last census took; 0: none */
	uint64_t ctr[NETNS_MAX_COUNTERS]; bool has_ctr; /* in the order asked for */
	uint64_t ss[NETNS_SS_COUNT]; bool has_ss;
	unsigned range_lo, range_hi;        /* hi < lo: unknown */
	int max_tw; bool has_max_tw;        /* tcp_max_tw_buckets, this scrape */
	bool max_tw_said;                   /* its last read failed, and the log said so */
	double eph_ratio; bool has_eph;     /* the collector's */
	uint64_t rank;                      /* the collector's */
	uint64_t served[2][DIAG_TCP_STATE_COUNT]; /* the collector's: its TCP state series */
	uint32_t served_mask;               /* the collector's: the states served (bit per state) */
	bool served_live;                   /* the collector's: of them, the full sockets' are live */
	bool censused;                      /* a census was made in this scrape's first pass */
	/* Live states (events/live.h), once the namespace's seed walk ran: */
	bool live_seeded;
	struct ev_live live; bool has_live; /* the kernel's, read this scrape before the listeners */
	int64_t live_offset[2][EV_LIVE_STATES]; /* served: live + offset (netns_live_reconcile()) */
	uint64_t drift; bool has_drift;     /* at the last census the counts held still for */
	uint64_t syn_recv[2]; bool has_syn_recv; /* request sockets this scrape (events_live_syn_recv()) */
};

void netns_data_init(void *data);
void netns_data_fini(void *data);

/* The namespace's data. */
#define NETNS_DATA(e) ((struct netns_data *)(e)->data)

/* One dump thread's buffers. */
struct netns_pass_worker {
	uint8_t *buf;            /* NL_DIAG_BUF_SIZE, lent to the handle dumped */
	struct netns_scratch scratch;
	struct strbuf text[4];
	struct snmp_list snmp;
	struct sockstat_list sockstat;
};

struct netns_pass {
	unsigned threads;
	const struct netns_counter *counters; /* borrowed */
	size_t ncounters;
	struct netns_schedule sched;
	struct netns_pass_worker w[NETNS_PASS_MAX_THREADS];
	/* where the sockets go: begin() when a pass (re)starts, on_sock() for each */
	void (*begin)(void *arg, unsigned nworkers);
	void (*on_sock)(void *arg, unsigned worker, const struct diag_sock *s, uint64_t netns);
	void *arg;

	/* one run's */
	struct netns_table *table;
	int procfs_fd;
	atomic_bool interrupted;       /* a dump of this pass came back inconsistent */
	bool again;                    /* the pass is the second */
	struct netns_census_job *jobs; /* the census candidates */
	size_t njobs;
};

/* threads in 1..NETNS_PASS_MAX_THREADS; counters (at most NETNS_MAX_COUNTERS)
 * must outlive the pass; budget and interval as in netns/schedule.h. The
 * caller then sets begin, on_sock and arg. 0 or -ENOMEM (fini it anyway). */
int netns_pass_init(struct netns_pass *p, unsigned threads, const struct netns_counter *counters,
		    size_t ncounters, util_clock_fn clock, double budget, double interval);
void netns_pass_fini(struct netns_pass *p);

/* One scrape's pass over t (refreshed). 0; -EINTR when a dump was
 * inconsistent in the second pass too; -ENOMEM. */
int netns_pass_run(struct netns_pass *p, struct netns_table *t, int procfs_fd);

#endif
