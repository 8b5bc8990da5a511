/* /proc/self/stat and /proc/stat parsing, including hostile comm values and
 * truncated input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "self.h"

/* Fields 1..24 of a real stat line; utime=1234 stime=56 starttime=987654
 * vsize=21990300655616 rss=2625. */
#define TAIL " S 1 4369 4369 0 -1 4194560 1500 0 0 0 1234 56 0 0 20 0 3 0 987654 " \
	     "21990300655616 2625 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 1 0 0 0 0 0\n"

static void test_stat_plain(void **state)
{
	struct self_stat st;

	(void)state;
	assert_int_equal(self_parse_stat("4369 (netstat_exporte)" TAIL, &st), 0);
	assert_int_equal(st.utime_ticks, 1234);
	assert_int_equal(st.stime_ticks, 56);
	assert_int_equal(st.starttime_ticks, 987654);
	assert_int_equal(st.vsize_bytes, 21990300655616ULL);
	assert_int_equal(st.rss_pages, 2625);
}

static void test_stat_hostile_comm(void **state)
{
	struct self_stat st;

	(void)state;
	/* A comm may contain spaces and ") " that look like the end of the field. */
	assert_int_equal(self_parse_stat("77 (a) S 1 2 (x y)" TAIL, &st), 0);
	assert_int_equal(st.utime_ticks, 1234);
	assert_int_equal(st.rss_pages, 2625);
}

static void test_stat_malformed(void **state)
{
	static const char *const bad[] = {
		"", "4369", "4369 (x", "4369 (x)", "4369 (x) S", "4369 (x) S 1 2 3",
		"4369 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
		"4369 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 x",
		"4369 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 99999999999999999999999",
	};
	struct self_stat st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (self_parse_stat(bad[i], &st) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
}

static void test_btime(void **state)
{
	uint64_t b = 0;

	(void)state;
	assert_int_equal(self_parse_btime("cpu  1 2 3\nintr 5 6 7\nbtime 1795260000\nprocesses 9\n", &b), 0);
	assert_int_equal(b, 1795260000ULL);
	assert_int_equal(self_parse_btime("cpu 1\nbtime\n", &b), -EINVAL);
	assert_int_equal(self_parse_btime("cpu 1\nxbtime 5\n", &b), -EINVAL);
	assert_int_equal(self_parse_btime("", &b), -EINVAL);
}

static void test_collect_real_self(void **state)
{
	struct expo *e = expo_new();
	struct strbuf sb;

	(void)state;
	assert_int_equal(self_collect(e, 1.5), 0);
	sb_init(&sb);
	assert_int_equal(expo_render(e, EXPO_FMT_TEXT, &sb), 0);
	assert_non_null(strstr(sb.buf, "\nprocess_resident_memory_bytes "));
	assert_non_null(strstr(sb.buf, "\nprocess_open_fds "));
	assert_non_null(strstr(sb.buf, "\nprocess_start_time_seconds 1.5\n"));
	assert_non_null(strstr(sb.buf, "netstat_exporter_build_info{version=\""));
	sb_fini(&sb);
	expo_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_plain),
		cmocka_unit_test(test_stat_hostile_comm),
		cmocka_unit_test(test_stat_malformed),
		cmocka_unit_test(test_btime),
		cmocka_unit_test(test_collect_real_self),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
