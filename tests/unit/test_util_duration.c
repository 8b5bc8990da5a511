/* util/duration: Prometheus' duration grammar, and the SECONDS flag form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "util/duration.h"

#define DAY_MS (86400ull * 1000)

static const struct {
	const char *s;
	int rc;
	uint64_t ms;
} cases[] = {
	/* accepted */
	{"0", 0, 0},
	{"1ms", 0, 1},
	{"250ms", 0, 250},
	{"1s", 0, 1000},
	{"1m30s", 0, 90000},
	{"5m", 0, 300000},
	{"90m", 0, 5400000}, /* a unit may exceed the next one up */
	{"1h", 0, 3600000},
	{"1d", 0, DAY_MS},
	{"1w", 0, 7 * DAY_MS},
	{"1y", 0, 365 * DAY_MS},
	{"1y1w1d1h1m1s1ms", 0, 373 * DAY_MS + 3661001},
	{"1d12h", 0, DAY_MS + 12 * 3600000},
	{"0s", 0, 0},
	{"01s", 0, 1000}, /* leading zeros, as Prometheus */
	{"292y", 0, 292 * 365 * DAY_MS},
	{"9223372036854ms", 0, 9223372036854ull},   /* 2^63-1 ns */
	{"106751d23h47m16s854ms", 0, 9223372036854ull}, /* the same, spelt out */
	/* empty, bare numbers, missing parts */
	{"", -EINVAL, 0},
	{"1", -EINVAL, 0},
	{"00", -EINVAL, 0},
	{"s", -EINVAL, 0},
	{"ms", -EINVAL, 0},
	{"1m30", -EINVAL, 0},
	/* order: largest unit first, each once */
	{"1s1m", -EINVAL, 0},
	{"1ms1s", -EINVAL, 0},
	{"1m1h", -EINVAL, 0},
	{"1s1s", -EINVAL, 0},
	{"1d1y", -EINVAL, 0},
	/* other grammars and garbage */
	{"1.5s", -EINVAL, 0},
	{"10us", -EINVAL, 0},
	{"3ns", -EINVAL, 0},
	{"1S", -EINVAL, 0},
	{"1sec", -EINVAL, 0},
	{"1x", -EINVAL, 0},
	{"-1s", -EINVAL, 0},
	{"+1s", -EINVAL, 0},
	{" 1s", -EINVAL, 0},
	{"1s ", -EINVAL, 0},
	{"1s\n", -EINVAL, 0},
	{"1 s", -EINVAL, 0},
	{"1s-", -EINVAL, 0},
	{"1m30sx", -EINVAL, 0},
	{"0x10s", -EINVAL, 0},
	/* overflow */
	{"293y", -ERANGE, 0},
	{"9223372036855ms", -ERANGE, 0},
	{"106751d23h47m16s855ms", -ERANGE, 0},
	{"1y9223372036854ms", -ERANGE, 0},
	{"18446744073709551616ms", -ERANGE, 0}, /* the number itself */
	{"99999999999999999999y", -ERANGE, 0},
};

static void test_grammar(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t ms = 12345;
		int rc = duration_parse(cases[i].s, strlen(cases[i].s), &ms);

		if (rc != cases[i].rc || ms != (rc == 0 ? cases[i].ms : 12345))
			fail_msg("'%s': rc %d ms %llu, want rc %d ms %llu", cases[i].s, rc,
				 (unsigned long long)ms, cases[i].rc,
				 (unsigned long long)cases[i].ms);
	}
}

/* Only the n bytes given are read; a NUL inside them is garbage. */
static void test_length(void **state)
{
	uint64_t ms = 0;

	(void)state;
	assert_int_equal(duration_parse("1m30sXYZ", 5, &ms), 0);
	assert_true(ms == 90000);
	assert_int_equal(duration_parse("1m30s", 2, &ms), 0);
	assert_true(ms == 60000);
	assert_int_equal(duration_parse("5m\0", 3, &ms), -EINVAL);
	assert_int_equal(duration_parse("0\0", 2, &ms), -EINVAL);
	assert_int_equal(duration_parse("1s", 0, &ms), -EINVAL);
}

static void test_seconds(void **state)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t sec;
	} sec[] = {
		{"30", 0, 30}, /* a bare number: seconds, as the flags always took */
		{"0", 0, 0},
		{"18446744073709551615", 0, UINT64_MAX},
		{"1m30s", 0, 90},
		{"2000ms", 0, 2},
		{"1h", 0, 3600},
		{"1500ms", -EINVAL, 0}, /* not whole seconds */
		{"1.5", -EINVAL, 0},
		{"", -EINVAL, 0},
		{"1s1m", -EINVAL, 0},
		{"30 ", -EINVAL, 0},
		{"18446744073709551616", -ERANGE, 0},
		{"293y", -ERANGE, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(sec) / sizeof(sec[0]); i++) {
		uint64_t v = 7;
		int rc = duration_parse_seconds(sec[i].s, strlen(sec[i].s), &v);

		if (rc != sec[i].rc || v != (rc == 0 ? sec[i].sec : 7))
			fail_msg("'%s': rc %d seconds %llu", sec[i].s, rc, (unsigned long long)v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grammar),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_seconds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
