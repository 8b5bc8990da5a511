/* netns/schedule: today's census policy as a table of cases (the pure
 * netns_census_due() and netns_census_order()), then the schedule over a pass
 * with a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netns/schedule.h"

static void test_due_table(void **state)
{
	static const struct {
		const char *what;
		struct netns_census_job job;
		double now, pass_start, last_cost, budget;
		unsigned taken;
		bool due;
	} cases[] = {
		{"own table: always, even with no budget left",
		 {true, true, 99, 0, NULL, 5}, 100, 90, 5, 0.25, 3, true},
		{"own table, never made",
		 {true, false, 0, 99, NULL, 0}, 100, 100, 0, 0, 0, true},
		{"shared, the first of the pass: always, over the budget",
		 {false, true, 99, 0, NULL, 0.3}, 100, 100, 0.3, 0.25, 0, true},
		{"shared, the first of the pass, no budget at all",
		 {false, true, 99, 0, NULL, 0}, 100, 100, 0, 0, 0, true},
		{"shared, second, its own cost fits",
		 {false, true, 99, 0, NULL, 0.1}, 100.1, 100, 0.3, 0.25, 1, true},
		{"shared, second, exactly fits",
		 {false, true, 99, 0, NULL, 0.125}, 100.125, 100, 0.3, 0.25, 1, true},
		{"shared, second, its own cost overruns (the last global one would fit)",
		 {false, true, 99, 0, NULL, 0.2}, 100.1, 100, 0.01, 0.25, 1, false},
		{"shared, second, cost unknown: the last shared cost, fits",
		 {false, false, 0, 99, NULL, 0}, 100.1, 100, 0.1, 0.25, 1, true},
		{"shared, second, cost unknown: the last shared cost, overruns",
		 {false, false, 0, 99, NULL, 0}, 100.1, 100, 0.2, 0.25, 1, false},
		{"shared, second, no budget",
		 {false, true, 99, 0, NULL, 0.001}, 100, 100, 0, 0, 1, false},
		{"shared, census far older than any interval: no forcing over the budget",
		 {false, true, 1, 0, NULL, 0.3}, 1000, 999.9, 0.3, 0.25, 2, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct netns_census_due_in in = {
			.job = &cases[i].job,
			.now = cases[i].now,
			.pass_start = cases[i].pass_start,
			.last_cost = cases[i].last_cost,
			.budget = cases[i].budget,
			.taken = cases[i].taken,
		};

		if (netns_census_due(&in) != cases[i].due)
			fail_msg("case %zu (%s): want %s", i, cases[i].what, cases[i].due ? "due" : "not due");
	}
}

/* The init namespace's positive tcp_ehash_entries is the global table. */
static void test_own_table(void **state)
{
	static const struct {
		const char *what;
		int ehash;
		uint64_t ino, init_ino;
		int self_ehash;
		bool own;
	} cases[] = {
		{"child with its own table", 4096, 4026532300, 4026531840, 0, true},
		{"child sharing the host's", -262144, 4026532300, 4026531840, 0, false},
		{"the init namespace (exporter outside it)", 262144, 4026531840, 4026531840, 0, false},
		{"init unknown, exporter in a sharing namespace: init by its size", 262144, 4026531833, 0, -262144, false},
		{"init unknown, exporter sharing, child of another size", 4096, 4026532300, 0, -262144, true},
		{"init unknown, exporter with its own table: trust the sysctl", 262144, 4026531833, 0, 4096, true},
		{"init unknown, exporter's own unknown: trust the sysctl", 262144, 4026531833, 0, 0, true},
		{"sysctl unknown", 0, 4026532300, 4026531840, 0, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (netns_census_own_table(cases[i].ehash, cases[i].ino, cases[i].init_ino,
					   cases[i].self_ehash) != cases[i].own)
			fail_msg("case %zu (%s): want %s", i, cases[i].what, cases[i].own ? "own" : "shared");
}

static void test_fresh(void **state)
{
	(void)state;
	assert_true(netns_census_fresh(100, 100, 300));
	assert_true(netns_census_fresh(100, 400, 300));
	assert_false(netns_census_fresh(100, 400.001, 300));
	assert_false(netns_census_fresh(100, 101, 0));
}

/* Own tables first; then never made (longest waiting first), then the
 * oldest census. */
static void test_order(void **state)
{
	int ids[] = {0, 1, 2, 3, 4, 5};
	struct netns_census_job jobs[] = {
		{false, true, 50, 1, &ids[0]},   /* shared, census at 50 */
		{true, true, 90, 1, &ids[1]},    /* own */
		{false, false, 0, 80, &ids[2]},  /* shared, never, seen at 80 */
		{false, true, 20, 1, &ids[3]},   /* shared, census at 20 */
		{false, false, 0, 30, &ids[4]},  /* shared, never, seen at 30 */
		{true, false, 0, 95, &ids[5]},   /* own, never */
	};
	const int want[] = {5, 1, 4, 2, 3, 0};

	(void)state;
	qsort(jobs, 6, sizeof(jobs[0]), netns_census_order);
	for (int i = 0; i < 6; i++)
		assert_int_equal(*(int *)jobs[i].ref, want[i]);
}

static double fake_now;

static double fake_clock(void)
{
	return fake_now;
}

/* A pass over three shared namespaces, budget 1 s: the first census costs
 * 0.6 s and is made whatever it costs; the second, whose own last census
 * cost 0.3 s, fits (0.6 + 0.3 <= 1); the third, 0.5 s, does not. */
static void test_pass_with_fake_clock(void **state)
{
	struct netns_schedule s;
	struct netns_census_job jobs[] = {
		{false, true, 250, 0, NULL, 0.5},
		{false, true, 200, 0, NULL, 0.3},
		{false, true, 1, 0, NULL, 0.6},
	};
	double t0, cost;

	(void)state;
	netns_schedule_init(&s, fake_clock, 1.0, 300);
	fake_now = 400;
	netns_schedule_start(&s, jobs, 3);
	assert_true(jobs[0].census_time == 1 && jobs[1].census_time == 200 && jobs[2].census_time == 250);
	assert_true(netns_schedule_take(&s, &jobs[0], &t0));
	fake_now = 400.6;
	assert_true(netns_schedule_done(&s, &jobs[0], t0, &cost) == 400.6);
	assert_true(cost > 0.599 && cost < 0.601);
	assert_true(netns_schedule_take(&s, &jobs[1], &t0));
	assert_false(netns_schedule_take(&s, &jobs[2], &t0));
	/* The next pass: its own budget, a new first. */
	fake_now = 430;
	netns_schedule_start(&s, jobs, 3);
	assert_true(netns_schedule_take(&s, &jobs[0], &t0));
}

/* ---- the simulated node: one big namespace and many small ones ---- */

struct sim_ns {
	double cost;  /* what its census really takes */
	struct netns_census_job job;
};

struct sim_result {
	double max_age;          /* at any scrape's start, of any namespace */
	unsigned min_per_pass;   /* censuses made in the thinnest pass */
	unsigned never;          /* namespaces never censused */
};

/* Scrapes every period seconds for duration seconds; each census advances
 * the fake clock by its cost. */
static struct sim_result simulate(struct sim_ns *ns, size_t n, double budget, double period,
				  double duration)
{
	struct netns_census_job *jobs = calloc(n, sizeof(*jobs));
	struct sim_result r = {0, ~0u, 0};
	struct netns_schedule s;

	assert_non_null(jobs);
	netns_schedule_init(&s, fake_clock, budget, 300);
	fake_now = 1000;
	for (size_t i = 0; i < n; i++) {
		ns[i].job = (struct netns_census_job){false, false, 0, fake_now, &ns[i], 0};
	}
	for (double start = fake_now; start < 1000 + duration; start += period) {
		unsigned made = 0;

		fake_now = start;
		for (size_t i = 0; i < n; i++) {
			const struct netns_census_job *j = &ns[i].job;
			double age = fake_now - (j->has_census ? j->census_time : j->first_seen);
			if (age > r.max_age)
				r.max_age = age;
			jobs[i] = *j;
		}
		netns_schedule_start(&s, jobs, n);
		for (size_t i = 0; i < n; i++) {
			struct sim_ns *x = jobs[i].ref;
			double t0, cost;

			if (!netns_schedule_take(&s, &jobs[i], &t0))
				continue;
			fake_now += x->cost;
			x->job.census_time = netns_schedule_done(&s, &jobs[i], t0, &cost);
			x->job.has_census = true;
			x->job.cost = cost;
			made++;
		}
		if (made < r.min_per_pass)
			r.min_per_pass = made;
	}
	for (size_t i = 0; i < n; i++)
		r.never += !ns[i].job.has_census;
	free(jobs);
	return r;
}

/* docs/netns.md: with N shared namespaces whose censuses cost at most c,
 * k = max(1, floor(B / c)) censuses per pass, so no census is older than
 * ceil(N / k) scrape periods. */
static double worst_age(size_t n, double c, double budget, double period)
{
	double k = floor(budget / c);

	if (k < 1)
		k = 1;
	return ceil((double)n / k) * period;
}

/* Issue 19's node: one census over the budget (the big pod's, 0.3 s) froze
 * every other until the interval forced them all at once. */
static void test_sim_big_pod_freezes_none(void **state)
{
	static const struct {
		const char *what;
		size_t small;
		double big_cost, small_cost, budget, period;
	} cases[] = {
		{"300k sockets, 20 small, defaults", 20, 0.30, 0.12, 0.25, 15},
		{"big census 3x the budget", 20, 0.75, 0.12, 0.25, 15},
		{"every census over the budget", 20, 0.5, 0.3, 0.25, 15},
		{"no budget at all", 10, 0.3, 0.1, 0, 15},
		{"many cheap ones", 200, 0.05, 0.01, 0.25, 15},
		{"one namespace", 0, 0.3, 0.1, 0.25, 15},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = cases[i].small + 1;
		struct sim_ns *ns = calloc(n, sizeof(*ns));
		double c = cases[i].big_cost, bound;
		struct sim_result r;

		assert_non_null(ns);
		ns[0].cost = cases[i].big_cost;
		for (size_t k = 1; k < n; k++)
			ns[k].cost = cases[i].small_cost;
		r = simulate(ns, n, cases[i].budget, cases[i].period, 3600);
		bound = worst_age(n, c, cases[i].budget, cases[i].period);
		if (r.min_per_pass < 1)
			fail_msg("case %zu (%s): a pass made no census", i, cases[i].what);
		if (r.never != 0)
			fail_msg("case %zu (%s): %u namespaces never censused", i, cases[i].what, r.never);
		if (r.max_age > bound + 1e-6)
			fail_msg("case %zu (%s): worst age %.3f s over the bound %.3f s", i, cases[i].what,
				 r.max_age, bound);
		free(ns);
	}
}

/* The defaults on issue 19's node: both censuses of small pods that fit
 * after the big one are made, so the worst age is far below the interval. */
static void test_sim_defaults_within_interval(void **state)
{
	struct sim_ns ns[21];
	struct sim_result r;

	(void)state;
	memset(ns, 0, sizeof(ns));
	ns[0].cost = 0.3;
	for (int i = 1; i < 21; i++)
		ns[i].cost = 0.12;
	r = simulate(ns, 21, 0.25, 15, 3600);
	assert_true(r.min_per_pass >= 1);
	assert_true(r.max_age <= 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_table),
		cmocka_unit_test(test_own_table),
		cmocka_unit_test(test_fresh),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_pass_with_fake_clock),
		cmocka_unit_test(test_sim_big_pod_freezes_none),
		cmocka_unit_test(test_sim_defaults_within_interval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
