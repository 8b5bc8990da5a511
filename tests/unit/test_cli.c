/* Command line: defaults, accepted forms, and one-line errors naming the flag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "cli/flags.h"
#include "collectors/collector.h"

/* Parses a NULL-terminated list of flags; argv copies live until the next call. */
static enum cli_result parse(struct config *cfg, struct strbuf *err, const char *const *flags)
{
	static char storage[16][256];
	static char *argv[17];
	struct strbuf out;
	enum cli_result r;
	int argc = 1;

	argv[0] = "netstat_exporter";
	for (; flags[argc - 1]; argc++) {
		snprintf(storage[argc - 1], sizeof(storage[0]), "%s", flags[argc - 1]);
		argv[argc] = storage[argc - 1];
	}
	sb_init(&out);
	sb_reset(err);
	r = cli_parse(argc, argv, cfg, &out, err);
	sb_fini(&out);
	return r;
}

static void test_defaults(void **state)
{
	struct config cfg;
	struct strbuf err;

	(void)state;
	sb_init(&err);
	assert_int_equal(parse(&cfg, &err, (const char *const[]){NULL}), CLI_RUN);
	assert_int_equal(cfg.nlisten, 1);
	assert_string_equal(cfg.listen[0], ":" CONFIG_DEFAULT_PORT);
	assert_string_equal(cfg.telemetry_path, "/metrics");
	assert_string_equal(cfg.procfs, "/proc");
	assert_int_equal(cfg.max_requests, 40);
	assert_int_equal(cfg.max_connections, 64);
	assert_int_equal(cfg.max_connections_per_ip, 16);
	assert_int_equal(cfg.timeout_seconds, 10);
	assert_int_equal(cfg.log_level, LOG_INFO);
	sb_fini(&err);
}

/* Defaults are written once, in the flag tables: every collector starts on
 * its table defaults with no option given (as --help shows them). */
static void test_collector_defaults_accepted(void **state)
{
	struct config cfg;
	struct strbuf err;

	(void)state;
	sb_init(&err);
	assert_int_equal(parse(&cfg, &err, (const char *const[]){NULL}), CLI_RUN);
	for (size_t i = 0; i < collector_count; i++) {
		void *st = NULL;
		int rc = collector_registry[i]->init(&st, &cfg, &err);

		if (rc != 0 && rc != COLLECTOR_INACTIVE)
			fail_msg("%s rejects its defaults: %s", collector_registry[i]->name, err.buf);
		if (rc == 0)
			collector_registry[i]->fini(st);
	}
	sb_fini(&err);
}

static void test_accepted_forms(void **state)
{
	struct config cfg;
	struct strbuf err;

	(void)state;
	sb_init(&err);
	assert_int_equal(parse(&cfg, &err, (const char *const[]){
		"--web.listen-address=127.0.0.1:9999", "--web.listen-address", "[::1]:9998",
		"--web.listen-address=:9997", "--web.telemetry-path=/m", "--path.procfs", "/host/proc",
		"--web.max-requests=0", "--log.level=debug", NULL}), CLI_RUN);
	assert_int_equal(cfg.nlisten, 3);
	assert_string_equal(cfg.listen[1], "[::1]:9998");
	assert_string_equal(cfg.telemetry_path, "/m");
	assert_string_equal(cfg.procfs, "/host/proc");
	assert_int_equal(cfg.max_requests, 0);
	assert_int_equal(cfg.log_level, LOG_DEBUG);
	sb_fini(&err);
}

static void test_errors_name_the_flag(void **state)
{
	static const struct {
		const char *flag;
		const char *needle; /* must appear in the one-line error */
	} cases[] = {
		{"--bogus", "unknown flag --bogus"},
		{"--web.listen-address=nonsense", "--web.listen-address"},
		{"--web.listen-address=1.2.3.4:70000", "--web.listen-address"},
		{"--web.listen-address=[::1:80", "--web.listen-address"},
		{"--web.max-requests=-1", "--web.max-requests"},
		{"--web.max-requests=12abc", "--web.max-requests"},
		{"--web.max-requests=99999999999999999999999", "--web.max-requests"},
		{"--log.level=loud", "--log.level"},
		{"--web.telemetry-path=metrics", "--web.telemetry-path"},
		{"--web.telemetry-path=/", "--web.telemetry-path"},
		{"--collector.nonexistent", "unknown flag --collector.nonexistent"},
		{"--no-web.telemetry-path", "unknown flag --no-web.telemetry-path"},
		{"--collector.disable-defaults=maybe", "--collector.disable-defaults"},
		{"positional", "unexpected argument 'positional'"},
		{"--", "unexpected argument '--'"},
	};
	struct config cfg;
	struct strbuf err;

	(void)state;
	sb_init(&err);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const argv[] = {cases[i].flag, NULL};

		if (parse(&cfg, &err, argv) != CLI_ERROR)
			fail_msg("%s was accepted", cases[i].flag);
		assert_non_null(err.buf);
		if (!strstr(err.buf, cases[i].needle) || strchr(err.buf, '\n'))
			fail_msg("%s: error '%s' lacks '%s' or is not one line", cases[i].flag,
				 err.buf, cases[i].needle);
	}
	/* A value flag at the end with no value. */
	assert_int_equal(parse(&cfg, &err, (const char *const[]){"--path.procfs", NULL}), CLI_ERROR);
	assert_non_null(strstr(err.buf, "--path.procfs: expected a value"));
	sb_fini(&err);
}

