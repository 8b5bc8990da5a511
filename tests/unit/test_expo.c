/* Exposition: every type in both formats against golden strings, escaping,
 * value formatting and the set's error handling. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expo/expo.h"

static char *render(struct expo *e, enum expo_format fmt)
{
	struct strbuf sb;

	sb_init(&sb);
	assert_int_equal(expo_render(e, fmt, &sb), 0);
	return sb_steal(&sb, NULL);
}

static struct expo *sample_set(void)
{
	struct expo *e = expo_new();
	struct expo_family *f;

	assert_non_null(e);
	f = expo_family(e, "demo_requests", EXPO_COUNTER, "Requests served.");
	expo_add_u64(f, 18446744073709551615ULL, EXPO_LABELS({"code", "200"}));
	expo_add_u64(f, 0, EXPO_LABELS({"code", "500"}));
	f = expo_family(e, "demo_temperature_celsius", EXPO_GAUGE, "A gauge.");
	expo_add_f64(f, -1.5, EXPO_NOLABELS);
	f = expo_family(e, "demo_offset", EXPO_GAUGE, "Signed.");
	expo_add_i64(f, -42, EXPO_NOLABELS);
	f = expo_family(e, "demo_build", EXPO_INFO, "Build information.");
	expo_add_u64(f, 1, EXPO_LABELS({"version", "1.2.3"}, {"revision", "abc"}));
	f = expo_family(e, "demo_mystery", EXPO_UNKNOWN, "Unknown type.");
	expo_add_f64(f, 0.1, EXPO_NOLABELS);
	f = expo_family(e, "demo_empty", EXPO_GAUGE, "Has no samples and is not printed.");
	return e;
}

static void test_text_golden(void **state)
{
	struct expo *e = sample_set();
	char *out = render(e, EXPO_FMT_TEXT);

	(void)state;
	assert_string_equal(out,
		"# HELP demo_requests_total Requests served.\n"
		"# TYPE demo_requests_total counter\n"
		"demo_requests_total{code=\"200\"} 18446744073709551615\n"
		"demo_requests_total{code=\"500\"} 0\n"
		"# HELP demo_temperature_celsius A gauge.\n"
		"# TYPE demo_temperature_celsius gauge\n"
		"demo_temperature_celsius -1.5\n"
		"# HELP demo_offset Signed.\n"
		"# TYPE demo_offset gauge\n"
		"demo_offset -42\n"
		"# HELP demo_build_info Build information.\n"
		"# TYPE demo_build_info gauge\n"
		"demo_build_info{version=\"1.2.3\",revision=\"abc\"} 1\n"
		"# HELP demo_mystery Unknown type.\n"
		"# TYPE demo_mystery untyped\n"
		"demo_mystery 0.1\n");
	free(out);
	expo_free(e);
}

static void test_openmetrics_golden(void **state)
{
	struct expo *e = sample_set();
	char *out = render(e, EXPO_FMT_OPENMETRICS);

	(void)state;
	assert_string_equal(out,
		"# HELP demo_requests Requests served.\n"
		"# TYPE demo_requests counter\n"
		"demo_requests_total{code=\"200\"} 18446744073709551615\n"
		"demo_requests_total{code=\"500\"} 0\n"
		"# HELP demo_temperature_celsius A gauge.\n"
		"# TYPE demo_temperature_celsius gauge\n"
		"demo_temperature_celsius -1.5\n"
		"# HELP demo_offset Signed.\n"
		"# TYPE demo_offset gauge\n"
		"demo_offset -42\n"
		"# HELP demo_build Build information.\n"
		"# TYPE demo_build info\n"
		"demo_build_info{version=\"1.2.3\",revision=\"abc\"} 1\n"
		"# HELP demo_mystery Unknown type.\n"
		"# TYPE demo_mystery unknown\n"
		"demo_mystery 0.1\n"
		"# EOF\n");
	free(out);
	expo_free(e);
}

static void test_empty_set(void **state)
{
	struct expo *e = expo_new();
	char *text = render(e, EXPO_FMT_TEXT), *om = render(e, EXPO_FMT_OPENMETRICS);

	(void)state;
	assert_null(text); /* nothing appended at all */
	assert_string_equal(om, "# EOF\n");
	free(om);
	expo_free(e);
}

static void test_hostile_label_values(void **state)
{
	struct expo *e = expo_new();
	struct expo_family *f = expo_family(e, "x", EXPO_GAUGE, "h");
	char *out;

	(void)state;
	expo_add_u64(f, 1, EXPO_LABELS({"comm", "a\"b\\c\nd}{,=\t\xc3\xa9"}));
	out = render(e, EXPO_FMT_TEXT);
	assert_string_equal(out, "# HELP x h\n# TYPE x gauge\n"
				 "x{comm=\"a\\\"b\\\\c\\nd}{,=\t\xc3\xa9\"} 1\n");
	free(out);
	expo_free(e);
}

