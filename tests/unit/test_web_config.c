/* The web-config parser over fixture files (tests/fixtures/web-config) and
 * hostile inline YAML; rate_limit.interval; the bcrypt hash shape. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/web_config.h"

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	char *buf = malloc(WEB_CONFIG_MAX_BYTES);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/web-config/%s", FIXTURES_DIR, name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_non_null(buf);
	n = read(fd, buf, WEB_CONFIG_MAX_BYTES);
	assert_true(n >= 0);
	close(fd);
	*len = (size_t)n;
	return buf;
}

/* Parses a fixture; returns the rc, leaves the message in err. */
static int parse_file(const char *name, struct web_config *c, struct strbuf *err)
{
	size_t len;
	char *buf = slurp(name, &len);
	int rc = web_config_parse(buf, len, c, err);

	free(buf);
	return rc;
}

static void toolkit_example(void **state)
{
	struct web_config c;
	struct strbuf err;

	(void)state;
	sb_init(&err);
	assert_int_equal(parse_file("toolkit-example.yml", &c, &err), 0);
	assert_true(c.tls);
	assert_string_equal(c.cert_file, "server.crt");
	assert_string_equal(c.key_file, "server.key");
	assert_int_equal(c.client_auth, WEB_CLIENT_AUTH_NONE);
	assert_int_equal(c.min_version, WEB_TLS12);
	assert_int_equal(c.max_version, WEB_TLS13);
	assert_true(c.prefer_server_cipher_suites);
	assert_int_equal(c.nusers, 2);
	assert_string_equal(c.users[0].name, "alice");
	assert_string_equal(c.users[1].name, "bob");
	assert_int_equal(c.rate_interval_ns, 1000000000ull);
	assert_int_equal(c.rate_burst, 20);
	web_config_fini(&c);
	sb_fini(&err);
}

static void every_key(void **state)
{
	struct web_config c;
	struct strbuf err;

	(void)state;
	sb_init(&err);
	assert_int_equal(parse_file("every-key.yml", &c, &err), 0);
	assert_int_equal(c.client_auth, WEB_CLIENT_AUTH_REQUIRE_VERIFY);
	assert_string_equal(c.client_ca_file, "ca.crt");
	assert_false(c.prefer_server_cipher_suites);
	assert_int_equal(c.ncurves, 2);
	assert_int_equal(c.curves[0], WEB_CURVE_X25519);
	assert_int_equal(c.curves[1], WEB_CURVE_P256);
	assert_int_equal(c.nsans, 2);
	assert_string_equal(c.allowed_sans[0], "prometheus.example");
	assert_string_equal(c.allowed_sans[1], "10.0.0.1");
	assert_false(c.http2);
	assert_true(c.http2_given);
	assert_string_equal(c.headers[WEB_HDR_FRAME], "sameorigin");
	assert_string_equal(c.headers[WEB_HDR_XSS], "1");
	assert_string_equal(c.headers[WEB_HDR_CSP], "default-src 'self'");
	assert_string_equal(c.headers[WEB_HDR_HSTS], "max-age=31536000; includeSubDomains");
	assert_int_equal(c.rate_interval_ns, 250000000ull);
	assert_int_equal(c.rate_burst, 5);
	web_config_fini(&c);
	sb_fini(&err);
}

static void plain_files(void **state)
{
	struct web_config c;
	struct strbuf err;

	(void)state;
	sb_init(&err);
	assert_int_equal(parse_file("empty.yml", &c, &err), 0);
	assert_false(c.tls);
	assert_int_equal(c.nusers, 0);
	web_config_fini(&c);
	assert_int_equal(parse_file("users-no-tls.yml", &c, &err), 0);
	assert_false(c.tls);
	assert_int_equal(c.nusers, 1);
	web_config_fini(&c);
	assert_int_equal(parse_file("inline.yml", &c, &err), 0);
	assert_true(c.tls);
	assert_non_null(strstr(c.cert, "BEGIN CERTIFICATE"));
	assert_int_equal(c.client_auth, WEB_CLIENT_AUTH_REQUIRE_ANY);
	web_config_fini(&c);
	sb_fini(&err);
}

static const struct {
	const char *file;
	const char *msg; /* the start of the message: the key */
} bad_files[] = {
	{"bad-unknown-key.yml", "tls_server_config.cert_filse: unknown key"},
	{"bad-hash.yml", "basic_auth_users.alice: not a bcrypt hash"},
	{"bad-yaml.yml", "YAML error at line"},
	{"bad-duplicate.yml", "tls_server_config.cert_file: duplicate key"},
	{"bad-version.yml", "tls_server_config.min_version: unknown TLS version"},
	{"bad-cipher-suites.yml", "tls_server_config.cipher_suites: not supported"},
	{"bad-header.yml", "http_server_config.headers.X-Powered-By: this header can not"},
	{"bad-no-key.yml", "tls_server_config.key_file: missing"},
	{"bad-ca-no-auth.yml", "tls_server_config.client_ca_file: a client CA is configured"},
};

