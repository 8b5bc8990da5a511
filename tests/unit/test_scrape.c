/* The scrape loop: concurrent scrapes share one collection, a failing
 * collector is reported and does not take the others down, a bad option
 * fails init with the collector's message. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cli/flags.h"
#include "scrape.h"

struct counting {
	int collections;
};

static int slow_init(void **state, const struct config *cfg, struct strbuf *err)
{
	(void)cfg;
	(void)err;
	*state = calloc(1, sizeof(struct counting));
	return *state ? 0 : -ENOMEM;
}

static int slow_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	struct counting *c = state;
	struct timespec ts = {0, 300 * 1000 * 1000};

	(void)ctx;
	nanosleep(&ts, NULL);
	c->collections++; /* scrapes are serialised: no lock needed */
	expo_add_u64(expo_family(e, "test_collections", EXPO_GAUGE, "Collections so far."),
		     (uint64_t)c->collections, EXPO_NOLABELS);
	return 0;
}

static void plain_fini(void *state)
{
	free(state);
}

static int failing_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	(void)state;
	(void)ctx;
	/* A half-built family must not leak into the scrape. */
	expo_add_u64(expo_family(e, "test_half", EXPO_GAUGE, "Never shown."), 1, EXPO_NOLABELS);
	return -EIO;
}

static int picky_init(void **state, const struct config *cfg, struct strbuf *err)
{
	*state = NULL;
	if (strcmp(config_get(cfg, "collector.picky.mode", "ok"), "ok") != 0) {
		sb_puts(err, "--collector.picky.mode: must be ok");
		return -EINVAL;
	}
	return 0;
}

static const struct collector_ops slow = {
	.name = "slow", .help = "sleeps", .default_enabled = true,
	.init = slow_init, .collect = slow_collect, .fini = plain_fini,
};
static const struct collector_ops failing = {
	.name = "failing", .help = "fails", .default_enabled = true,
	.init = slow_init, .collect = failing_collect, .fini = plain_fini,
};
static const struct collector_ops picky = {
	.name = "picky", .help = "validates", .default_enabled = true,
	.init = picky_init, .collect = failing_collect, .fini = plain_fini,
};

static struct config enabled_config(size_t n)
{
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.procfs = "/proc";
	for (size_t i = 0; i < n; i++)
		cfg.enabled[i] = true;
	return cfg;
}

static void *scrape_thread(void *arg)
{
	struct scrape_result *r;

	return scrape_get(arg, INFINITY, &r) == 0 ? r : NULL;
}

static char *render(const struct scrape_result *r)
{
	struct strbuf sb;

	sb_init(&sb);
	assert_int_equal(expo_render(scrape_result_expo(r), EXPO_FMT_TEXT, &sb), 0);
	return sb_steal(&sb, NULL);
}

static void test_concurrent_scrapes_share_a_collection(void **state)
{
	const struct collector_ops *const list[] = {&slow};
	struct config cfg = enabled_config(1);
	struct scrape *s;
	struct strbuf err;
	pthread_t t[8];
	struct scrape_result *r;
	char *body;

	(void)state;
	sb_init(&err);
	assert_int_equal(scrape_new_with(&cfg, list, 1, &s, &err), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&t[i], NULL, scrape_thread, s), 0);
	for (int i = 0; i < 8; i++) {
		void *res;

		pthread_join(t[i], &res);
		assert_non_null(res);
		scrape_result_put(res);
	}
	/* Eight scrapes within one 300 ms collection: one collection, two at
	 * most if a thread was scheduled late. Never eight. */
	assert_int_equal(scrape_get(s, INFINITY, &r), 0);
	body = render(r);
	assert_true(strstr(body, "\ntest_collections 2\n") || strstr(body, "\ntest_collections 3\n"));
	free(body);
	scrape_result_put(r);
	scrape_free(s);
	sb_fini(&err);
}

static void test_failing_collector_is_reported(void **state)
{
	const struct collector_ops *const list[] = {&failing, &slow};
	struct config cfg = enabled_config(2);
	struct scrape *s;
	struct strbuf err;
	struct scrape_result *r;
	char *body;

	(void)state;
	sb_init(&err);
	assert_int_equal(scrape_new_with(&cfg, list, 2, &s, &err), 0);
	assert_int_equal(scrape_get(s, INFINITY, &r), 0);
	body = render(r);
	assert_null(strstr(body, "test_half"));
	assert_non_null(strstr(body, "\ntest_collections 1\n"));
	assert_non_null(strstr(body, "\nnetstat_exporter_collector_success{collector=\"failing\"} 0\n"));
	assert_non_null(strstr(body, "\nnetstat_exporter_collector_success{collector=\"slow\"} 1\n"));
	assert_non_null(strstr(body, "\nnetstat_exporter_collector_duration_seconds{collector=\"slow\"} 0.3"));
	free(body);
	scrape_result_put(r);
	scrape_free(s);
	sb_fini(&err);
}

static void test_disabled_collector_is_absent(void **state)
{
	const struct collector_ops *const list[] = {&failing, &slow};
	struct config cfg = enabled_config(2);
	struct scrape *s;
	struct strbuf err;
	struct scrape_result *r;
	char *body;

	(void)state;
	cfg.enabled[0] = false;
	sb_init(&err);
	assert_int_equal(scrape_new_with(&cfg, list, 2, &s, &err), 0);
	assert_int_equal(scrape_get(s, INFINITY, &r), 0);
	body = render(r);
	assert_null(strstr(body, "collector=\"failing\""));
	free(body);
	scrape_result_put(r);
	scrape_free(s);
	sb_fini(&err);
}

static void test_bad_collector_option(void **state)
{
	const struct collector_ops *const list[] = {&picky};
	struct config cfg = enabled_config(1);
	struct scrape *s = (struct scrape *)&cfg;
	struct strbuf err;

	(void)state;
	cfg.values[cfg.nvalues++] = (struct config_value){"collector.picky.mode", "bad"};
	sb_init(&err);
	assert_int_equal(scrape_new_with(&cfg, list, 1, &s, &err), -EINVAL);
	assert_null(s);
	assert_string_equal(err.buf, "--collector.picky.mode: must be ok");
	sb_fini(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_scrapes_share_a_collection),
		cmocka_unit_test(test_failing_collector_is_reported),
		cmocka_unit_test(test_disabled_collector_is_absent),
		cmocka_unit_test(test_bad_collector_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
