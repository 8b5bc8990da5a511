/* netns/schedule: which namespaces get a full socket census this scrape.
 *
 * A namespace with its own established hash table (tcp_ehash_entries > 0) is
 * cheap to dump: its census is made every scrape. One that shares the host's
 * table costs a walk of every socket of the node per TCP dump, so those are
 * taken oldest census first (a namespace that never had one: oldest of all,
 * the longest waiting first) while the per-scrape budget lasts, judging each
 * by what the last shared census cost; and always once its census (or its
 * wait for the first) is older than the interval. A new namespace waits its
 * turn like the others, so a first scrape on a busy node stays in budget.
 *
 * The policy is pure (netns_census_order(), netns_census_due()); struct
 * netns_schedule applies it during a pass with an injectable clock (tests
 * fake it), from the dump threads at once. See docs/netns.md. */
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
};

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
	double interval;     /* the longest a census (or the first) may wait */
};

/* Whether the job's census is made now. */
bool netns_census_due(const struct netns_census_due_in *in);

/* The policy during one pass (thread-safe: the dump threads share it). */
struct netns_schedule {
	util_clock_fn clock;
	double budget, interval;
	double pass_start;
	atomic_uint_fast64_t last_cost_ns; /* kept across passes */
};

void netns_schedule_init(struct netns_schedule *s, util_clock_fn clock, double budget,
			 double interval);
/* Sorts jobs into netns_census_order() and starts a pass's budget. */
void netns_schedule_start(struct netns_schedule *s, struct netns_census_job *jobs, size_t n);
/* Whether job is due now; if so *t0 is the time to hand to _done(). */
bool netns_schedule_take(struct netns_schedule *s, const struct netns_census_job *job,
			 double *t0);
/* A census taken at t0 ended: returns its time (now), and over a shared
 * table remembers its cost for the next decisions. */
double netns_schedule_done(struct netns_schedule *s, const struct netns_census_job *job,
			   double t0);

#endif
