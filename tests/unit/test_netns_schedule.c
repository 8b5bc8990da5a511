/* netns/schedule: today's census policy as a table of cases (the pure
 * netns_census_due() and netns_census_order()), then the schedule over a pass
 * with a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "netns/schedule.h"

static void test_due_table(void **state)
{
	static const struct {
		const char *what;
		struct netns_census_job job;
		double now, pass_start, last_cost, budget, interval;
		bool due;
	} cases[] = {
		{"own table: always, even with no budget left",
		 {true, true, 99, 0, NULL}, 100, 90, 5, 0.25, 300, true},
		{"own table, never made",
		 {true, false, 0, 99, NULL}, 100, 100, 0, 0, 300, true},
		{"shared, fresh census, budget left",
		 {false, true, 99, 0, NULL}, 100, 100, 0.1, 0.25, 300, true},
		{"shared, fresh census, next one would overrun the budget",
		 {false, true, 99, 0, NULL}, 100.2, 100, 0.1, 0.25, 300, false},
		{"shared, budget exactly spent: no",
		 {false, true, 99, 0, NULL}, 100.15, 100, 0.1, 0.25, 300, false},
		{"shared, no budget at all",
		 {false, true, 99, 0, NULL}, 100, 100, 0, 0, 300, false},
		{"shared, census older than the interval: even over the budget",
		 {false, true, 10, 0, NULL}, 310, 310, 5, 0, 300, true},
		{"shared, census exactly the interval old",
		 {false, true, 10, 0, NULL}, 310, 310, 0, 0, 300, true},
		{"shared, never made, waiting less than the interval, no budget",
		 {false, false, 0, 200, NULL}, 400, 400, 0, 0, 300, false},
		{"shared, never made, waiting longer than the interval",
		 {false, false, 0, 50, NULL}, 400, 400, 0, 0, 300, true},
		{"shared, never made, budget left",
		 {false, false, 0, 399, NULL}, 400, 400, 0, 0.25, 300, true},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct netns_census_due_in in = {
			.job = &cases[i].job,
			.now = cases[i].now,
			.pass_start = cases[i].pass_start,
			.last_cost = cases[i].last_cost,
			.budget = cases[i].budget,
			.interval = cases[i].interval,
		};

		if (netns_census_due(&in) != cases[i].due)
			fail_msg("case %zu (%s): want %s", i, cases[i].what, cases[i].due ? "due" : "not due");
	}
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
 * 0.6 s, so the second (0.6 + 0.6 > 1) waits; one past the interval goes
 * anyway; the cost is remembered into the next pass. */
static void test_pass_with_fake_clock(void **state)
{
	struct netns_schedule s;
	struct netns_census_job jobs[] = {
		{false, true, 250, 0, NULL},
		{false, true, 200, 0, NULL},
		{false, true, 1, 0, NULL}, /* older than the interval at 400 */
	};
	double t0;

	(void)state;
	netns_schedule_init(&s, fake_clock, 1.0, 300);
	fake_now = 400;
	netns_schedule_start(&s, jobs, 3);
	assert_true(jobs[0].census_time == 1 && jobs[2].census_time == 250);
	/* The oldest: past the interval, and no cost known yet. */
	assert_true(netns_schedule_take(&s, &jobs[0], &t0));
	fake_now = 400.6;
	assert_true(netns_schedule_done(&s, &jobs[0], t0) == 400.6);
	/* 0.6 spent + 0.6 expected > 1: wait. */
	assert_false(netns_schedule_take(&s, &jobs[1], &t0));
	assert_false(netns_schedule_take(&s, &jobs[2], &t0));
	/* The next pass starts with its own budget, the cost still known:
	 * 0 + 0.6 < 1. */
	fake_now = 430;
	jobs[0].census_time = 400.6;
	netns_schedule_start(&s, jobs, 3);
	assert_true(netns_schedule_take(&s, &jobs[0], &t0));
	fake_now = 430.7;
	netns_schedule_done(&s, &jobs[0], t0);
	/* 0.7 spent + 0.7 expected > 1. */
	assert_false(netns_schedule_take(&s, &jobs[1], &t0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_table),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_pass_with_fake_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
