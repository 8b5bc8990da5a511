/* Accept and Accept-Encoding negotiation over a table of real and hostile headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/negotiate.h"

#define OM EXPO_FMT_OPENMETRICS
#define TEXT EXPO_FMT_TEXT

static const struct {
	const char *who;
	const char *accept;
	enum expo_format want;
} accept_cases[] = {
	{"Prometheus 2.42 default",
	 "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
	 "text/plain;version=0.0.4;q=0.5,*/*;q=0.1", OM},
	{"Prometheus 3.x default",
	 "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
	 "application/openmetrics-text;version=0.0.1;q=0.4,"
	 "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1", OM},
	{"Prometheus 3.x text only (scrape_protocols: [PrometheusText0.0.4])",
	 "text/plain;version=0.0.4,*/*;q=0.1", TEXT},
	{"Prometheus 2.x with protobuf first",
	 "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,"
	 "text/plain;version=0.0.4;q=0.3,*/*;q=0.2", TEXT},
	{"curl", "*/*", TEXT},
	{"no header", NULL, TEXT},
	{"empty", "", TEXT},
	{"Firefox",
	 "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", TEXT},
	{"Chrome",
	 "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
	 "application/signed-exchange;v=b3;q=0.7", TEXT},
	{"OpenMetrics without version", "application/openmetrics-text", OM},
	{"OpenMetrics with spaces and case", "  Application/OpenMetrics-Text ; Version=\"1.0.0\" ; q=1 ", OM},
	{"only OpenMetrics 0.0.1", "application/openmetrics-text;version=0.0.1", TEXT},
	{"OpenMetrics refused", "application/openmetrics-text;q=0,text/plain", TEXT},
	{"text preferred", "application/openmetrics-text;q=0.2,text/plain;q=0.9", TEXT},
	{"tie goes to OpenMetrics", "text/plain,application/openmetrics-text", OM},
	{"garbage", "\x01\x02;;;,,,=q=;", TEXT},
	{"bad q on OpenMetrics", "application/openmetrics-text;q=2", TEXT},
	{"bad q syntax", "application/openmetrics-text;q=abc", TEXT},
	{"q with too many digits", "application/openmetrics-text;q=0.0001", TEXT},
	{"parameter without value", "application/openmetrics-text;version", TEXT},
	{"trailing semicolon", "application/openmetrics-text;", OM},
	{"only commas", ",,,,", TEXT},
};

static void test_accept_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(accept_cases) / sizeof(accept_cases[0]); i++) {
		enum expo_format got = neg_format(accept_cases[i].accept);

		if (got != accept_cases[i].want)
			fail_msg("%s: got %d, want %d", accept_cases[i].who, got, accept_cases[i].want);
	}
}

static void test_accept_huge_header(void **state)
{
	static char big[64 * 1024];

	(void)state;
	for (size_t i = 0; i + 1 < sizeof(big); i++)
		big[i] = i % 3 ? ';' : ',';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(neg_format(big), TEXT);
}

static const struct {
	const char *header;
	bool want;
} gzip_cases[] = {
	{"gzip", true},
	{"gzip, deflate, br", true},
	{"deflate, gzip;q=1.0, *;q=0.5", true},
	{"identity", false},
	{"gzip;q=0", false},
	{"*", true},
	{"*;q=0", false},
	{"gzip;q=0, *", false},
	{"br", false},
	{NULL, false},
	{"", false},
	{"gzip;q=bogus", false},
	{"x-gzip", true},
};

static void test_gzip_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(gzip_cases) / sizeof(gzip_cases[0]); i++)
		if (neg_gzip(gzip_cases[i].header) != gzip_cases[i].want)
			fail_msg("Accept-Encoding '%s': want %d", gzip_cases[i].header
				 ? gzip_cases[i].header : "(null)", gzip_cases[i].want);
}

static void test_scrape_timeout(void **state)
{
	static const struct {
		const char *header;
		double want;
	} cases[] = {
		{NULL, 10},   {"10", 9},   {"5", 4.5},  {"0.5", 0.45}, {"120", 10},
		{"", 10},     {"0", 10},   {"-1", 10},  {"abc", 10},   {"inf", 10},
		{"nan", 10},  {"1e3", 10}, {"0x10", 10}, {"4 ", 3.6},  {"4s", 10},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double got = neg_scrape_timeout(cases[i].header, 10);

		if (got < cases[i].want - 1e-9 || got > cases[i].want + 1e-9)
			fail_msg("'%s': got %g, want %g", cases[i].header ? cases[i].header : "(null)",
				 got, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scrape_timeout),
		cmocka_unit_test(test_accept_table),
		cmocka_unit_test(test_accept_huge_header),
		cmocka_unit_test(test_gzip_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
