/* /proc/stat parsing (btime) and the exporter's own metrics. /proc/PID/stat
 * is parsed by pid_parse_stat(), tested in test_pid_parse.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "self.h"

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
		cmocka_unit_test(test_btime),
		cmocka_unit_test(test_collect_real_self),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
