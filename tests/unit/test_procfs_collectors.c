/* The netstat, sockstat and limits collectors over fixture trees: what they
 * export, what they leave out, and that malformed input fails the collector
 * with nothing exported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "collectors/limits.h"
#include "collectors/netstat.h"
#include "collectors/sockstat.h"
#include "procfs/reader.h"

static int open_tree(const char *tree)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/procfs/%s", FIXTURES_DIR, tree);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* One collect() on an existing state; out gets the text rendering. */
static int collect_into(const struct collector_ops *c, void *st, const char *tree,
			struct strbuf *out)
{
	struct collect_ctx ctx = {open_tree(tree)};
	struct expo *e = expo_new();
	int rc;

	assert_non_null(e);
	sb_reset(out);
	rc = c->collect(st, &ctx, e);
	assert_int_equal(expo_render(e, EXPO_FMT_TEXT, out), 0);
	expo_free(e);
	close(ctx.procfs_fd);
	return rc;
}

/* init + collect + fini with optional flags (name, value, ..., NULL). */
static int run(const struct collector_ops *c, const char *tree, struct strbuf *out, ...)
{
	struct config cfg;
	struct strbuf err;
	void *st = NULL;
	va_list ap;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	va_start(ap, out);
	for (const char *name; (name = va_arg(ap, const char *));) {
		cfg.values[cfg.nvalues].name = name;
		cfg.values[cfg.nvalues++].value = va_arg(ap, const char *);
	}
	va_end(ap);
	sb_init(&err);
	assert_int_equal(c->init(&st, &cfg, &err), 0);
	sb_fini(&err);
	rc = collect_into(c, st, tree, out);
	c->fini(st);
	return rc;
}

