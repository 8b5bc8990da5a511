/* Basic auth: header parsing over real and hostile headers; bcrypt
 * verification; the cache never answers for a wrong password. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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
	char h[BASIC_AUTH_HASH_LEN + 1];
	bool known;

	(void)state;
	assert_non_null(ba);
	basic_auth_hash_of(users, 2, "bob", h, &known);
	assert_true(known);
	assert_string_equal(h, HASH);
	basic_auth_hash_of(users, 2, "carol", h, &known);
	assert_false(known);
	basic_auth_hash_of(users, 2, "alic", h, &known);
	assert_false(known);
	assert_false(basic_auth_cached(ba, "alice", HASH, "quick"));
	assert_false(basic_auth_verify(ba, "alice", HASH, true, "wrong"));
	assert_false(basic_auth_cached(ba, "alice", HASH, "wrong"));
	assert_false(basic_auth_verify(ba, "alice", HASH, true, "quic"));
	basic_auth_hash_of(users, 2, "carol", h, &known);
	assert_false(basic_auth_verify(ba, "carol", h, known, "quick"));
	/* Not even the configured hash itself passes for an unknown name. */
	assert_false(basic_auth_verify(ba, "carol", HASH, false, "quick"));
	assert_true(basic_auth_verify(ba, "alice", HASH, true, "quick"));
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
		assert_false(basic_auth_verify(ba, "alice", HASH, true, "wrong"));
	assert_false(basic_auth_cached(ba, "alice", HASH, "wrong"));
	basic_auth_free(ba);
	basic_auth_free(NULL);
}

/* An unknown name costs what a configured user costs: its decoy has the
 * variant and cost of one of them (not a fixed cost 10), the same one for
 * the same name every time, and with users of two costs both occur among
 * unknown names, so neither cost says "unknown". */
static void unknown_user_costs_a_users_cost(void **state)
{
	struct web_user one[] = {{"alice", HASH}};
	struct web_user two[] = {
		{"slow", "$2b$12$MX55HfXAooE13YlL8Q0YYuGsDxyeP9mJdMEHmjI3deC5zR66rklOa"},
		{"fast", HASH},
	};
	char h[BASIC_AUTH_HASH_LEN + 1], again[BASIC_AUTH_HASH_LEN + 1], name[16];
	unsigned seen12 = 0, seen04 = 0;
	bool known;

	(void)state;
	basic_auth_hash_of(one, 1, "mallory", h, &known);
	assert_false(known);
	assert_int_equal(strlen(h), BASIC_AUTH_HASH_LEN);
	assert_memory_equal(h, "$2y$04$", 7);
	for (int i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		basic_auth_hash_of(two, 2, name, h, &known);
		basic_auth_hash_of(two, 2, name, again, &known);
		assert_false(known);
		assert_string_equal(h, again);
		if (memcmp(h, "$2b$12$", 7) == 0)
			seen12++;
		else if (memcmp(h, "$2y$04$", 7) == 0)
			seen04++;
		else
			fail_msg("%s: decoy %s has no configured user's cost", name, h);
	}
	assert_int_equal(seen12 + seen04, 64);
	assert_true(seen12 > 8 && seen04 > 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse),
		cmocka_unit_test(too_long),
		cmocka_unit_test(verify_and_cache),
		cmocka_unit_test(unknown_user_costs_a_users_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
