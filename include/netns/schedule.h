/* netns/schedule: which namespaces get a full socket census this scrape.
 *
 * A namespace with its own established hash table is cheap to dump: its
 * census is made every scrape. One that shares the host's table (its
 * tcp_ehash_entries is negative, or it is the init namespace, whose table is
 * the global one: netns_census_own_table()) costs a walk of every socket of
 * the node per TCP dump. Those are taken oldest census first (a namespace
 * that never had one: oldest of all, the longest waiting first):
 *   - the first of them in a pass always (progress every scrape);
 *   - each next one while what the pass has spent plus what that namespace's
 *     own last census cost (its estimate; one never made: the last shared
 *     census's cost) fits the budget.
 * No census is forced over the budget: with N shared namespaces and the
 * largest estimate c, at least k = max(1, floor(budget / c)) are made per
 * pass, so a census is at most ceil(N / k) passes old (docs/netns.md). A
 * census older than the interval is stale: the collector does not serve it
 * as current (netns_census_fresh()).
 *
 * The policy is pure (netns_census_order(), netns_census_due(),
 * netns_census_own_table(), netns_census_fresh()); struct netns_schedule
 * applies it during a pass with an injectable clock (tests fake it), from
 * the dump threads at once. See docs/netns.md. */
#ifndef NETSTAT_NETNS_SCHEDULE_H
#define NETSTAT_NETNS_SCHEDULE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/clock.h"

/* One namespace, as the scheduler sees it. Times are the clock's seconds. */
struct netns_census_job {
	bool own_table;     /* its own established hash table */
	bool has_census;    /* a census was made before */
	double census_time; /* when the last one ended (with has_census) */
	double first_seen;  /* when the namespace was first seen */
	void *ref;          /* the caller's */
	double cost;        /* seconds its last census took; 0: unknown */
};

/* Whether a namespace has an established hash table of its own: its
 * tcp_ehash_entries (> 0 own, < 0 shared, 0 unknown) is positive and it is
 * not the init namespace, whose positive value is the global table every
 * sharing namespace lives in. The init namespace is init_ino (PID 1's; 0:
 * unknown) or, when the exporter's own namespace shares the global table
 * (self_ehash < 0, its size negated), the one whose positive value is that
 * size (a child table of exactly the global size is taken for it too). */
bool netns_census_own_table(int ehash, uint64_t ino, uint64_t init_ino, int self_ehash);

/* The order in which a pass takes the jobs: own tables first, then the
 * oldest census. qsort() comparator over struct netns_census_job. */
int netns_census_order(const void *a, const void *b);

/* Everything netns_census_due() decides on. */
struct netns_census_due_in {
	const struct netns_census_job *job;
	double now;          /* when the job is taken */
	double pass_start;   /* when this pass's censuses started */
	double last_cost;    /* seconds the last census over a shared table took; 0: none yet */
	double budget;       /* seconds per pass for censuses over shared tables */
	unsigned taken;      /* shared censuses already taken in this pass */
};

/* Whether the job's census is made now. */
bool netns_census_due(const struct netns_census_due_in *in);

/* Whether a census made at census_time may be served as current at now:
 * it is at most interval old. */
bool netns_census_fresh(double census_time, double now, double interval);

/* The policy during one pass (thread-safe: the dump threads share it). */
struct netns_schedule {
	util_clock_fn clock;
	double budget, interval;
	double pass_start;
	atomic_uint taken;                 /* shared censuses taken in this pass */
	atomic_uint_fast64_t last_cost_ns; /* kept across passes */
};

void netns_schedule_init(struct netns_schedule *s, util_clock_fn clock, double budget,
			 double interval);
/* Sorts jobs into netns_census_order() and starts a pass's budget. */
void netns_schedule_start(struct netns_schedule *s, struct netns_census_job *jobs, size_t n);
/* Whether job is due now; if so *t0 is the time to hand to _done(). */
bool netns_schedule_take(struct netns_schedule *s, const struct netns_census_job *job,
			 double *t0);
/* A census taken at t0 ended: returns its time (now), *cost its cost (the
 * caller keeps it as the namespace's estimate); over a shared table also
 * remembers it as the estimate of namespaces never censused. */
double netns_schedule_done(struct netns_schedule *s, const struct netns_census_job *job,
			   double t0, double *cost);

#endif