static void test_help_escaping(void **state)
{
	struct expo *e = expo_new();
	const char *help = "back\\slash \"quoted\"\nnext line";
	char *text, *om;

	(void)state;
	expo_add_u64(expo_family(e, "h", EXPO_GAUGE, help), 1, EXPO_NOLABELS);
	text = render(e, EXPO_FMT_TEXT);
	om = render(e, EXPO_FMT_OPENMETRICS);
	/* The text format leaves double quotes in HELP alone; OpenMetrics escapes them. */
	assert_string_equal(text, "# HELP h back\\\\slash \"quoted\"\\nnext line\n"
				  "# TYPE h gauge\nh 1\n");
	assert_string_equal(om, "# HELP h back\\\\slash \\\"quoted\\\"\\nnext line\n"
				"# TYPE h gauge\nh 1\n# EOF\n");
	free(text);
	free(om);
	expo_free(e);
}

static void test_float_formatting(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{0.0, "0"},       {1.0, "1"},         {0.1, "0.1"},
		{1e21, "1e+21"},  {123456789.0, "123456789"}, {10.0, "10"}, {-100.0, "-100"},
		{1.0 / 3.0, "0.3333333333333333"}, {-2.5e-7, "-2.5e-07"},
		{NAN, "NaN"},     {INFINITY, "+Inf"}, {-INFINITY, "-Inf"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf sb;

		sb_init(&sb);
		expo_put_f64(&sb, cases[i].v);
		assert_string_equal(sb.buf, cases[i].want);
		sb_fini(&sb);
	}
}

static void test_duplicate_family_fails(void **state)
{
	struct expo *e = expo_new();
	struct strbuf sb;

	(void)state;
	assert_non_null(expo_family(e, "dup", EXPO_GAUGE, "a"));
	assert_null(expo_family(e, "dup", EXPO_COUNTER, "b"));
	assert_int_equal(expo_error(e), -EEXIST);
	sb_init(&sb);
	assert_int_equal(expo_render(e, EXPO_FMT_TEXT, &sb), -EEXIST);
	sb_fini(&sb);
	expo_free(e);
}

static void test_invalid_names_fail(void **state)
{
	static const char *const bad_metrics[] = {"", "1abc", "a-b", "a b", "é"};
	static const char *const bad_labels[] = {"", "__reserved", "9x", "a:b", "a-b"};

	(void)state;
	for (size_t i = 0; i < 5; i++) {
		struct expo *e = expo_new();

		assert_null(expo_family(e, bad_metrics[i], EXPO_GAUGE, "h"));
		assert_int_equal(expo_error(e), -EINVAL);
		expo_free(e);
	}
	for (size_t i = 0; i < 5; i++) {
		struct expo *e = expo_new();
		struct expo_family *f = expo_family(e, "ok", EXPO_GAUGE, "h");
		const struct expo_label l = {bad_labels[i], "v"};

		expo_add_u64(f, 1, &l, 1);
		assert_int_equal(expo_error(e), -EINVAL);
		expo_free(e);
	}
	assert_true(expo_valid_metric_name("a:b_c9"));
	assert_true(expo_valid_label_name("_ok9"));
}

static bool reject_e(const char *name, bool taken, void *arg)
{
	(void)arg;
	assert_true(taken == (strcmp(name, "a") == 0));
	return strcmp(name, "e") != 0;
}

static void test_merge(void **state)
{
	struct expo *dst = expo_new(), *src = expo_new(), *clash = expo_new();
	char *out;

	(void)state;
	expo_add_u64(expo_family(dst, "a", EXPO_GAUGE, "A"), 1, EXPO_NOLABELS);
	expo_add_u64(expo_family(src, "b", EXPO_GAUGE, "B"), 2, EXPO_LABELS({"l", "v"}));
	assert_int_equal(expo_merge(dst, src, NULL, NULL), 0);
	expo_free(src); /* the moved families must survive their old owner */
	expo_add_u64(expo_family(dst, "c", EXPO_GAUGE, "C"), 3, EXPO_NOLABELS);
	/* A taken name and a rejected one are left out alone; d joins. */
	expo_add_u64(expo_family(clash, "a", EXPO_GAUGE, "again"), 9, EXPO_NOLABELS);
	expo_add_u64(expo_family(clash, "d", EXPO_GAUGE, "D"), 4, EXPO_NOLABELS);
	expo_add_u64(expo_family(clash, "e", EXPO_GAUGE, "E"), 5, EXPO_NOLABELS);
	assert_int_equal(expo_merge(dst, clash, reject_e, NULL), 2);
	assert_int_equal(expo_error(dst), 0);
	expo_free(clash);
	out = render(dst, EXPO_FMT_TEXT);
	assert_string_equal(out, "# HELP a A\n# TYPE a gauge\na 1\n"
				 "# HELP b B\n# TYPE b gauge\nb{l=\"v\"} 2\n"
				 "# HELP c C\n# TYPE c gauge\nc 3\n"
				 "# HELP d D\n# TYPE d gauge\nd 4\n");
	free(out);
	expo_free(dst);
}

