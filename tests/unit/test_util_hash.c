/* util/hash: fixed values (the censuses' table order, and so the order of
 * their output, follows hash_words; FNV-1a has published test vectors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "util/hash.h"

static void test_words(void **state)
{
	uint8_t seq[16], zero[40] = {0}, other[40] = {0};

	(void)state;
	for (int i = 0; i < 16; i++)
		seq[i] = (uint8_t)i;
	assert_true(hash_words(seq, 0) == 0x243f6a8885a308d3ull);
	assert_true(hash_words(seq, 16) == 0xdc37f3d58455ac84ull);
	assert_true(hash_words(zero, 40) == 0xb6aa940e6d3219c5ull);
	/* Every word counts, the last one too. */
	other[39] = 1;
	assert_true(hash_words(other, 40) != hash_words(zero, 40));
}

static void test_fnv1a(void **state)
{
	(void)state;
	assert_true(hash_fnv1a("", 0) == 0xcbf29ce484222325ull);
	assert_true(hash_fnv1a("a", 1) == 0xaf63dc4c8601ec8cull);
	assert_true(hash_fnv1a("foobar", 6) == 0x85944171f73967e8ull);
	assert_true(hash_fnv1a("foobarX", 6) == 0x85944171f73967e8ull); /* n bytes only */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_fnv1a),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