static bool has_line(const struct strbuf *out, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = out->buf; p && (p = strstr(p, line)); p++)
		if ((p == out->buf || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static size_t count(const struct strbuf *out, const char *prefix)
{
	size_t k = 0, n = strlen(prefix);

	for (const char *p = out->buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, prefix, n) == 0)
			k++;
	return k;
}

#define assert_line(out, line)                                       \
	do {                                                         \
		if (!has_line(out, line))                            \
			fail_msg("missing line: %s", line);          \
	} while (0)
#define assert_no_line(out, line)                                    \
	do {                                                         \
		if (has_line(out, line))                             \
			fail_msg("unexpected line: %s", line);       \
	} while (0)

static void test_netstat_real(void **state)
{
	struct strbuf out;

	(void)state;
	sb_init(&out);
	assert_int_equal(run(&netstat_collector, "proc-6.18", &out, NULL), 0);
	/* every field of the three files: 83 + 229 header fields, 90 snmp6 lines */
	assert_int_equal(count(&out, "# TYPE "), 402);
	assert_int_equal(count(&out, "netstat_"), 402);
	assert_line(&out, "# HELP netstat_tcpext_listen_overflows_total TcpExtListenOverflows from /proc/net/netstat.");
	assert_line(&out, "# TYPE netstat_tcpext_listen_overflows_total counter");
	assert_line(&out, "netstat_tcpext_listen_overflows_total 0");
	assert_line(&out, "netstat_tcpext_tw_total 11");
	assert_line(&out, "netstat_tcpext_tcp_rcv_coalesce_total 836");
	assert_line(&out, "netstat_tcp_out_rsts_total 2");
	assert_line(&out, "netstat_ipext_in_octets_total 45280653");
	assert_line(&out, "netstat_icmpmsg_in_type3_total 1");
	assert_line(&out, "netstat_ip6_out_octets_total 880");
	assert_line(&out, "# HELP netstat_ip6_out_octets_total Ip6OutOctets from /proc/net/snmp6.");
	assert_line(&out, "netstat_icmp6_out_type143_total 4");
	assert_line(&out, "# TYPE netstat_tcp_curr_estab gauge");
	assert_line(&out, "netstat_tcp_curr_estab 0");
	assert_line(&out, "netstat_tcp_max_conn -1");
	assert_line(&out, "netstat_ip_forwarding 2");
	assert_line(&out, "netstat_ip_default_ttl 64");
	assert_line(&out, "# TYPE netstat_tcp_rto_min_seconds gauge");
	assert_line(&out, "netstat_tcp_rto_min_seconds 0.2");
	assert_line(&out, "netstat_tcp_rto_max_seconds 120");
	assert_line(&out, "# TYPE netstat_mptcpext_mp_curr_estab gauge");
	assert_line(&out, "netstat_tcpext_tcp_memory_pressures_chrono_seconds_total 0");
	sb_fini(&out);
}

static void test_netstat_layouts(void **state)
{
	struct strbuf out;

	(void)state;
	sb_init(&out);
	/* older kernel: fewer fields, no IPv6 (no snmp6), no MPTcpExt */
	assert_int_equal(run(&netstat_collector, "proc-old", &out, NULL), 0);
	assert_int_equal(count(&out, "# TYPE "), 19 + 27 + 2 + 15 + 7 + 7 + 30 + 17);
	assert_int_equal(count(&out, "netstat_ip6_"), 0);
	assert_int_equal(count(&out, "netstat_mptcpext_"), 0);
	assert_line(&out, "netstat_tcpext_tcp_prequeued_total 0");
	assert_line(&out, "netstat_tcpext_listen_overflows_total 7");
	assert_line(&out, "netstat_tcp_curr_estab 4");
	assert_line(&out, "netstat_icmpmsg_out_type3_total 3");

	/* newer kernel: unknown protocols and fields, values up to 2^64-1 */
	assert_int_equal(run(&netstat_collector, "proc-new", &out, NULL), 0);
	assert_line(&out, "netstat_ip_in_receives_total 18446744073709551615");
	assert_line(&out, "netstat_ip_out_transmits_total 9223372036854775808");
	assert_line(&out, "netstat_ip_in_warp_drives_total 7");
	assert_line(&out, "netstat_tcp_active_opens_total 18446744073709551614");
	assert_line(&out, "netstat_tcp_quantum_resets_total 3");
	assert_line(&out, "netstat_tcp_max_conn -1");
	assert_line(&out, "netstat_sctp_curr_estab_total 2");
	assert_line(&out, "netstat_sctp_t1_init_expireds_total 1");
	assert_line(&out, "netstat_tcpext_tcp_future_thing_total 1");
	assert_line(&out, "netstat_tcpext_tcp_sack_foo2_bar_total 2");
	assert_line(&out, "netstat_warpext_foo_bar_overflows_total 4");
	assert_line(&out, "# HELP netstat_warpext_xdp_redirects_total WarpExtXDPRedirects from /proc/net/netstat.");
	assert_line(&out, "netstat_ip6_in_receives_total 18446744073709551615");
	assert_line(&out, "netstat_ip6_in_future_errors_total 3");
	assert_line(&out, "netstat_sctp6_in_packets_total 11");
	assert_line(&out, "netstat_icmp6_out_type200_total 1");
	assert_int_equal(count(&out, "# TYPE "), 5 + 8 + 3 + 4 + 2 + 4);
	sb_fini(&out);
}

/* Each malformed tree fails the collector and exports nothing at all. */
static void test_netstat_malformed(void **state)
{
	static const char *const trees[] = {
		"bad-count", "bad-count-more", "bad-truncated", "bad-nonnumeric",
		"bad-overflow", "bad-negative-counter", "bad-header-only",
		"bad-proto-mismatch", "bad-snmp6",
	};
	struct strbuf out;

	(void)state;
	sb_init(&out);
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		int rc = run(&netstat_collector, trees[i], &out, NULL);

		if (rc != -EINVAL)
			fail_msg("%s: rc %d, want -EINVAL", trees[i], rc);
		if (out.len != 0)
			fail_msg("%s exported: %s", trees[i], out.buf);
	}
	sb_fini(&out);
}

