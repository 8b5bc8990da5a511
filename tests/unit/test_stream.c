/* The socket stream (collector.h): one provider runs one dump per scrape for
 * every consumer; each collector's families, success and duration are its
 * own. A fake provider and consumer check the rule, then the real `sockets`
 * and `processes` collectors check it on the kernel; last, `sockets` and
 * `limits` agree on ip_local_port_range. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "collectors/collector.h"
#include "collectors/limits.h"
#include "collectors/processes.h"
#include "collectors/sockets.h"
#include "scrape.h"
#include "sockdiag/reply.h"
#include "scrape_text.h"

#define NSOCKS 3

/* What the fakes should do, set by each test. */
static struct {
	int dump_rc;        /* the provider's dump result */
	int src_collect_rc; /* the provider's own collect() */
	int sink_prepare_rc;
	int sink_begin_rc;
	unsigned sink_prepare_ms;
	int sink_collects;  /* how often the consumer's collect() ran */
	int restarts;       /* the provider's dump restarts this often */
	int other_rc;       /* the other namespaces' provider's run */
	int other_runs;
	size_t other_saw;   /* consumers the other provider was handed */
} want;

struct counter {
	uint64_t n[4];     /* per worker: the exporter's own namespace */
	uint64_t other[4]; /* per worker: other namespaces */
};

static int counter_init(void **state, const struct config *cfg, struct strbuf *err)
{
	(void)cfg;
	(void)err;
	*state = calloc(1, sizeof(struct counter));
	return *state ? 0 : -ENOMEM;
}

static void counter_fini(void *state)
{
	free(state);
}

static int counter_begin(void *state, const struct stream_pass *p)
{
	struct counter *c = state;

	assert_int_equal(p->nworkers, 2);
	if (p->scope == STREAM_OWN_NETNS)
		memset(c->n, 0, sizeof(c->n));
	else
		memset(c->other, 0, sizeof(c->other));
	return 0;
}

static void counter_add(void *state, unsigned worker, const struct diag_sock *s, uint64_t netns)
{
	struct counter *c = state;

	(void)s;
	if (netns == 0)
		c->n[worker]++;
	else
		c->other[worker]++;
}

static void emit_count(struct expo *e, const char *name, const struct counter *c)
{
	struct expo_family *f = expo_family(e, name, EXPO_GAUGE, "Sockets counted.");

	expo_add_u64(f, c->n[0] + c->n[1], EXPO_NOLABELS);
	if (c->other[0] + c->other[1])
		expo_add_u64(f, c->other[0] + c->other[1], EXPO_LABELS({"netns", "other"}));
}

/* The provider: NSOCKS sockets over two workers; also a consumer itself. */
static int src_run(void *state, const struct collect_ctx *ctx, struct stream_out *out)
{
	struct diag_sock s = {.family = AF_INET, .protocol = IPPROTO_TCP};

	(void)state;
	(void)ctx;
	/* An interrupted dump restarts: the consumers forget the first try. */
	for (int pass = 0; pass <= want.restarts; pass++) {
		stream_begin(out, 2);
		for (unsigned i = 0; i < NSOCKS; i++)
			stream_add(out, i % 2, &s, 0);
	}
	return want.dump_rc;
}

/* A provider of other namespaces: two sockets of namespace 4026532999. */
static int other_run(void *state, const struct collect_ctx *ctx, struct stream_out *out)
{
	struct diag_sock s = {.family = AF_INET, .protocol = IPPROTO_TCP};

	(void)state;
	(void)ctx;
	want.other_runs++;
	want.other_saw = out->n;
	stream_begin(out, 2);
	stream_add(out, 0, &s, 4026532999ull);
	stream_add(out, 1, &s, 4026532999ull);
	return want.other_rc;
}

static int other_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	(void)state;
	(void)ctx;
	expo_add_u64(expo_family(e, "test_other_ran", EXPO_GAUGE, "Ran."), 1, EXPO_NOLABELS);
	return 0;
}

static int src_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	(void)ctx;
	emit_count(e, "test_src_sockets", state);
	return want.src_collect_rc;
}

static int sink_prepare(void *state, const struct collect_ctx *ctx)
{
	struct timespec ts = {0, (long)want.sink_prepare_ms * 1000000L};

	(void)state;
	(void)ctx;
	nanosleep(&ts, NULL);
	return want.sink_prepare_rc;
}

static int sink_begin(void *state, const struct stream_pass *p)
{
	int rc = counter_begin(state, p);

	return rc ? rc : want.sink_begin_rc;
}

static int sink_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	(void)ctx;
	want.sink_collects++;
	emit_count(e, "test_sink_sockets", state);
	return 0;
}

