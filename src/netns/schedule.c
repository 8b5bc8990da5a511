/* netns/schedule: which namespaces get a full census. See netns/schedule.h. */
#include "netns/schedule.h"

#include <stdlib.h>

bool netns_census_own_table(int ehash, uint64_t ino, uint64_t init_ino, int self_ehash)
{
	if (ehash <= 0 || (init_ino != 0 && ino == init_ino))
		return false;
	return !(self_ehash < 0 && ehash == -self_ehash);
}

/* A census never made sorts before every made one, the longest waiting first. */
static double age_key(const struct netns_census_job *j)
{
	return j->has_census ? j->census_time : j->first_seen - 1e9;
}

int netns_census_order(const void *a, const void *b)
{
	const struct netns_census_job *x = a, *y = b;
	double tx = age_key(x), ty = age_key(y);

	if (x->own_table != y->own_table)
		return x->own_table ? -1 : 1;
	return (tx > ty) - (tx < ty);
}

bool netns_census_due(const struct netns_census_due_in *in)
{
	const struct netns_census_job *j = in->job;
	double cost = j->cost > 0 ? j->cost : in->last_cost;

	if (j->own_table)
		return true; /* cheap: always */
	if (in->taken == 0)
		return true; /* progress: the oldest, every pass, whatever it costs */
	/* Does this one (costing what its last census did) fit the budget? */
	return in->now - in->pass_start + cost <= in->budget;
}

bool netns_census_fresh(double census_time, double now, double interval)
{
	return now - census_time <= interval;
}

void netns_schedule_init(struct netns_schedule *s, util_clock_fn clock, double budget,
			 double interval)
{
	s->clock = clock;
	s->budget = budget;
	s->interval = interval;
	s->pass_start = 0;
	atomic_init(&s->taken, 0);
	atomic_init(&s->last_cost_ns, 0);
}

void netns_schedule_start(struct netns_schedule *s, struct netns_census_job *jobs, size_t n)
{
	if (n > 1)
		qsort(jobs, n, sizeof(*jobs), netns_census_order);
	atomic_store(&s->taken, 0);
	s->pass_start = s->clock();
}

bool netns_schedule_take(struct netns_schedule *s, const struct netns_census_job *job,
			 double *t0)
{
	struct netns_census_due_in in = {
		.job = job,
		.now = s->clock(),
		.pass_start = s->pass_start,
		.last_cost = (double)atomic_load(&s->last_cost_ns) / 1e9,
		.budget = s->budget,
	};

	*t0 = in.now;
	if (job->own_table)
		return true;
	/* Two threads may both see taken == 0: both go, the bound holds. */
	in.taken = atomic_load(&s->taken);
	if (!netns_census_due(&in))
		return false;
	atomic_fetch_add(&s->taken, 1);
	return true;
}

double netns_schedule_done(struct netns_schedule *s, const struct netns_census_job *job,
			   double t0, double *cost)
{
	double now = s->clock();

	*cost = now > t0 ? now - t0 : 0;
	if (!job->own_table)
		atomic_store(&s->last_cost_ns, (uint_fast64_t)(*cost * 1e9));
	return now;
}