static void test_many_families(void **state)
{
	struct expo *e = expo_new(), *more = expo_new();
	char name[32];

	(void)state;
	/* Enough families to grow the name set several times. */
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "fam_%d", i);
		expo_add_u64(expo_family(e, name, EXPO_GAUGE, "h"), (uint64_t)i, EXPO_NOLABELS);
	}
	assert_int_equal(expo_error(e), 0);
	assert_null(expo_family(e, "fam_2999", EXPO_GAUGE, "again"));
	assert_int_equal(expo_error(e), -EEXIST);
	expo_free(e);

	e = expo_new();
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "a_%d", i);
		expo_family(e, name, EXPO_GAUGE, "h");
		snprintf(name, sizeof(name), "b_%d", i);
		expo_family(more, name, EXPO_GAUGE, "h");
	}
	assert_int_equal(expo_merge(e, more, NULL, NULL), 0);
	assert_null(expo_family(e, "b_499", EXPO_GAUGE, "merged names are known"));
	assert_int_equal(expo_error(e), -EEXIST);
	expo_free(e);
	expo_free(more);
}

static void test_many_samples_cross_chunks(void **state)
{
	struct expo *e = expo_new();
	struct expo_family *f = expo_family(e, "big", EXPO_GAUGE, "h");
	char label[32];
	char *out;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		snprintf(label, sizeof(label), "%d", i);
		expo_add_u64(f, (uint64_t)i, EXPO_LABELS({"i", label}));
	}
	out = render(e, EXPO_FMT_TEXT);
	assert_non_null(strstr(out, "big{i=\"0\"} 0\n"));
	assert_non_null(strstr(out, "big{i=\"19999\"} 19999\n"));
	free(out);
	expo_free(e);
}

/* A gauge histogram: OpenMetrics' own type, and the text format's stand-in
 * with the same sample names. */
static struct expo *gh_set(void)
{
	static const double bounds[] = {0.001, 0.25, 2};
	static const uint64_t a[] = {1, 0, 2, 1}, b[] = {0, 0, 0, 0};
	struct expo *e = expo_new();
	struct expo_family *f = expo_family(e, "demo_rtt_seconds", EXPO_GAUGEHISTOGRAM, "RTT.");

	expo_add_gaugehistogram(f, bounds, a, 3, 3.5, EXPO_LABELS({"port", "80"}));
	expo_add_gaugehistogram(f, bounds, b, 3, 0, EXPO_LABELS({"port", "other"}));
	return e;
}