static const struct collector_consumer src_consumer = {
	.begin = counter_begin, .add = counter_add,
};
static const struct collector_provider src_provider = {
	.scope = STREAM_OWN_NETNS, .run = src_run,
};
static const struct collector_consumer sink_consumer = {
	.prepare = sink_prepare, .begin = sink_begin, .add = counter_add,
};
/* The consumer first, as `processes` comes before `sockets` in the registry. */
static const struct collector_ops sink = {
	.name = "sink", .help = "consumes", .default_enabled = true,
	.init = counter_init, .collect = sink_collect, .fini = counter_fini,
	.consumer = &sink_consumer,
};
static const struct collector_ops src = {
	.name = "src", .help = "provides", .default_enabled = true,
	.init = counter_init, .collect = src_collect, .fini = counter_fini,
	.consumer = &src_consumer, .provider = &src_provider,
};

static const struct collector_provider other_provider = {
	.scope = STREAM_OTHER_NETNS, .run = other_run,
};
/* Registered first: it still runs after the exporter's own namespace. */
static const struct collector_ops other = {
	.name = "other", .help = "provides other namespaces", .default_enabled = true,
	.init = counter_init, .collect = other_collect, .fini = counter_fini,
	.provider = &other_provider,
};

static char *scrape_three(void)
{
	const struct collector_ops *const list[] = {&other, &sink, &src};

	return scrape_text(list, 3, NULL, "/proc", 1);
}

static char *scrape_once(bool src_enabled)
{
	const struct collector_ops *const list[] = {&sink, &src};

	return scrape_text(list, 2, (const bool[]){true, src_enabled}, "/proc", 1);
}


static int reset(void **state)
{
	(void)state;
	memset(&want, 0, sizeof(want));
	return 0;
}

static void test_one_dump_feeds_both(void **state)
{
	char *t;

	(void)state;
	t = scrape_once(true);
	HAS(t, "test_src_sockets 3");
	HAS(t, "test_sink_sockets 3");
	HAS(t, "netstat_exporter_collector_success{collector=\"src\"} 1");
	HAS(t, "netstat_exporter_collector_success{collector=\"sink\"} 1");
	free(t);
}

/* The provider's own part fails: the consumer keeps its families. */
static void test_provider_failing_keeps_consumer(void **state)
{
	char *t;

	(void)state;
	want.src_collect_rc = -EIO;
	t = scrape_once(true);
	HAS(t, "netstat_exporter_collector_success{collector=\"src\"} 0");
	assert_null(strstr(t, "test_src_sockets"));
	HAS(t, "netstat_exporter_collector_success{collector=\"sink\"} 1");
	HAS(t, "test_sink_sockets 3");
	free(t);
}

/* The consumer fails before or at the start of the dump: it alone fails,
 * and its prepare() time is its own, not the provider's. */
static void test_consumer_failing_keeps_provider(void **state)
{
	char *t;
	const char *p;
	double sink_secs, src_secs;

	(void)state;
	want.sink_prepare_rc = -EACCES;
	want.sink_prepare_ms = 200;
	t = scrape_once(true);
	HAS(t, "netstat_exporter_collector_success{collector=\"sink\"} 0");
	assert_null(strstr(t, "test_sink_sockets"));
	assert_int_equal(want.sink_collects, 0);
	HAS(t, "netstat_exporter_collector_success{collector=\"src\"} 1");
	HAS(t, "test_src_sockets 3");
	p = strstr(t, "netstat_exporter_collector_duration_seconds{collector=\"sink\"} ");
	assert_non_null(p);
	sink_secs = strtod(strchr(p, '}') + 2, NULL);
	p = strstr(t, "netstat_exporter_collector_duration_seconds{collector=\"src\"} ");
	assert_non_null(p);
	src_secs = strtod(strchr(p, '}') + 2, NULL);
	assert_true(sink_secs >= 0.2);
	assert_true(src_secs < sink_secs);
	free(t);

	reset(NULL);
	want.sink_begin_rc = -ENOMEM;
	t = scrape_once(true);
	HAS(t, "netstat_exporter_collector_success{collector=\"sink\"} 0");
	HAS(t, "test_src_sockets 3");
	free(t);
}

/* No dump, no data: every consumer fails, none shows stale families. */
static void test_dump_failing_fails_consumers(void **state)
{
	char *t;

	(void)state;
	want.dump_rc = -ENOBUFS;
	t = scrape_once(true);
	HAS(t, "netstat_exporter_collector_success{collector=\"src\"} 0");
	HAS(t, "netstat_exporter_collector_success{collector=\"sink\"} 0");
	assert_null(strstr(t, "test_src_sockets"));
	assert_null(strstr(t, "test_sink_sockets"));
	assert_int_equal(want.sink_collects, 0);
	free(t);
}

/* Without a provider, a consumer is off: no success series claiming 1. */
static void test_no_provider_consumer_off(void **state)
{
	char *t;

	(void)state;
	t = scrape_once(false);
	assert_null(strstr(t, "collector=\"sink\""));
	assert_null(strstr(t, "test_sink_sockets"));
	free(t);
}

