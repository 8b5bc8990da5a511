/* netns/schedule: which namespaces get a full census. See netns/schedule.h. */
#include "netns/schedule.h"

#include <stdlib.h>

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
	double since = j->has_census ? j->census_time : j->first_seen;

	if (j->own_table)
		return true; /* cheap: always */
	if (in->now - since >= in->interval)
		return true; /* waited long enough: even over the budget */
	/* Does one more (costing what the last one did) fit the budget? */
	return in->now - in->pass_start + in->last_cost < in->budget;
}

void netns_schedule_init(struct netns_schedule *s, util_clock_fn clock, double budget,
			 double interval)
{
	s->clock = clock;
	s->budget = budget;
	s->interval = interval;
	s->pass_start = 0;
	atomic_init(&s->last_cost_ns, 0);
}

void netns_schedule_start(struct netns_schedule *s, struct netns_census_job *jobs, size_t n)
{
	if (n > 1)
		qsort(jobs, n, sizeof(*jobs), netns_census_order);
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
		.interval = s->interval,
	};

	*t0 = in.now;
	return netns_census_due(&in);
}

double netns_schedule_done(struct netns_schedule *s, const struct netns_census_job *job,
			   double t0)
{
	double now = s->clock();

	if (!job->own_table)
		atomic_store(&s->last_cost_ns, (uint_fast64_t)((now - t0) * 1e9));
	return now;
}
