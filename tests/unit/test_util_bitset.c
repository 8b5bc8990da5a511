/* util/bitset: set and test at the word edges, nothing else touched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "util/bitset.h"

static void test_words(void **state)
{
	(void)state;
	assert_int_equal(BITSET_WORDS(0), 0);
	assert_int_equal(BITSET_WORDS(1), 1);
	assert_int_equal(BITSET_WORDS(64), 1);
	assert_int_equal(BITSET_WORDS(65), 2);
	assert_int_equal(BITSET_WORDS(65536), 1024);
}

static void test_set_and_test(void **state)
{
	static const size_t on[] = {0, 1, 63, 64, 127, 128, 4095, 65534, 65535};
	uint64_t bits[BITSET_WORDS(65536)] = {0};
	size_t count = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		bitset_set(bits, on[i]);
	bitset_set(bits, 64); /* again: no change */
	for (size_t i = 0; i < 65536; i++) {
		bool want = false;

		for (size_t k = 0; k < sizeof(on) / sizeof(on[0]); k++)
			want |= on[k] == i;
		if (bitset_test(bits, i) != want)
			fail_msg("bit %zu: %d", i, (int)bitset_test(bits, i));
	}
	for (size_t w = 0; w < BITSET_WORDS(65536); w++)
		count += (size_t)__builtin_popcountll(bits[w]);
	assert_int_equal(count, sizeof(on) / sizeof(on[0]));
	assert_true(bits[0] == (1ull | 2ull | 1ull << 63));
	assert_true(bits[1023] == (3ull << 62));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_set_and_test),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