static void test_gaugehistogram(void **state)
{
	struct expo *e = gh_set();
	char *om = render(e, EXPO_FMT_OPENMETRICS), *text = render(e, EXPO_FMT_TEXT);

	(void)state;
	assert_string_equal(om,
		"# HELP demo_rtt_seconds RTT.\n"
		"# TYPE demo_rtt_seconds gaugehistogram\n"
		"demo_rtt_seconds_bucket{port=\"80\",le=\"0.001\"} 1\n"
		"demo_rtt_seconds_bucket{port=\"80\",le=\"0.25\"} 1\n"
		"demo_rtt_seconds_bucket{port=\"80\",le=\"2\"} 3\n"
		"demo_rtt_seconds_bucket{port=\"80\",le=\"+Inf\"} 4\n"
		"demo_rtt_seconds_gcount{port=\"80\"} 4\n"
		"demo_rtt_seconds_gsum{port=\"80\"} 3.5\n"
		"demo_rtt_seconds_bucket{port=\"other\",le=\"0.001\"} 0\n"
		"demo_rtt_seconds_bucket{port=\"other\",le=\"0.25\"} 0\n"
		"demo_rtt_seconds_bucket{port=\"other\",le=\"2\"} 0\n"
		"demo_rtt_seconds_bucket{port=\"other\",le=\"+Inf\"} 0\n"
		"demo_rtt_seconds_gcount{port=\"other\"} 0\n"
		"demo_rtt_seconds_gsum{port=\"other\"} 0\n"
		"# EOF\n");
	assert_string_equal(text,
		"# HELP demo_rtt_seconds_bucket RTT.\n"
		"# TYPE demo_rtt_seconds_bucket untyped\n"
		"demo_rtt_seconds_bucket{port=\"80\",le=\"0.001\"} 1\n"
		"demo_rtt_seconds_bucket{port=\"80\",le=\"0.25\"} 1\n"
		"demo_rtt_seconds_bucket{port=\"80\",le=\"2\"} 3\n"
		"demo_rtt_seconds_bucket{port=\"80\",le=\"+Inf\"} 4\n"
		"demo_rtt_seconds_bucket{port=\"other\",le=\"0.001\"} 0\n"
		"demo_rtt_seconds_bucket{port=\"other\",le=\"0.25\"} 0\n"
		"demo_rtt_seconds_bucket{port=\"other\",le=\"2\"} 0\n"
		"demo_rtt_seconds_bucket{port=\"other\",le=\"+Inf\"} 0\n"
		"# HELP demo_rtt_seconds_gcount RTT.\n"
		"# TYPE demo_rtt_seconds_gcount gauge\n"
		"demo_rtt_seconds_gcount{port=\"80\"} 4\n"
		"demo_rtt_seconds_gcount{port=\"other\"} 0\n"
		"# HELP demo_rtt_seconds_gsum RTT.\n"
		"# TYPE demo_rtt_seconds_gsum gauge\n"
		"demo_rtt_seconds_gsum{port=\"80\"} 3.5\n"
		"demo_rtt_seconds_gsum{port=\"other\"} 0\n");
	free(om);
	free(text);
	expo_free(e);
}

static void test_gaugehistogram_misuse(void **state)
{
	static const double bounds[] = {1, 2}, unordered[] = {2, 1}, inf[] = {1, INFINITY};
	static const uint64_t counts[] = {1, 1, 1};
	struct expo *e;
	struct expo_family *f;

	(void)state;
	/* Plain values on a gauge histogram, and the other way round. */
	e = expo_new();
	f = expo_family(e, "demo_h", EXPO_GAUGEHISTOGRAM, "h");
	expo_add_u64(f, 1, EXPO_NOLABELS);
	assert_int_equal(expo_error(e), -EINVAL);
	expo_free(e);
	e = expo_new();
	f = expo_family(e, "demo_g", EXPO_GAUGE, "g");
	expo_add_gaugehistogram(f, bounds, counts, 2, 0, EXPO_NOLABELS);
	assert_int_equal(expo_error(e), -EINVAL);
	expo_free(e);
	/* Bounds out of order or infinite, no bounds, an "le" label. */
	e = expo_new();
	f = expo_family(e, "demo_h", EXPO_GAUGEHISTOGRAM, "h");
	expo_add_gaugehistogram(f, unordered, counts, 2, 0, EXPO_NOLABELS);
	assert_int_equal(expo_error(e), -EINVAL);
	expo_free(e);
	e = expo_new();
	f = expo_family(e, "demo_h", EXPO_GAUGEHISTOGRAM, "h");
	expo_add_gaugehistogram(f, inf, counts, 2, 0, EXPO_NOLABELS);
	assert_int_equal(expo_error(e), -EINVAL);
	expo_free(e);
	e = expo_new();
	f = expo_family(e, "demo_h", EXPO_GAUGEHISTOGRAM, "h");
	expo_add_gaugehistogram(f, bounds, counts, 0, 0, EXPO_NOLABELS);
	assert_int_equal(expo_error(e), -EINVAL);
	expo_free(e);
	e = expo_new();
	f = expo_family(e, "demo_h", EXPO_GAUGEHISTOGRAM, "h");
	expo_add_gaugehistogram(f, bounds, counts, 2, 0, EXPO_LABELS({"le", "1"}));
	assert_int_equal(expo_error(e), -EINVAL);
	expo_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gaugehistogram),
		cmocka_unit_test(test_gaugehistogram_misuse),
		cmocka_unit_test(test_text_golden),
		cmocka_unit_test(test_openmetrics_golden),
		cmocka_unit_test(test_empty_set),
		cmocka_unit_test(test_hostile_label_values),
		cmocka_unit_test(test_help_escaping),
		cmocka_unit_test(test_float_formatting),
		cmocka_unit_test(test_duplicate_family_fails),
		cmocka_unit_test(test_invalid_names_fail),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_many_families),
		cmocka_unit_test(test_many_samples_cross_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
