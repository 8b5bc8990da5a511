/* The scrape loop: concurrent scrapes share one collection, a waiter past its
 * deadline gets the collection as it stands and the late collector is not
 * started again until it returns, closing tells waiters at once, a failing collector is reported and does not take the others down, a
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
#include <unistd.h>

#include <cmocka.h>

#include "cli/flags.h"
#include "scrape.h"
#include "util/clock.h"

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
	gate.entered_at = util_mono_now();
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

/* Deadlines: "quick" and "late" count their collections; "stuck" blocks
 * reading a pipe until the test writes a byte to it. */
static int pipe_fds[2];
static int quick_runs, late_runs, stuck_runs; /* read after the threads are done */

static int count_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	int *n = state;

	(void)ctx;
	(*n)++;
	expo_add_u64(expo_family(e, n == &quick_runs ? "test_quick" : "test_late", EXPO_GAUGE,
				 "Runs."), (uint64_t)*n, EXPO_NOLABELS);
	return 0;
}

static int stuck_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	char c;

	(void)state;
	(void)ctx;
	__atomic_add_fetch(&stuck_runs, 1, __ATOMIC_SEQ_CST);
	if (read(pipe_fds[0], &c, 1) != 1)
		return -EIO;
	expo_add_u64(expo_family(e, "test_stuck", EXPO_GAUGE, "Returned."), 1, EXPO_NOLABELS);
	return 0;
}

static int quick_init(void **state, const struct config *cfg, struct strbuf *err)
{
	(void)cfg;
	(void)err;
	*state = &quick_runs;
	return 0;
}

static int late_init(void **state, const struct config *cfg, struct strbuf *err)
{
	(void)cfg;
	(void)err;
	*state = &late_runs;
	return 0;
}

static void no_fini(void *state)
{
	(void)state;
}

static const struct collector_ops quick_c = {
	.name = "quick", .help = "counts", .default_enabled = true,
	.init = quick_init, .collect = count_collect, .fini = no_fini,
};
static const struct collector_ops stuck_c = {
	.name = "stuck", .help = "blocks", .default_enabled = true,
	.init = quick_init, .collect = stuck_collect, .fini = no_fini,
};
static const struct collector_ops late_c = {
	.name = "late", .help = "counts", .default_enabled = true,
	.init = late_init, .collect = count_collect, .fini = no_fini,
};

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

/* Every test's setup: a configuration with collectors 0..n-1 enabled, the
 * gate closed, no waiter told yet, and (fixture_start()) a scrape over them. */
struct fixture {
	struct config cfg; /* outlives the scrape: the test's stack */
	struct strbuf err;
	struct scrape *s;
};

static void fixture_config(struct fixture *f, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->cfg.procfs = "/proc";
	for (size_t i = 0; i < n; i++)
		f->cfg.enabled[i] = true;
	sb_init(&f->err);
	gate_close();
	pthread_mutex_lock(&tally.lock);
	tally.told = 0;
	pthread_mutex_unlock(&tally.lock);
}

/* The scrape over list[0..n) with f->cfg. */
static struct scrape *fixture_new(struct fixture *f, const struct collector_ops *const *list,
				  size_t n)
{
	assert_int_equal(scrape_new_with(&f->cfg, list, n, &f->s, &f->err), 0);
	return f->s;
}

static struct scrape *fixture_start(struct fixture *f, const struct collector_ops *const *list,
				    size_t n)
{
	fixture_config(f, n);
	return fixture_new(f, list, n);
}

static void fixture_stop(struct fixture *f)
{
	scrape_free(f->s);
	sb_fini(&f->err);
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
	struct scrape_waiter w[8];
	struct fixture f;
	struct scrape *s;

	(void)state;
	s = fixture_start(&f, list, 1);
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
	fixture_stop(&f);
}

