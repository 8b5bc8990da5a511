/* The scrape loop: concurrent scrapes share one collection, a waiter past its
 * deadline is told which collector is still running, closing tells waiters at
 * once, a failing collector is reported and does not take the others down, a
 * bad option fails init with the collector's message.
 *
 * No fixed sleeps: the "gated" collector blocks until the test opens its gate, and
 * the test waits for conditions (with a bound) instead of for time. */
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

/* A collector that blocks until the test opens the gate. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool entered, open;
	double entered_at;
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, 0};

static void gate_close(void)
{
	pthread_mutex_lock(&gate.lock);
	gate.entered = false;
	gate.open = false;
	pthread_mutex_unlock(&gate.lock);
}

static void gate_open(void)
{
	pthread_mutex_lock(&gate.lock);
	gate.open = true;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
}

/* Waits (at most 10 s) until a collection is at the gate. */
static void gate_wait_entered(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&gate.lock);
	while (!gate.entered)
		assert_int_equal(pthread_cond_timedwait(&gate.cond, &gate.lock, &until), 0);
	pthread_mutex_unlock(&gate.lock);
}

static int gated_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	struct counting *c = state;

	(void)ctx;
	pthread_mutex_lock(&gate.lock);
	gate.entered = true;
	gate.entered_at = scrape_now();
	pthread_cond_broadcast(&gate.cond);
	while (!gate.open)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
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

static const struct collector_ops gated = {
	.name = "gated", .help = "waits for the test", .default_enabled = true,
	.init = slow_init, .collect = gated_collect, .fini = plain_fini,
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

/* Waiters told so far, for the asynchronous tests. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int told;
} tally = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static void count_done(struct scrape_waiter *w)
{
	(void)w;
	pthread_mutex_lock(&tally.lock);
	tally.told++;
	pthread_cond_broadcast(&tally.cond);
	pthread_mutex_unlock(&tally.lock);
}

/* Waits (at most 10 s) until n waiters have been told. */
static void wait_told(int n)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&tally.lock);
	while (tally.told < n)
		assert_int_equal(pthread_cond_timedwait(&tally.cond, &tally.lock, &until), 0);
	pthread_mutex_unlock(&tally.lock);
}

static void submit(struct scrape *s, struct scrape_waiter *w, double deadline)
{
	memset(w, 0, sizeof(*w));
	w->done = count_done;
	w->deadline = deadline;
	assert_int_equal(scrape_submit(s, w), 0);
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
	const struct collector_ops *const list[] = {&gated};
	struct config cfg = enabled_config(1);
	struct scrape_waiter w[8];
	struct scrape *s;
	struct strbuf err;

	(void)state;
	gate_close();
	tally.told = 0;
	sb_init(&err);
	assert_int_equal(scrape_new_with(&cfg, list, 1, &s, &err), 0);
	/* The first starts a collection; seven more arrive while it runs. */
	submit(s, &w[0], INFINITY);
	gate_wait_entered();
	for (int i = 1; i < 8; i++)
		submit(s, &w[i], INFINITY);
	gate_open();
	wait_told(8);
	for (int i = 0; i < 8; i++) {
		char *body;

		assert_int_equal(w[i].status, 0);
		body = render(w[i].result);
		assert_non_null(strstr(body, "\ntest_collections 1\n"));
		free(body);
		scrape_result_put(w[i].result);
	}
	scrape_free(s);
	sb_fini(&err);
}

static void test_deadline_does_not_stop_the_collection(void **state)
{
	const struct collector_ops *const list[] = {&gated};
	struct config cfg = enabled_config(1);
	struct scrape_waiter late, joined;
	struct scrape_result *r;
	struct scrape *s;
	struct strbuf err;
	char *body;

	(void)state;
	gate_close();
	tally.told = 0;
	sb_init(&err);
	assert_int_equal(scrape_new_with(&cfg, list, 1, &s, &err), 0);
	/* A deadline already past: told at once. */
	submit(s, &late, scrape_now());
	wait_told(1);
	assert_int_equal(late.status, -ETIMEDOUT);
	assert_null(late.result);
	/* A waiter without one shares the collection, whether it started
	 * for the first or starts for this one, and gets its result. */
	submit(s, &joined, INFINITY);
	gate_wait_entered();
	gate_open();
	wait_told(2);
	assert_int_equal(joined.status, 0);
	body = render(joined.result);
	assert_non_null(strstr(body, "\ntest_collections 1\n"));
	free(body);
	scrape_result_put(joined.result);
	/* The next scrape starts a new collection. */
	assert_int_equal(scrape_get(s, INFINITY, &r), 0);
	body = render(r);
	assert_non_null(strstr(body, "\ntest_collections 2\n"));
	free(body);
	scrape_result_put(r);
	scrape_free(s);
	sb_fini(&err);
}