/* Flags documented as SECONDS: a bare number stays seconds; the duration
 * grammar (util/duration.h) is accepted too, in whole seconds. */
static void test_seconds_flags(void **state)
{
	static const struct {
		const char *value;
		unsigned seconds; /* 0: refused */
	} cases[] = {
		{"30", 30},    {"1m30s", 90}, {"1h", 3600}, {"2s", 2},
		{"1500ms", 0}, {"1.5", 0},    {"0", 0},     {"1h1s", 0}, {"1s1m", 0}, {"", 0},
	};
	static const char *const flags[] = {"web.timeout", "web.scrape-timeout", "web.header-timeout"};
	struct config cfg;
	struct strbuf err;

	(void)state;
	sb_init(&err);
	for (size_t f = 0; f < 3; f++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char flag[64];
			const char *const argv[] = {flag, NULL};
			enum cli_result r;
			unsigned got;

			snprintf(flag, sizeof(flag), "--%s=%s", flags[f], cases[i].value);
			r = parse(&cfg, &err, argv);
			got = f == 0 ? cfg.timeout_seconds : f == 1 ? cfg.scrape_timeout_seconds :
				cfg.header_timeout_seconds;
			if (cases[i].seconds ? r != CLI_RUN || got != cases[i].seconds :
					       r != CLI_ERROR || !strstr(err.buf, flags[f]))
				fail_msg("%s: result %d, %u seconds", flag, (int)r, got);
		}
	}
	sb_fini(&err);
}

/* A DURATION flag takes the whole grammar (util/duration.h), checked by its
 * collector's init. */
static void test_duration_flag(void **state)
{
	static const struct {
		const char *flag;
		int rc;
	} cases[] = {
		{"--collector.processes.rescan-interval=1h30m", 0},
		{"--collector.processes.rescan-interval=1d", 0},
		{"--collector.processes.rescan-interval=0", 0},
		{"--collector.processes.rescan-interval=1s1m", -EINVAL},
		{"--collector.processes.rescan-interval=90", -EINVAL},
	};
	const struct collector_ops *processes = NULL;
	struct config cfg;
	struct strbuf err;

	(void)state;
	for (size_t i = 0; i < collector_count; i++)
		if (strcmp(collector_registry[i]->name, "processes") == 0)
			processes = collector_registry[i];
	assert_non_null(processes);
	sb_init(&err);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const argv[] = {cases[i].flag, NULL};
		void *st = NULL;
		int rc;

		assert_int_equal(parse(&cfg, &err, argv), CLI_RUN);
		rc = processes->init(&st, &cfg, &err);
		if (rc != cases[i].rc || (rc && !strstr(err.buf, "rescan-interval")))
			fail_msg("%s: rc %d '%s'", cases[i].flag, rc, err.buf ? err.buf : "");
		if (rc == 0)
			processes->fini(st);
	}
	sb_fini(&err);
}

static void test_help_and_version(void **state)
{
	char a0[] = "netstat_exporter", a1[] = "--help", a2[] = "--version";
	char *help_argv[] = {a0, a1}, *version_argv[] = {a0, a2};
	struct config cfg;
	struct strbuf out, err;

	(void)state;
	sb_init(&out);
	sb_init(&err);
	assert_int_equal(cli_parse(2, help_argv, &cfg, &out, &err), CLI_EXIT);
	assert_non_null(strstr(out.buf, "--web.listen-address"));
	assert_non_null(strstr(out.buf, "--collector.disable-defaults"));
	sb_reset(&out);
	assert_int_equal(cli_parse(2, version_argv, &cfg, &out, &err), CLI_EXIT);
	assert_non_null(strstr(out.buf, "netstat_exporter, version "));
	sb_fini(&out);
	sb_fini(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_collector_defaults_accepted),
		cmocka_unit_test(test_accepted_forms),
		cmocka_unit_test(test_errors_name_the_flag),
		cmocka_unit_test(test_seconds_flags),
		cmocka_unit_test(test_duration_flag),
		cmocka_unit_test(test_help_and_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
