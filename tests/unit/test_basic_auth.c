/* Basic auth: header parsing over real and hostile headers; bcrypt
 * verification; the cache never answers for a wrong password. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "http/basic_auth.h"

/* Password "quick", cost 4 (fast). */
#define HASH "$2y$04$oGzqgE6Cd/RppFFxEor4NO5/tpT1Zt3Tw51oW/Sbl63DRPPs6rHy2"

static void parse(void **state)
{
	static const struct {
		const char *h;
		int rc;
		const char *user, *pass;
	} cases[] = {
		{"Basic YWxpY2U6cXVpY2s=", 0, "alice", "quick"},    /* alice:quick */
		{"basic YWxpY2U6cXVpY2s=", 0, "alice", "quick"},    /* scheme is case-insensitive */
		{"Basic YWxpY2U6YTpi", 0, "alice", "a:b"},          /* split at the first ':' */
		{"Basic OnB3", 0, "", "pw"},                        /* ":pw" */
		{"Basic YWxpY2U6", 0, "alice", ""},                 /* "alice:" */
		{"Basic YWxpY2U=", -EINVAL, "", ""},                /* no colon */
		{"Basic YWxpY2U6cXVpY2s", -EINVAL, "", ""},         /* missing padding */
		{"Basic YWxp!2U6cXVpY2s=", -EINVAL, "", ""},        /* bad character */
		{"Basic YQ=b", -EINVAL, "", ""},                    /* data after padding */
		{"Basic =", -EINVAL, "", ""},
		{"Basic ", -EINVAL, "", ""},
		{"Bearer YWxpY2U6cXVpY2s=", -EINVAL, "", ""},
		{"Basic YQA6Yg==", -EINVAL, "", ""},                /* "a\0:b" */
		{"", -EINVAL, "", ""},
		{NULL, -EINVAL, "", ""},
	};
	char user[BASIC_AUTH_MAX + 1], pass[BASIC_AUTH_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = basic_auth_parse(cases[i].h, user, pass);

		if (rc != cases[i].rc || (rc == 0 && (strcmp(user, cases[i].user) ||
						      strcmp(pass, cases[i].pass))))
			fail_msg("case %zu: rc %d user '%s' pass '%s'", i, rc, user, pass);
	}
}

static void too_long(void **state)
{
	char h[2048] = "Basic ", user[BASIC_AUTH_MAX + 1], pass[BASIC_AUTH_MAX + 1];

	(void)state;
	for (int i = 0; i < 150; i++)
		strcat(h, "YWFh");
	assert_int_equal(basic_auth_parse(h, user, pass), -EINVAL);
}

static void verify_and_cache(void **state)
{
	struct basic_auth *ba = basic_auth_new();
	struct web_user users[] = {{"alice", HASH}, {"bob", HASH}};

	(void)state;
	assert_non_null(ba);
	assert_ptr_equal(basic_auth_hash_of(users, 2, "bob"), HASH);
	assert_null(basic_auth_hash_of(users, 2, "carol"));
	assert_null(basic_auth_hash_of(users, 2, "alic"));
	assert_false(basic_auth_cached(ba, "alice", HASH, "quick"));
	assert_false(basic_auth_verify(ba, "alice", HASH, "wrong"));
	assert_false(basic_auth_cached(ba, "alice", HASH, "wrong"));
	assert_false(basic_auth_verify(ba, "alice", HASH, "quic"));
	assert_false(basic_auth_verify(ba, "carol", NULL, "quick"));
	assert_true(basic_auth_verify(ba, "alice", HASH, "quick"));
	assert_true(basic_auth_cached(ba, "alice", HASH, "quick"));
	/* The entry is bound to the user, the hash and the password. */
	assert_false(basic_auth_cached(ba, "bob", HASH, "quick"));
	assert_false(basic_auth_cached(ba, "alice", HASH, "quick "));
	assert_false(basic_auth_cached(ba, "alice", NULL, "quick"));
	assert_false(basic_auth_cached(ba, "alice",
				       "$2y$04$oGzqgE6Cd/RppFFxEor4NO5/tpT1Zt3Tw51oW/Sbl63DRPPs6rHy3",
				       "quick"));
	/* A wrong password is never cached, however often it is tried. */
	for (int i = 0; i < 3; i++)
		assert_false(basic_auth_verify(ba, "alice", HASH, "wrong"));
	assert_false(basic_auth_cached(ba, "alice", HASH, "wrong"));
	basic_auth_free(ba);
	basic_auth_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse),
		cmocka_unit_test(too_long),
		cmocka_unit_test(verify_and_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