static void bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		struct web_config c;
		struct strbuf err;
		int rc;

		sb_init(&err);
		rc = parse_file(bad_files[i].file, &c, &err);
		if (rc != -EINVAL || !err.buf ||
		    strncmp(err.buf, bad_files[i].msg, strlen(bad_files[i].msg)))
			fail_msg("%s: rc %d, message '%s'", bad_files[i].file, rc,
				 err.buf ? err.buf : "");
		web_config_fini(&c);
		sb_fini(&err);
	}
}

static const struct {
	const char *yaml;
	const char *msg; /* NULL: valid */
} inline_cases[] = {
	{"~\n", NULL},
	{"---\n...\n", NULL},
	{"tls_server_config:\n", NULL},
	{"tls_server_config: {}\nbasic_auth_users: {}\n", NULL},
	{"[1, 2]\n", "top level: expected a mapping"},
	{"tls_server_config: [a]\n", "tls_server_config: expected a mapping"},
	{"? [a]\n: b\n", "top level: a key is not a string"},
	{"tls_server_config:\n  cert_file: [a]\n  key_file: b\n",
	 "tls_server_config.cert_file: expected a string"},
	{"tls_server_config:\n  cert_file: \"a\\0b\"\n  key_file: b\n",
	 "tls_server_config.cert_file: contains a NUL byte"},
	{"tls_server_config:\n  client_auth_type: Sometimes\n",
	 "tls_server_config.client_auth_type: unknown value"},
	{"tls_server_config:\n  client_auth_type: NoClientCert\n",
	 "tls_server_config.cert_file: missing"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n",
	 "tls_server_config.client_ca_file: missing"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n",
	 "tls_server_config.min_version: is above max_version"},
	{"tls_server_config:\n  cert_file: a\n  cert: b\n  key_file: c\n",
	 "tls_server_config.cert: give cert or cert_file"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [X25519, X25519]\n",
	 "tls_server_config.curve_preferences: curve listed twice"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [CurveP999]\n",
	 "tls_server_config.curve_preferences: unknown curve"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_allowed_sans: [x]\n",
	 "tls_server_config.client_allowed_sans: needs TLS with a client_auth_type"},
	{"client_allowed_sans_at_top: 1\n", "client_allowed_sans_at_top: unknown key"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAnyClientCert\n"
	 "  client_allowed_sans: x\n", "tls_server_config.client_allowed_sans: expected a list"},
	{"tls_server_config:\n  cert_file: a\n  key_file: b\n  prefer_server_cipher_suites: maybe\n",
	 "tls_server_config.prefer_server_cipher_suites: expected true or false"},
	{"http_server_config:\n  http2: 1\n", "http_server_config.http2: expected true or false"},
	{"http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
	 "http_server_config.headers.X-Frame-Options: expected deny or sameorigin"},
	{"http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
	 "http_server_config.headers.X-Content-Type-Options: expected nosniff"},
	{"http_server_config:\n  headers:\n    Content-Security-Policy: \"a\\r\\nSet-Cookie: x\"\n",
	 "http_server_config.headers.Content-Security-Policy: control character"},
	{"http_server_config:\n  unknown: 1\n", "http_server_config.unknown: unknown key"},
	{"basic_auth_users:\n  \"a:b\": $2y$04$oGzqgE6Cd/RppFFxEor4NO5/tpT1Zt3Tw51oW/Sbl63DRPPs6rHy2\n",
	 "basic_auth_users.a:b: a user name can not contain ':'"},
	{"basic_auth_users:\n  alice: $2y$03$oGzqgE6Cd/RppFFxEor4NO5/tpT1Zt3Tw51oW/Sbl63DRPPs6rHy2\n",
	 "basic_auth_users.alice: not a bcrypt hash"},
	{"basic_auth_users:\n  alice: $2y$04$oGzqgE6Cd/RppFFxEor4NO5/tpT1Zt3Tw51oW/Sbl63DRPPs6rHy\n",
	 "basic_auth_users.alice: not a bcrypt hash"},
	{"basic_auth_users:\n  alice:\n", "basic_auth_users.alice: not a bcrypt hash"},
	{"rate_limit:\n  interval: 1x\n", "rate_limit.interval: expected a duration"},
	{"rate_limit:\n  interval: 1000000000\n  burst: 1\n", NULL},
	{"rate_limit:\n  burst: -1\n", "rate_limit.burst: expected a non-negative integer"},
	{"rate_limit:\n  burst: 1000001\n", "rate_limit.burst: expected an integer from 0 to 1000000"},
	{"rate_limit:\n  burst: 12abc\n", "rate_limit.burst: expected an integer from 0 to 1000000"},
	{"rate_limit:\n  speed: 1\n", "rate_limit.speed: unknown key"},
	{"rate_limt:\n  burst: 1\n", "rate_limt: unknown key"},
	{"a: &x [1]\nb: *x\n", "a: unknown key"},
	{"basic_auth_users: &u\n  x: y\nrate_limit: *u\n", "basic_auth_users.x: not a bcrypt hash"},
};

