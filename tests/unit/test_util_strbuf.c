/* util/strbuf: appends, numbers, reserve/steal, and the sticky error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "util/strbuf.h"

static void test_appends(void **state)
{
	struct strbuf sb;
	char *p, *stolen;
	size_t len;

	(void)state;
	sb_init(&sb);
	sb_puts(&sb, "ab");
	sb_putc(&sb, 'c');
	sb_put(&sb, "dexx", 2);
	sb_put_u64(&sb, 0);
	sb_putc(&sb, ' ');
	sb_put_u64(&sb, UINT64_MAX);
	sb_putc(&sb, ' ');
	sb_put_i64(&sb, INT64_MIN);
	sb_printf(&sb, " %s=%d", "k", -7);
	assert_int_equal(sb.err, 0);
	assert_string_equal(sb.buf, "abcde0 18446744073709551615 -9223372036854775808 k=-7");
	assert_int_equal(sb.len, strlen(sb.buf));
	/* reserve: room without a change of len; the caller commits. */
	p = sb_reserve(&sb, 1000);
	assert_non_null(p);
	memcpy(p, "!!", 2);
	sb.len += 2;
	sb.buf[sb.len] = '\0';
	assert_int_equal(sb.len, strlen(sb.buf));
	stolen = sb_steal(&sb, &len);
	assert_int_equal(len, strlen(stolen));
	assert_null(sb.buf);
	assert_int_equal(sb.len, 0);
	free(stolen);
	sb_fini(&sb);
}

static void test_sticky_error(void **state)
{
	struct strbuf sb;

	(void)state;
	sb_init(&sb);
	sb_puts(&sb, "kept");
	sb_put(&sb, "", SIZE_MAX / 2); /* cannot grow: nothing is read */
	assert_int_equal(sb.err, -ENOMEM);
	sb_puts(&sb, "lost");
	sb_printf(&sb, "%d", 1);
	assert_null(sb_reserve(&sb, 1));
	assert_int_equal(sb.err, -ENOMEM);
	assert_int_equal(sb.len, 4);
	sb_reset(&sb); /* clears the error, keeps the memory */
	assert_int_equal(sb.err, 0);
	sb_puts(&sb, "again");
	assert_string_equal(sb.buf, "again");
	sb_fini(&sb);
	sb_fini(&sb); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_sticky_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
