/* util/numbers: the unsigned and signed parsers and sysctl number lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "util/numbers.h"

static void test_numbers(void **state)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t v;
	} u[] = {
		{"0", 0, 0},
		{"42", 0, 42},
		{"18446744073709551615", 0, UINT64_MAX},
		{"18446744073709551616", -ERANGE, 0},
		{"99999999999999999999", -ERANGE, 0},
		{"", -EINVAL, 0},
		{"-1", -EINVAL, 0},
		{"+1", -EINVAL, 0},
		{"1x", -EINVAL, 0},
		{"0x10", -EINVAL, 0},
		{"1.5", -EINVAL, 0},
		{" 1", -EINVAL, 0},
	};
	static const struct {
		const char *s;
		int rc;
		int64_t v;
	} i[] = {
		{"-1", 0, -1},
		{"9223372036854775807", 0, INT64_MAX},
		{"-9223372036854775808", 0, INT64_MIN},
		{"9223372036854775808", -ERANGE, 0},
		{"-9223372036854775809", -ERANGE, 0},
		{"-", -EINVAL, 0},
		{"--1", -EINVAL, 0},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(u) / sizeof(u[0]); k++) {
		uint64_t v = 7;
		int rc = num_parse_u64(u[k].s, strlen(u[k].s), &v);

		assert_int_equal(rc, u[k].rc);
		if (rc == 0)
			assert_true(v == u[k].v);
		else
			assert_true(v == 7); /* untouched on error */
	}
	for (size_t k = 0; k < sizeof(i) / sizeof(i[0]); k++) {
		int64_t v = 7;
		int rc = num_parse_i64(i[k].s, strlen(i[k].s), &v);

		assert_int_equal(rc, i[k].rc);
		assert_true(v == (rc == 0 ? i[k].v : 7));
	}
}

static void test_sysctl_list(void **state)
{
	static const struct {
		const char *text;
		size_t n;
		const char *err; /* NULL: parses */
		int64_t v[3];
	} cases[] = {
		{"32768\t60999\n", 2, NULL, {32768, 60999}},
		{"287898\t383867\t575796\n", 3, NULL, {287898, 383867, 575796}},
		{"  -1 \n", 1, NULL, {-1}},
		{"4096\n", 2, "fewer values than expected", {0}},
		{"1 2 3\n", 2, "more values than expected", {0}},
		{"4096", 1, "truncated line (no newline at end)", {0}},
		{"", 1, "empty file", {0}},
		{"\n", 1, "fewer values than expected", {0}},
		{"12\n13\n", 1, "more than one line", {0}},
		{"lots\n", 1, "non-numeric value", {0}},
		{"99999999999999999999\n", 1, "value out of range", {0}},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		int64_t v[3] = {0};
		struct parse_error err = {0, NULL};
		int rc = num_parse_i64_list(cases[k].text, strlen(cases[k].text), v, cases[k].n, &err);

		if (!cases[k].err) {
			assert_int_equal(rc, 0);
			for (size_t j = 0; j < cases[k].n; j++)
				assert_true(v[j] == cases[k].v[j]);
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_string_equal(err.what, cases[k].err);
		}
	}
}

/* The prefix form reads the digits there are and says how many. */
static void test_prefix(void **state)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t v;
		size_t used;
	} cases[] = {
		{"42 rest", 0, 42, 2},
		{"x", 0, 0, 0},
		{"", 0, 0, 0},
		{"007", 0, 7, 3},
		{"18446744073709551615s", 0, UINT64_MAX, 20},
		{"18446744073709551616", -ERANGE, 0, 0},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint64_t v;
		size_t used;
		int rc = num_parse_u64_prefix(cases[k].s, strlen(cases[k].s), &v, &used);

		assert_int_equal(rc, cases[k].rc);
		if (rc == 0) {
			assert_true(v == cases[k].v);
			assert_int_equal(used, cases[k].used);
		}
	}
	/* Only n bytes are read. */
	{
		uint64_t v;
		size_t used;

		assert_int_equal(num_parse_u64_prefix("12345", 2, &v, &used), 0);
		assert_true(v == 12 && used == 2);
		assert_int_equal(num_parse_u64("12345", 3, &v), 0);
		assert_true(v == 123);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_sysctl_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