static void inline_yaml(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(inline_cases) / sizeof(inline_cases[0]); i++) {
		struct web_config c;
		struct strbuf err;
		int rc;

		sb_init(&err);
		rc = web_config_parse(inline_cases[i].yaml, strlen(inline_cases[i].yaml), &c, &err);
		if (!inline_cases[i].msg) {
			if (rc)
				fail_msg("case %zu: rc %d '%s'", i, rc, err.buf ? err.buf : "");
		} else if (rc != -EINVAL || !err.buf ||
			   strncmp(err.buf, inline_cases[i].msg, strlen(inline_cases[i].msg))) {
			fail_msg("case %zu: rc %d, message '%s', want '%s'", i, rc,
				 err.buf ? err.buf : "", inline_cases[i].msg);
		}
		web_config_fini(&c);
		sb_fini(&err);
	}
}

/* rate_limit.interval takes the project's one duration grammar (Prometheus',
 * util/duration.h) or, as yaml.v2 reads a time.Duration, a bare integer of
 * nanoseconds. */
static void rate_interval(void **state)
{
	static const struct {
		const char *value;
		int rc;
		uint64_t ns;
	} cases[] = {
		{"1s", 0, 1000000000ull},
		{"250ms", 0, 250000000ull},
		{"1m30s", 0, 90000000000ull},
		{"1d", 0, 86400000000000ull},
		{"0", 0, 0},
		{"\"0\"", 0, 0},
		{"1000", 0, 1000},                   /* bare: nanoseconds */
		{"99999999999999999999", -EINVAL, 0}, /* past 2^64-1 */
		{"\"1000\"", -EINVAL, 0},            /* quoted: a string, no unit */
		{"1.5s", -EINVAL, 0},                /* Go's, not Prometheus' */
		{"10us", -EINVAL, 0},
		{"1s1m", -EINVAL, 0},
		{"293y", -EINVAL, 0},
		{"-1s", -EINVAL, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[128];
		struct web_config c;
		struct strbuf err;
		int rc;

		snprintf(yaml, sizeof(yaml), "rate_limit:\n  interval: %s\n", cases[i].value);
		sb_init(&err);
		rc = web_config_parse(yaml, strlen(yaml), &c, &err);
		if (rc != cases[i].rc || (rc == 0 && c.rate_interval_ns != cases[i].ns) ||
		    (rc != 0 && strncmp(err.buf, "rate_limit.interval: ", 21) != 0))
			fail_msg("'%s': rc %d ns %llu '%s'", cases[i].value, rc,
				 (unsigned long long)c.rate_interval_ns, err.buf ? err.buf : "");
		web_config_fini(&c);
		sb_fini(&err);
	}
}

static void bcrypt_shape(void **state)
{
	(void)state;
	assert_true(web_config_bcrypt_shape("$2y$10$9OUcBeMgBzRsJALHa7IKj.Dddug..qv5nJujWXeYLi86iD4W3dvhm"));
	assert_true(web_config_bcrypt_shape("$2b$31$9OUcBeMgBzRsJALHa7IKj.Dddug..qv5nJujWXeYLi86iD4W3dvhm"));
	assert_false(web_config_bcrypt_shape("$2x$10$9OUcBeMgBzRsJALHa7IKj.Dddug..qv5nJujWXeYLi86iD4W3dvhm"));
	assert_false(web_config_bcrypt_shape("$2y$32$9OUcBeMgBzRsJALHa7IKj.Dddug..qv5nJujWXeYLi86iD4W3dvhm"));
	assert_false(web_config_bcrypt_shape("$2y$10$9OUcBeMgBzRsJALHa7IKj.Dddug..qv5nJujWXeYLi86iD4W3dvh!"));
	assert_false(web_config_bcrypt_shape("$6$salt$hash"));
	assert_false(web_config_bcrypt_shape(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(toolkit_example), cmocka_unit_test(every_key),
		cmocka_unit_test(plain_files),     cmocka_unit_test(bad),
		cmocka_unit_test(inline_yaml),     cmocka_unit_test(rate_interval),
		cmocka_unit_test(bcrypt_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
