/* The log rate limit: a line once, the same line again only after
 * LOG_REPEAT_SECONDS (saying how often it was held back), a changed line at
 * once; the oldest line is forgotten when the table is full. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static void test_same_line_is_held_back(void **state)
{
	struct log_limit l;
	unsigned long repeats = 99;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_true(log_limit_pass(&l, 7, 1000.0, &repeats));
	assert_int_equal(repeats, 0);
	for (int i = 1; i <= 5; i++)
		assert_false(log_limit_pass(&l, 7, 1000.0 + i * 60, &repeats));
	assert_false(log_limit_pass(&l, 7, 1000.0 + LOG_REPEAT_SECONDS - 1, &repeats));
	assert_true(log_limit_pass(&l, 7, 1000.0 + LOG_REPEAT_SECONDS, &repeats));
	assert_int_equal(repeats, 6);
	/* The window starts again from there. */
	assert_false(log_limit_pass(&l, 7, 1000.0 + LOG_REPEAT_SECONDS + 1, &repeats));
}

static void test_changed_line_is_said(void **state)
{
	struct log_limit l;
	unsigned long repeats;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_true(log_limit_pass(&l, 1, 10.0, &repeats));
	assert_true(log_limit_pass(&l, 2, 11.0, &repeats));
	assert_false(log_limit_pass(&l, 1, 12.0, &repeats));
	assert_false(log_limit_pass(&l, 2, 12.0, &repeats));
}

static void test_full_table_forgets_the_oldest(void **state)
{
	struct log_limit l;
	unsigned long repeats;

	(void)state;
	memset(&l, 0, sizeof(l));
	for (uint64_t k = 1; k <= LOG_LIMIT_LINES; k++)
		assert_true(log_limit_pass(&l, k, (double)k, &repeats));
	/* One more distinct line pushes out key 1 (said at t=1). */
	assert_true(log_limit_pass(&l, 1000, 100.0, &repeats));
	assert_true(log_limit_pass(&l, 1, 101.0, &repeats));
	assert_false(log_limit_pass(&l, LOG_LIMIT_LINES, 102.0, &repeats));
}

static void test_said_counts_warnings_of_this_thread(void **state)
{
	unsigned long before = log_said();

	(void)state;
	log_set_level(LOG_ERROR); /* counted even when not printed */
	log_msg(LOG_INFO, "not a warning");
	assert_int_equal(log_said(), before);
	log_mute(true);
	log_msg(LOG_WARN, "test_log: muted");
	log_mute(false);
	log_msg(LOG_ERROR, "test_log: said");
	assert_int_equal(log_said(), before + 2);
	log_set_level(LOG_INFO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_line_is_held_back),
		cmocka_unit_test(test_changed_line_is_said),
		cmocka_unit_test(test_full_table_forgets_the_oldest),
		cmocka_unit_test(test_said_counts_warnings_of_this_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