/* A restarted pass is counted once. */
static void test_restart_counts_once(void **state)
{
	char *t;

	(void)state;
	want.restarts = 1;
	t = scrape_once(true);
	HAS(t, "test_src_sockets 3");
	HAS(t, "test_sink_sockets 3");
	free(t);
}

/* Two providers feed both consumers, each socket with its namespace; the
 * exporter's own namespace's pass runs first whatever the registry order. */
static void test_two_providers(void **state)
{
	char *t;

	(void)state;
	t = scrape_three();
	assert_int_equal(want.other_runs, 1);
	assert_int_equal(want.other_saw, 2);
	HAS(t, "test_sink_sockets 3");
	HAS(t, "test_sink_sockets{netns=\"other\"} 2");
	HAS(t, "test_src_sockets{netns=\"other\"} 2");
	HAS(t, "netstat_exporter_collector_success{collector=\"other\"} 1");
	free(t);
}

/* A provider of other namespaces failing fails alone: the consumers keep
 * what the exporter's own namespace gave them. */
static void test_other_provider_failing_alone(void **state)
{
	char *t;

	(void)state;
	want.other_rc = -EIO;
	t = scrape_three();
	HAS(t, "netstat_exporter_collector_success{collector=\"other\"} 0");
	HAS(t, "netstat_exporter_collector_success{collector=\"sink\"} 1");
	HAS(t, "netstat_exporter_collector_success{collector=\"src\"} 1");
	HAS(t, "test_sink_sockets 3");
	free(t);
}

/* A consumer that failed in the own namespace's pass is left out of the
 * others: the other provider is handed only the consumers still in. */
static void test_failed_consumer_left_out_of_later_passes(void **state)
{
	char *t;

	(void)state;
	want.sink_begin_rc = -ENOMEM;
	t = scrape_three();
	assert_int_equal(want.other_saw, 1);
	HAS(t, "netstat_exporter_collector_success{collector=\"sink\"} 0");
	HAS(t, "test_src_sockets{netns=\"other\"} 2");
	free(t);
}

/* The real collectors on the kernel: processes failing (no procfs) leaves
 * every sockets family in place; sockets' success stays its own. */
static void test_real_processes_failing_keeps_sockets(void **state)
{
	const struct collector_ops *const list[] = {&processes_collector, &sockets_collector};
	char *t;

	(void)state;
	t = scrape_text(list, 2, NULL, "/nonexistent-issue9-core", 1);
	HAS(t, "netstat_exporter_collector_success{collector=\"processes\"} 0");
	HAS(t, "netstat_exporter_collector_success{collector=\"sockets\"} 1");
	/* The families that always have samples. */
	HAS(t, "# TYPE netstat_tcp_sockets gauge");
	HAS(t, "# TYPE netstat_udp_sockets gauge");
	HAS(t, "# TYPE netstat_tcp_peer_sockets gauge");
	HAS(t, "# TYPE netstat_tcp_untracked_sockets gauge");
	assert_null(strstr(t, "netstat_process_"));
	free(t);
}

/* sockets and limits read ip_local_port_range through one function: they
 * agree on a file without its newline (both use it) and on a bad one (limits
 * fails, sockets leaves the ratio out). */
static char *scrape_limits_sockets(const char *tree)
{
	const struct collector_ops *const list[] = {&sockets_collector, &limits_collector};

	return scrape_text(list, 2, NULL, tree, 1);
}

static void test_real_port_range_agree(void **state)
{
	char *t;

	(void)state;
	t = scrape_limits_sockets("port-range-no-newline");
	HAS(t, "netstat_limit_ip_local_port_range_first 1024");
	HAS(t, "netstat_limit_ip_local_port_range_last 2048");
	HAS(t, "# TYPE netstat_tcp_ephemeral_ports_max_used_ratio gauge");
	free(t);
	t = scrape_limits_sockets("bad-port-range");
	HAS(t, "netstat_exporter_collector_success{collector=\"limits\"} 0");
	HAS(t, "netstat_exporter_collector_success{collector=\"sockets\"} 1");
	assert_null(strstr(t, "netstat_tcp_ephemeral_ports_max_used_ratio"));
	HAS(t, "# TYPE netstat_tcp_ephemeral_ports_max_used gauge");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_one_dump_feeds_both, reset),
		cmocka_unit_test_setup(test_provider_failing_keeps_consumer, reset),
		cmocka_unit_test_setup(test_consumer_failing_keeps_provider, reset),
		cmocka_unit_test_setup(test_dump_failing_fails_consumers, reset),
		cmocka_unit_test_setup(test_no_provider_consumer_off, reset),
		cmocka_unit_test_setup(test_restart_counts_once, reset),
		cmocka_unit_test_setup(test_two_providers, reset),
		cmocka_unit_test_setup(test_other_provider_failing_alone, reset),
		cmocka_unit_test_setup(test_failed_consumer_left_out_of_later_passes, reset),
		cmocka_unit_test_setup(test_real_processes_failing_keeps_sockets, reset),
		cmocka_unit_test_setup(test_real_port_range_agree, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