static void test_deadline_publishes_what_finished(void **state)
{
	const struct collector_ops *const list[] = {&gated};
	struct scrape_waiter first, w;
	struct scrape_result *r = NULL;
	struct fixture f;
	struct scrape *s;
	char *body;

	(void)state;
	s = fixture_start(&f, list, 1);
	submit(s, &first, INFINITY);
	gate_wait_entered();
	/* A deadline that passes while "gated" runs: the collection is
	 * published as it stands, to both waiters of it. */
	submit(s, &w, util_mono_now() + 0.05);
	wait_told(2);
	assert_int_equal(w.status, 0);
	assert_int_equal(first.status, 0);
	assert_ptr_equal(w.result, first.result);
	body = render(w.result);
	assert_null(strstr(body, "test_collections"));
	assert_non_null(strstr(body, "netstat_exporter_collector_success{collector=\"gated\"} 0\n"));
	assert_non_null(strstr(body, "netstat_exporter_collector_timeouts_total{collector=\"gated\"} 1\n"));
	free(body);
	scrape_result_put(w.result);
	scrape_result_put(first.result);
	/* Still running: the next scrape is answered without starting it. */
	assert_int_equal(scrape_get(s, 5, &r), 0);
	body = render(r);
	assert_non_null(strstr(body, "netstat_exporter_collector_success{collector=\"gated\"} 0\n"));
	assert_non_null(strstr(body, "netstat_exporter_collector_timeouts_total{collector=\"gated\"} 1\n"));
	free(body);
	scrape_result_put(r);
	/* Once it returned, it runs again. */
	gate_open();
	body = NULL;
	for (int i = 0; i < 200; i++) {
		assert_int_equal(scrape_get(s, 5, &r), 0);
		body = render(r);
		scrape_result_put(r);
		if (strstr(body, "\ntest_collections 2\n"))
			break;
		free(body);
		body = NULL;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	assert_non_null(body);
	assert_non_null(strstr(body, "netstat_exporter_collector_success{collector=\"gated\"} 1\n"));
	free(body);
	fixture_stop(&f);
}

static void test_close_tells_waiters(void **state)
{
	const struct collector_ops *const list[] = {&gated};
	struct scrape_waiter w, after;
	struct fixture f;
	struct scrape *s;

	(void)state;
	s = fixture_start(&f, list, 1);
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
	fixture_stop(&f);
	assert_int_equal(tally.told, 1);
}

static void test_duration_is_the_collection_time(void **state)
{
	const struct collector_ops *const list[] = {&gated};
	struct scrape_waiter w;
	struct fixture f;
	struct scrape *s;
	const char *p;
	char *body;

	(void)state;
	s = fixture_start(&f, list, 1);
	submit(s, &w, INFINITY);
	gate_wait_entered();
	/* About time, so time it is: hold the gate at least 0.2 s. */
	while (util_mono_now() - gate.entered_at < 0.2)
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
	fixture_stop(&f);
}

static void test_failing_collector_is_reported(void **state)
{
	const struct collector_ops *const list[] = {&failing, &gated};
	struct scrape_result *r;
	struct fixture f;
	struct scrape *s;
	char *body;

	(void)state;
	s = fixture_start(&f, list, 2);
	gate_open();
	assert_int_equal(scrape_get(s, INFINITY, &r), 0);
	body = render(r);
	assert_null(strstr(body, "test_half"));
	assert_non_null(strstr(body, "\ntest_collections 1\n"));
	assert_non_null(strstr(body, "\nnetstat_exporter_collector_success{collector=\"failing\"} 0\n"));
	assert_non_null(strstr(body, "\nnetstat_exporter_collector_success{collector=\"gated\"} 1\n"));
	free(body);
	scrape_result_put(r);
	fixture_stop(&f);
}

static void test_disabled_collector_is_absent(void **state)
{
	const struct collector_ops *const list[] = {&failing, &gated};
	struct scrape_result *r;
	struct fixture f;
	struct scrape *s;
	char *body;

	(void)state;
	fixture_config(&f, 2);
	f.cfg.enabled[0] = false;
	s = fixture_new(&f, list, 2);
	gate_open();
	assert_int_equal(scrape_get(s, INFINITY, &r), 0);
	body = render(r);
	assert_null(strstr(body, "collector=\"failing\""));
	free(body);
	scrape_result_put(r);
	fixture_stop(&f);
}

static void test_bad_collector_option(void **state)
{
	const struct collector_ops *const list[] = {&picky};
	struct fixture f;

	(void)state;
	fixture_config(&f, 1);
	f.s = (struct scrape *)&f.cfg;
	f.cfg.values[f.cfg.nvalues++] = (struct config_value){"collector.picky.mode", "bad"};
	assert_int_equal(scrape_new_with(&f.cfg, list, 1, &f.s, &f.err), -EINVAL);
	assert_null(f.s);
	assert_string_equal(f.err.buf, "--collector.picky.mode: must be ok");
	fixture_stop(&f);
}

static int stuck_runs_now(void)
{
	return __atomic_load_n(&stuck_runs, __ATOMIC_SEQ_CST);
}

static void test_deadline_serves_the_rest(void **state)
{
	const struct collector_ops *const list[] = {&quick_c, &stuck_c, &late_c};
	struct scrape_result *r;
	struct fixture f;
	struct scrape *s;
	double t0;
	char *body;

	(void)state;
	assert_int_equal(pipe(pipe_fds), 0);
	s = fixture_start(&f, list, 3);

	/* 1. At the deadline: quick's families, stuck and late failed, one timeout. */
	t0 = util_mono_now();
	assert_int_equal(scrape_get(s, 0.3, &r), 0);
	assert_true(util_mono_now() - t0 < 1.0);
	body = render(r);
	assert_non_null(strstr(body, "\ntest_quick 1\n"));
	assert_null(strstr(body, "test_late"));
	assert_non_null(strstr(body, "netstat_exporter_collector_success{collector=\"quick\"} 1\n"));
	assert_non_null(strstr(body, "netstat_exporter_collector_success{collector=\"stuck\"} 0\n"));
	assert_non_null(strstr(body, "netstat_exporter_collector_success{collector=\"late\"} 0\n"));
	assert_non_null(strstr(body, "netstat_exporter_collector_timeouts_total{collector=\"stuck\"} 1\n"));
	assert_non_null(strstr(body, "netstat_exporter_collector_timeouts_total{collector=\"quick\"} 0\n"));
	free(body);
	scrape_result_put(r);

	/* 2. Still stuck: not started again; the others run, in time. */
	t0 = util_mono_now();
	assert_int_equal(scrape_get(s, 5, &r), 0);
	assert_true(util_mono_now() - t0 < 1.0);
	body = render(r);
	assert_int_equal(stuck_runs_now(), 1);
	assert_non_null(strstr(body, "\ntest_quick 2\n"));
	assert_non_null(strstr(body, "\ntest_late 1\n"));
	assert_non_null(strstr(body, "netstat_exporter_collector_success{collector=\"stuck\"} 0\n"));
	assert_non_null(strstr(body, "netstat_exporter_collector_success{collector=\"late\"} 1\n"));
	assert_non_null(strstr(body, "netstat_exporter_collector_timeouts_total{collector=\"stuck\"} 1\n"));
	free(body);
	scrape_result_put(r);

	/* 3. Let it return: from the next collection on it runs again. */
	/* One byte for the old run, one for each of the next two. */
	assert_int_equal(write(pipe_fds[1], "xyz", 3), 3);
	for (int i = 0; i < 100 && stuck_runs_now() < 2; i++) {
		struct timespec ts = {0, 20 * 1000 * 1000};

		assert_int_equal(scrape_get(s, 5, &r), 0);
		scrape_result_put(r);
		nanosleep(&ts, NULL);
	}
	assert_int_equal(stuck_runs_now(), 2);
	assert_int_equal(scrape_get(s, 5, &r), 0);
	body = render(r);
	assert_non_null(strstr(body, "netstat_exporter_collector_success{collector=\"stuck\"} 1\n"));
	assert_non_null(strstr(body, "\ntest_stuck 1\n"));
	free(body);
	scrape_result_put(r);
	close(pipe_fds[1]); /* any further run fails at once */
	fixture_stop(&f);
	close(pipe_fds[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_scrapes_share_a_collection),
		cmocka_unit_test(test_deadline_publishes_what_finished),
		cmocka_unit_test(test_deadline_serves_the_rest),
		cmocka_unit_test(test_close_tells_waiters),
		cmocka_unit_test(test_duration_is_the_collection_time),
		cmocka_unit_test(test_failing_collector_is_reported),
		cmocka_unit_test(test_disabled_collector_is_absent),
		cmocka_unit_test(test_bad_collector_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