static void test_timed_out_waiter_is_told_the_collector(void **state)
{
	const struct collector_ops *const list[] = {&gated};
	struct config cfg = enabled_config(1);
	struct scrape_waiter first, w;
	struct scrape *s;
	struct strbuf err;

	(void)state;
	gate_close();
	tally.told = 0;
	sb_init(&err);
	assert_int_equal(scrape_new_with(&cfg, list, 1, &s, &err), 0);
	submit(s, &first, INFINITY);
	gate_wait_entered();
	submit(s, &w, scrape_now() + 0.05);
	wait_told(1);
	assert_int_equal(w.status, -ETIMEDOUT);
	assert_string_equal(w.stuck, "gated");
	gate_open();
	wait_told(2);
	scrape_result_put(first.result);
	scrape_free(s);
	sb_fini(&err);
}

static void test_close_tells_waiters(void **state)
{
	const struct collector_ops *const list[] = {&gated};
	struct config cfg = enabled_config(1);
	struct scrape_waiter w, after;
	struct scrape *s;
	struct strbuf err;

	(void)state;
	gate_close();
	tally.told = 0;
	sb_init(&err);
	assert_int_equal(scrape_new_with(&cfg, list, 1, &s, &err), 0);
	submit(s, &w, INFINITY);
	gate_wait_entered();
	scrape_close(s); /* returns once w was told */
	assert_int_equal(tally.told, 1);
	assert_int_equal(w.status, -ECANCELED);
	memset(&after, 0, sizeof(after));
	after.done = count_done;
	after.deadline = INFINITY;
	assert_int_equal(scrape_submit(s, &after), -ECANCELED);
	gate_open(); /* lets the collection end, so scrape_free frees all */
	scrape_free(s);
	assert_int_equal(tally.told, 1);
	sb_fini(&err);
}

static void test_duration_is_the_collection_time(void **state)
{
	const struct collector_ops *const list[] = {&gated};
	struct config cfg = enabled_config(1);
	struct scrape_waiter w;
	struct scrape *s;
	struct strbuf err;
	const char *p;
	char *body;

	(void)state;
	gate_close();
	tally.told = 0;
	sb_init(&err);
	assert_int_equal(scrape_new_with(&cfg, list, 1, &s, &err), 0);
	submit(s, &w, INFINITY);
	gate_wait_entered();
	/* About time, so time it is: hold the gate at least 0.2 s. */
	while (scrape_now() - gate.entered_at < 0.2)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	gate_open();
	wait_told(1);
	body = render(w.result);
	p = strstr(body, "\nnetstat_exporter_collector_duration_seconds{collector=\"gated\"} ");
	assert_non_null(p);
	p = strchr(p + 1, '}') + 2;
	/* At least the time held; the upper bound only catches nonsense. */
	assert_true(strtod(p, NULL) >= 0.2 && strtod(p, NULL) < 60);
	free(body);
	scrape_result_put(w.result);
	scrape_free(s);
	sb_fini(&err);
}

static void test_failing_collector_is_reported(void **state)
{
	const struct collector_ops *const list[] = {&failing, &gated};
	struct config cfg = enabled_config(2);
	struct scrape *s;
	struct strbuf err;
	struct scrape_result *r;
	char *body;

	(void)state;
	gate_open();
	sb_init(&err);
	assert_int_equal(scrape_new_with(&cfg, list, 2, &s, &err), 0);
	assert_int_equal(scrape_get(s, INFINITY, &r), 0);
	body = render(r);
	assert_null(strstr(body, "test_half"));
	assert_non_null(strstr(body, "\ntest_collections 1\n"));
	assert_non_null(strstr(body, "\nnetstat_exporter_collector_success{collector=\"failing\"} 0\n"));
	assert_non_null(strstr(body, "\nnetstat_exporter_collector_success{collector=\"gated\"} 1\n"));
	free(body);
	scrape_result_put(r);
	scrape_free(s);
	sb_fini(&err);
}

static void test_disabled_collector_is_absent(void **state)
{
	const struct collector_ops *const list[] = {&failing, &gated};
	struct config cfg = enabled_config(2);
	struct scrape *s;
	struct strbuf err;
	struct scrape_result *r;
	char *body;

	(void)state;
	gate_open();
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
		cmocka_unit_test(test_deadline_does_not_stop_the_collection),
		cmocka_unit_test(test_timed_out_waiter_is_told_the_collector),
		cmocka_unit_test(test_close_tells_waiters),
		cmocka_unit_test(test_duration_is_the_collection_time),
		cmocka_unit_test(test_failing_collector_is_reported),
		cmocka_unit_test(test_disabled_collector_is_absent),
		cmocka_unit_test(test_bad_collector_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
