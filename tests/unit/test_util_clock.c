/* util/clock: the monotonic clock, its timespec form and condition variables
 * that wait on it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "util/clock.h"

static void test_monotonic(void **state)
{
	double a, b;
	uint64_t ms;

	(void)state;
	a = util_mono_now();
	ms = util_mono_ms();
	b = util_mono_now();
	assert_true(a > 0 && b >= a);
	/* Both read the same clock: the ms reading lies between the other two. */
	assert_true((double)ms >= a * 1000 - 1 && (double)ms <= b * 1000 + 1);
}

static void test_timespec(void **state)
{
	static const struct {
		double t;
		time_t sec;
		long nsec_lo, nsec_hi; /* doubles round: a window */
	} cases[] = {
		{0, 0, 0, 0},
		{-1, 0, 0, 0},
		{1.5, 1, 500000000, 500000000},
		{12345.25, 12345, 250000000, 250000000},
		{7.000001, 7, 999, 1001},
		{2.9999999999999, 2, 999999000, 999999999},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct timespec ts = util_mono_timespec(cases[i].t);

		if (ts.tv_sec != cases[i].sec || ts.tv_nsec < cases[i].nsec_lo ||
		    ts.tv_nsec > cases[i].nsec_hi)
			fail_msg("%.13f: %lld.%09ld", cases[i].t, (long long)ts.tv_sec, ts.tv_nsec);
	}
}

/* A timed wait ends at the deadline on the monotonic clock: with the wall
 * clock (pthread's default) a deadline of uptime seconds is decades past, and
 * the wait would end at once, before it. */
static void test_cond_waits_on_monotonic(void **state)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c;
	struct timespec until;
	double deadline;
	int rc = 0;

	(void)state;
	assert_int_equal(util_cond_init_mono(&c), 0);
	deadline = util_mono_now() + 0.05;
	until = util_mono_timespec(deadline);
	pthread_mutex_lock(&m);
	while (rc == 0)
		rc = pthread_cond_timedwait(&c, &m, &until); /* nobody signals */
	pthread_mutex_unlock(&m);
	assert_int_equal(rc, ETIMEDOUT);
	assert_true(util_mono_now() >= deadline);
	pthread_cond_destroy(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotonic),
		cmocka_unit_test(test_timespec),
		cmocka_unit_test(test_cond_waits_on_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