static void test_netstat_empty_missing_collision(void **state)
{
	struct strbuf out;

	(void)state;
	sb_init(&out);
	assert_int_equal(run(&netstat_collector, "empty", &out, NULL), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(run(&netstat_collector, "missing", &out, NULL), 0);
	assert_int_equal(out.len, 0);
	/* TCPFooBar and TcpFooBar both map to tcp_foo_bar: the first wins */
	assert_int_equal(run(&netstat_collector, "collision", &out, NULL), 0);
	assert_int_equal(count(&out, "# TYPE "), 2);
	assert_line(&out, "netstat_tcpext_tcp_foo_bar_total 1");
	assert_line(&out, "netstat_tcpext_listen_drops_total 3");
	sb_fini(&out);
}

/* Same field count, one name grown past the cached key's buffer: the layout
 * cache compares lengths before bytes (ASan caught the over-read). */
static void test_netstat_field_grows(void **state)
{
	struct strbuf out, err;
	struct config cfg;
	void *st = NULL;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	sb_init(&out);
	sb_init(&err);
	assert_int_equal(netstat_collector.init(&st, &cfg, &err), 0);
	assert_int_equal(collect_into(&netstat_collector, st, "grow-short", &out), 0);
	assert_line(&out, "netstat_tcpext_short_total 1");
	assert_int_equal(collect_into(&netstat_collector, st, "grow-long", &out), 0);
	assert_null(strstr(out.buf, "netstat_tcpext_short_total"));
	assert_line(&out, "netstat_tcpext_listen_drops_total 4");
	assert_int_equal(count(&out, "# TYPE "), 2);
	assert_int_equal(collect_into(&netstat_collector, st, "grow-short", &out), 0);
	assert_line(&out, "netstat_tcpext_short_total 1");
	netstat_collector.fini(st);
	sb_fini(&err);
	sb_fini(&out);
}

static void test_netstat_filters(void **state)
{
	struct strbuf out, err;
	struct config cfg;
	void *st = NULL;

	(void)state;
	sb_init(&out);
	assert_int_equal(run(&netstat_collector, "proc-6.18", &out,
			     "collector.netstat.include", "TcpExt.*",
			     "collector.netstat.exclude", "TcpExtTCP.*", NULL), 0);
	/* TcpExt fields not starting with TCP; TcpExtTcpTimeoutRehash etc. stay */
	assert_int_equal(count(&out, "# TYPE "), 29);
	assert_line(&out, "netstat_tcpext_listen_overflows_total 0");
	assert_line(&out, "netstat_tcpext_tcp_timeout_rehash_total 2");
	assert_int_equal(count(&out, "netstat_tcpext_tcp_syn_retrans"), 0);
	assert_int_equal(count(&out, "netstat_ip_"), 0);

	/* anchored: "Tcp" alone matches no field */
	assert_int_equal(run(&netstat_collector, "proc-6.18", &out,
			     "collector.netstat.include", "Tcp", NULL), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(run(&netstat_collector, "proc-6.18", &out,
			     "collector.netstat.include", "TcpExtListenOverflows|TcpOutRsts|Ip6InOctets",
			     NULL), 0);
	assert_int_equal(count(&out, "# TYPE "), 3);
	assert_line(&out, "netstat_tcp_out_rsts_total 2");

	/* a bad regex is one line naming the flag */
	memset(&cfg, 0, sizeof(cfg));
	cfg.values[0].name = "collector.netstat.exclude";
	cfg.values[0].value = "Tcp(";
	cfg.nvalues = 1;
	sb_init(&err);
	assert_int_equal(netstat_collector.init(&st, &cfg, &err), -EINVAL);
	assert_null(st);
	assert_non_null(strstr(err.buf, "--collector.netstat.exclude"));
	assert_null(strchr(err.buf, '\n'));
	sb_fini(&err);
	sb_fini(&out);
}

/* One state across layouts: the name cache follows the files. */
static void test_netstat_cache(void **state)
{
	struct strbuf first, out, err;
	struct config cfg;
	void *st = NULL;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	sb_init(&first);
	sb_init(&out);
	sb_init(&err);
	assert_int_equal(netstat_collector.init(&st, &cfg, &err), 0);
	assert_int_equal(collect_into(&netstat_collector, st, "proc-6.18", &first), 0);
	assert_int_equal(collect_into(&netstat_collector, st, "proc-6.18", &out), 0);
	assert_string_equal(first.buf, out.buf);
	assert_int_equal(collect_into(&netstat_collector, st, "proc-old", &out), 0);
	assert_line(&out, "netstat_tcpext_listen_overflows_total 7");
	assert_int_equal(count(&out, "netstat_ip6_"), 0);
	assert_int_equal(collect_into(&netstat_collector, st, "bad-count", &out), -EINVAL);
	assert_int_equal(out.len, 0);
	assert_int_equal(collect_into(&netstat_collector, st, "proc-6.18", &out), 0);
	assert_string_equal(first.buf, out.buf);
	netstat_collector.fini(st);
	sb_fini(&first);
	sb_fini(&out);
	sb_fini(&err);
}

static void test_sockstat(void **state)
{
	struct strbuf out;
	char line[128];
	long ps = sysconf(_SC_PAGESIZE);

	(void)state;
	sb_init(&out);
	assert_int_equal(run(&sockstat_collector, "proc-6.18", &out, NULL), 0);
	assert_int_equal(count(&out, "# TYPE "), 12);
	assert_line(&out, "# TYPE netstat_sockstat_sockets_used gauge");
	assert_line(&out, "netstat_sockstat_sockets_used 11");
	assert_line(&out, "netstat_sockstat_tcp_inuse{family=\"ipv4\"} 1");
	assert_line(&out, "netstat_sockstat_tcp_inuse{family=\"ipv6\"} 0");
	assert_line(&out, "netstat_sockstat_tcp_alloc 1");
	snprintf(line, sizeof(line), "netstat_sockstat_tcp_mem_bytes %ld", 110 * ps);
	assert_line(&out, line);
	assert_line(&out, "netstat_sockstat_frag_memory_bytes{family=\"ipv6\"} 0");

	assert_int_equal(run(&sockstat_collector, "proc-old", &out, NULL), 0);
	assert_int_equal(count(&out, "netstat_sockstat_tcp_inuse{family=\"ipv6\"}"), 0);
	assert_line(&out, "netstat_sockstat_tcp_tw 19");
	assert_line(&out, "netstat_sockstat_tcp_orphan 1");
	snprintf(line, sizeof(line), "netstat_sockstat_udp_mem_bytes %ld", ps);
	assert_line(&out, line);

	/* unknown lines and keys of a newer kernel are skipped */
	assert_int_equal(run(&sockstat_collector, "proc-new", &out, NULL), 0);
	assert_int_equal(count(&out, "# TYPE "), 12);
	assert_int_equal(count(&out, "netstat_sockstat_mptcp"), 0);
	assert_line(&out, "netstat_sockstat_tcp_inuse{family=\"ipv6\"} 1");

	assert_int_equal(run(&sockstat_collector, "missing", &out, NULL), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(run(&sockstat_collector, "empty", &out, NULL), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(run(&sockstat_collector, "bad-sockstat", &out, NULL), -EINVAL);
	assert_int_equal(out.len, 0);
	/* 2^64-1 pages cannot be bytes: refused, not wrapped */
	assert_int_equal(run(&sockstat_collector, "bad-sockstat-mem", &out, NULL), -EINVAL);
	assert_int_equal(out.len, 0);
	sb_fini(&out);
}

static void test_limits(void **state)
{
	struct strbuf out;
	char line[128];
	long ps = sysconf(_SC_PAGESIZE);

	(void)state;
	sb_init(&out);
	assert_int_equal(run(&limits_collector, "proc-6.18", &out, NULL), 0);
	assert_int_equal(count(&out, "# TYPE "), 12);
	assert_line(&out, "# TYPE netstat_limit_ip_local_port_range_first gauge");
	assert_line(&out, "netstat_limit_ip_local_port_range_first 32768");
	assert_line(&out, "netstat_limit_ip_local_port_range_last 60999");
	assert_line(&out, "netstat_limit_tcp_max_tw_buckets 131072");
	assert_line(&out, "netstat_limit_tcp_max_syn_backlog 2048");
	assert_line(&out, "netstat_limit_somaxconn 4096");
	assert_line(&out, "netstat_limit_tcp_syncookies 1");
	assert_line(&out, "netstat_limit_tcp_max_orphans 131072");
	assert_line(&out, "netstat_limit_tcp_fin_timeout_seconds 60");
	assert_line(&out, "netstat_limit_tcp_tw_reuse 2");
	snprintf(line, sizeof(line), "netstat_limit_tcp_mem_bytes{level=\"min\"} %ld", 287898 * ps);
	assert_line(&out, line);
	snprintf(line, sizeof(line), "netstat_limit_tcp_mem_bytes{level=\"pressure\"} %ld", 383867 * ps);
	assert_line(&out, line);
	snprintf(line, sizeof(line), "netstat_limit_tcp_mem_bytes{level=\"max\"} %ld", 575796 * ps);
	assert_line(&out, line);
	assert_line(&out, "netstat_conntrack_entries 0");
	assert_line(&out, "netstat_conntrack_entries_limit 262144");

	/* no conntrack module: those series are absent, the rest is there */
	assert_int_equal(run(&limits_collector, "proc-old", &out, NULL), 0);
	assert_int_equal(count(&out, "netstat_conntrack"), 0);
	assert_int_equal(count(&out, "# TYPE "), 10);
	assert_line(&out, "netstat_limit_somaxconn 128");

	assert_int_equal(run(&limits_collector, "proc-new", &out, NULL), 0);
	assert_int_equal(count(&out, "# TYPE "), 2);
	assert_line(&out, "netstat_limit_ip_local_port_range_first 1024");

	assert_int_equal(run(&limits_collector, "missing", &out, NULL), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(run(&limits_collector, "bad-limits", &out, NULL), -EINVAL);
	assert_int_equal(out.len, 0);
	assert_int_equal(run(&limits_collector, "bad-limits-text", &out, NULL), -EINVAL);
	assert_int_equal(out.len, 0);
	sb_fini(&out);
}

static void test_procfs_read(void **state)
{
	struct strbuf sb;
	int fd = open_tree("proc-6.18");

	(void)state;
	sb_init(&sb);
	assert_int_equal(procfs_read(fd, "net/sockstat", 4096, &sb), 0);
	assert_int_equal(sb.len, 132);
	assert_memory_equal(sb.buf, "sockets: used 11\n", 17);
	assert_int_equal(procfs_read(fd, "net/snmp6", 100, &sb), -EFBIG);
	assert_int_equal(sb.len, 0);
	assert_int_equal(procfs_read(fd, "net/nonexistent", 100, &sb), -ENOENT);
	assert_int_equal(procfs_read(fd, "net", 100, &sb), -EISDIR);
	assert_int_equal(procfs_read(-1, "net/snmp", 100, &sb), -EBADF);
	sb_fini(&sb);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netstat_real),
		cmocka_unit_test(test_netstat_layouts),
		cmocka_unit_test(test_netstat_malformed),
		cmocka_unit_test(test_netstat_empty_missing_collision),
		cmocka_unit_test(test_netstat_field_grows),
		cmocka_unit_test(test_netstat_filters),
		cmocka_unit_test(test_netstat_cache),
		cmocka_unit_test(test_sockstat),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_procfs_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
