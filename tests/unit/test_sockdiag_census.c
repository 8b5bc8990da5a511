/* Unit tests for census: hand-built socket records in, exposition out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "collectors/sockets.h"
#include "sockdiag/census.h"
#include "expo/expo.h"
#include "util/strbuf.h"

/* A TCP (or UDP) socket record. Addresses without ':' on an AF_INET6 socket
 * stand for IPv4-mapped ones, as diag_parse un-maps them. */
static struct diag_sock sk(uint8_t proto, uint8_t family, uint8_t kstate, const char *src,
			   uint16_t sport, const char *dst, uint16_t dport)
{
	struct diag_sock s;

	memset(&s, 0, sizeof(s));
	s.family = family;
	s.protocol = proto;
	s.kstate = kstate;
	s.sport = sport;
	s.dport = dport;
	s.addr_family = strchr(src, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(s.addr_family, src, s.src), 1);
	assert_int_equal(inet_pton(s.addr_family, dst, s.dst), 1);
	return s;
}

static void add(struct census *c, struct diag_sock s, unsigned times)
{
	for (unsigned i = 0; i < times; i++)
		assert_int_equal(census_add(c, &s), 0);
}

static void add_tcp(struct census *c, uint8_t kstate, const char *src, uint16_t sport,
		    const char *dst, uint16_t dport, unsigned times)
{
	add(c, sk(IPPROTO_TCP, AF_INET, kstate, src, sport, dst, dport), times);
}

static void add_listener(struct census *c, uint8_t family, uint16_t port, uint32_t queue,
			 uint32_t backlog)
{
	struct diag_sock s = sk(IPPROTO_TCP, family, DIAG_KSTATE_LISTEN,
				family == AF_INET ? "0.0.0.0" : "::", port,
				family == AF_INET ? "0.0.0.0" : "::", 0);
	s.rqueue = queue;
	s.wqueue = backlog;
	add(c, s, 1);
}

static void defaults(struct census_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->top_ports = 10;
	o->max_listen_ports = 100;
	o->top_peers = 5;
	o->peer_min_sockets = 10;
	o->port_range_lo = 32768;
	o->port_range_hi = 60999;
}

static void allow(struct census_opts *o, uint16_t port)
{
	o->ports[port / 64] |= 1ull << (port % 64);
}

/* The text exposition of c; caller frees. */
static char *render(const struct census *c, const struct census_opts *o)
{
	struct expo *e = expo_new();
	struct census_out co = {.e = e, .desc = sockets_metrics};
	struct strbuf sb;
	char *out;

	assert_non_null(e);
	sb_init(&sb);
	assert_int_equal(census_emit(c, o, &co, EXPO_NOLABELS), 0);
	assert_int_equal(expo_render(e, EXPO_FMT_TEXT, &sb), 0);
	expo_free(e);
	out = sb_steal(&sb, NULL);
	assert_non_null(out);
	return out;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

#define LINE(text, line)                                                     \
	do {                                                                 \
		if (!has_line(text, line))                                   \
			fail_msg("missing line: %s\n--- got:\n%s", line, text); \
	} while (0)
#define NO_LINE(text, line)                                                  \
	do {                                                                 \
		if (has_line(text, line))                                    \
			fail_msg("unexpected line: %s", line);               \
	} while (0)

/* Lines starting with prefix. */
static size_t count_prefix(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += strncmp(p, prefix, len) == 0;
	return n;
}

static void test_empty_has_every_state(void **state)
{
	struct census *c = census_new();
	struct census_opts o;
	char *t;

	(void)state;
	defaults(&o);
	t = render(c, &o);
	assert_int_equal(count_prefix(t, "netstat_tcp_sockets{"), 22);
	LINE(t, "netstat_tcp_sockets{family=\"ipv6\",state=\"closing\"} 0");
	LINE(t, "netstat_tcp_sockets{family=\"ipv4\",state=\"syn_recv\"} 0");
	assert_int_equal(count_prefix(t, "netstat_udp_sockets{"), 4);
	assert_int_equal(count_prefix(t, "netstat_tcp_peer_sockets{"), 8);
	assert_int_equal(count_prefix(t, "netstat_tcp_port_sockets{"), 0);
	LINE(t, "netstat_tcp_ephemeral_ports_max_used 0");
	LINE(t, "netstat_tcp_ephemeral_ports_max_used_ratio 0");
	LINE(t, "netstat_tcp_untracked_sockets{table=\"peer_addresses\"} 0");
	free(t);

	/* An unreadable port range drops the ratio, nothing else. */
	o.port_range_lo = 1;
	o.port_range_hi = 0;
	t = render(c, &o);
	assert_int_equal(count_prefix(t, "netstat_tcp_ephemeral_ports_max_used_ratio"), 0);
	LINE(t, "netstat_tcp_ephemeral_ports_max_used 0");
	free(t);
	census_free(c);
}

static void test_directions_and_listeners(void **state)
{
	struct census *c = census_new();
	struct census_opts o;
	char *t;

	(void)state;
	defaults(&o);
	/* Port 80: two SO_REUSEPORT IPv4 listeners and one IPv6 one. */
	add_listener(c, AF_INET, 80, 3, 128);
	add_listener(c, AF_INET, 80, 5, 128);
	add_listener(c, AF_INET6, 80, 0, 4096);
	add_listener(c, AF_INET, 22, 0, 128);
	/* Inbound to 80: established, request sockets (SYN_RECV), TIME_WAIT. */
	add_tcp(c, DIAG_KSTATE_ESTABLISHED, "10.0.0.1", 80, "203.0.113.5", 40000, 4);
	add_tcp(c, DIAG_KSTATE_SYN_RECV, "10.0.0.1", 80, "203.0.113.6", 40001, 2);
	add_tcp(c, DIAG_KSTATE_TIME_WAIT, "10.0.0.1", 80, "192.168.1.4", 40002, 1);
	/* An IPv6 socket talking to an IPv4 client: ipv6 family, IPv4 peer. */
	add(c, sk(IPPROTO_TCP, AF_INET6, DIAG_KSTATE_ESTABLISHED, "10.0.0.1", 80, "100.64.0.3", 40003), 1);
	add(c, sk(IPPROTO_TCP, AF_INET6, DIAG_KSTATE_CLOSE_WAIT, "2001:db8::1", 80, "fe80::1", 40004), 1);
	/* Outbound: to 5432 (no listener here), from a port that is not 22. */
	add_tcp(c, DIAG_KSTATE_ESTABLISHED, "10.0.0.1", 50000, "10.0.0.9", 5432, 3);
	add_tcp(c, DIAG_KSTATE_SYN_SENT, "10.0.0.1", 50001, "127.0.0.1", 22, 1);
	/* UDP. */
	add(c, sk(IPPROTO_UDP, AF_INET, DIAG_KSTATE_CLOSE, "0.0.0.0", 53, "0.0.0.0", 0), 2);
	{
		struct diag_sock u = sk(IPPROTO_UDP, AF_INET6, DIAG_KSTATE_ESTABLISHED, "::1", 999, "::1", 53);
		u.rqueue = 768;
		u.wqueue = 256;
		add(c, u, 1);
	}

	t = render(c, &o);
	LINE(t, "netstat_tcp_sockets{family=\"ipv4\",state=\"listen\"} 3");
	LINE(t, "netstat_tcp_sockets{family=\"ipv6\",state=\"listen\"} 1");
	LINE(t, "netstat_tcp_sockets{family=\"ipv4\",state=\"established\"} 7");
	LINE(t, "netstat_tcp_sockets{family=\"ipv4\",state=\"syn_recv\"} 2");
	LINE(t, "netstat_tcp_sockets{family=\"ipv6\",state=\"established\"} 1");
	LINE(t, "netstat_tcp_sockets{family=\"ipv6\",state=\"close_wait\"} 1");

	LINE(t, "netstat_tcp_port_sockets{direction=\"inbound\",port=\"80\",state=\"established\"} 5");
	LINE(t, "netstat_tcp_port_sockets{direction=\"inbound\",port=\"80\",state=\"syn_recv\"} 2");
	LINE(t, "netstat_tcp_port_sockets{direction=\"inbound\",port=\"80\",state=\"time_wait\"} 1");
	LINE(t, "netstat_tcp_port_sockets{direction=\"inbound\",port=\"80\",state=\"close_wait\"} 1");
	LINE(t, "netstat_tcp_port_sockets{direction=\"outbound\",port=\"5432\",state=\"established\"} 3");
	/* Outbound to a remote 22 stays outbound though we listen on 22. */
	LINE(t, "netstat_tcp_port_sockets{direction=\"outbound\",port=\"22\",state=\"syn_sent\"} 1");
	/* Only states seen, for ports outside the allowlist. */
	NO_LINE(t, "netstat_tcp_port_sockets{direction=\"inbound\",port=\"80\",state=\"fin_wait1\"} 0");
	assert_int_equal(count_prefix(t, "netstat_tcp_port_sockets{"), 6);

	LINE(t, "netstat_tcp_listeners{port=\"80\"} 3");
	LINE(t, "netstat_tcp_listen_queue_length{port=\"80\"} 8");
	LINE(t, "netstat_tcp_listen_backlog{port=\"80\"} 4352");
	LINE(t, "netstat_tcp_listeners{port=\"22\"} 1");

	LINE(t, "netstat_tcp_peer_sockets{scope=\"public\",direction=\"inbound\"} 6");
	LINE(t, "netstat_tcp_peer_sockets{scope=\"private\",direction=\"inbound\"} 2");
	LINE(t, "netstat_tcp_peer_sockets{scope=\"link_local\",direction=\"inbound\"} 1");
	LINE(t, "netstat_tcp_peer_sockets{scope=\"private\",direction=\"outbound\"} 3");
	LINE(t, "netstat_tcp_peer_sockets{scope=\"loopback\",direction=\"outbound\"} 1");
	LINE(t, "netstat_tcp_peer_sockets{scope=\"public\",direction=\"outbound\"} 0");

	LINE(t, "netstat_udp_sockets{family=\"ipv4\",state=\"unconnected\"} 2");
	LINE(t, "netstat_udp_sockets{family=\"ipv6\",state=\"connected\"} 1");
	LINE(t, "netstat_udp_receive_queue_bytes{family=\"ipv6\"} 768");
	LINE(t, "netstat_udp_send_queue_bytes{family=\"ipv6\"} 256");
	LINE(t, "netstat_udp_send_queue_bytes{family=\"ipv4\"} 0");
	free(t);
	census_free(c);
}

static void test_port_cut(void **state)
{
	struct census *c = census_new();
	struct census_opts o;
	char *t;

	(void)state;
	defaults(&o);
	o.top_ports = 3;
	allow(&o, 1005);
	allow(&o, 9999);
	/* Outbound to ports 1000..1009, port 1000+i holding i+1 sockets. */
	for (unsigned i = 0; i < 10; i++)
		add_tcp(c, DIAG_KSTATE_ESTABLISHED, "10.0.0.1", (uint16_t)(40000 + i), "10.0.0.9",
			(uint16_t)(1000 + i), i + 1);
	add_tcp(c, DIAG_KSTATE_TIME_WAIT, "10.0.0.1", 41000, "10.0.0.9", 1000, 2);
	t = render(c, &o);
	/* Top 3 outside the allowlist: 1009 (10), 1008 (9), 1007 (8). */
	LINE(t, "netstat_tcp_port_sockets{direction=\"outbound\",port=\"1009\",state=\"established\"} 10");
	LINE(t, "netstat_tcp_port_sockets{direction=\"outbound\",port=\"1008\",state=\"established\"} 9");
	LINE(t, "netstat_tcp_port_sockets{direction=\"outbound\",port=\"1007\",state=\"established\"} 8");
	/* Allowlisted: every non-listen state, even zero, both directions. */
	LINE(t, "netstat_tcp_port_sockets{direction=\"outbound\",port=\"1005\",state=\"established\"} 6");
	LINE(t, "netstat_tcp_port_sockets{direction=\"outbound\",port=\"1005\",state=\"closing\"} 0");
	LINE(t, "netstat_tcp_port_sockets{direction=\"inbound\",port=\"9999\",state=\"syn_recv\"} 0");
	NO_LINE(t, "netstat_tcp_port_sockets{direction=\"inbound\",port=\"9999\",state=\"listen\"} 0");
	assert_int_equal(count_prefix(t, "netstat_tcp_port_sockets{direction=\"inbound\",port=\"9999\""), 10);
	assert_int_equal(count_prefix(t, "netstat_tcp_port_sockets{direction=\"outbound\",port=\"1005\""), 10);
	/* The rest: 1000..1004 and 1006: 1+2+3+4+5+7 established, 2 time_wait. */
	LINE(t, "netstat_tcp_port_sockets{direction=\"outbound\",port=\"other\",state=\"established\"} 22");
	LINE(t, "netstat_tcp_port_sockets{direction=\"outbound\",port=\"other\",state=\"time_wait\"} 2");
	NO_LINE(t, "netstat_tcp_port_sockets{direction=\"outbound\",port=\"1006\",state=\"established\"} 7");
	NO_LINE(t, "netstat_tcp_port_sockets{direction=\"inbound\",port=\"other\",state=\"established\"} 0");
	/* Allowlisted ports with no listener still get listener series. */
	LINE(t, "netstat_tcp_listeners{port=\"9999\"} 0");
	LINE(t, "netstat_tcp_listen_queue_length{port=\"1005\"} 0");
	free(t);
	census_free(c);
}

/* The top-N rule both the census and the health families use: larger key
 * first (key[0], then key[1]), ties to the lower port; with need_key, zero
 * keys never enter. */
static void test_rank_ports(void **state)
{
	static const struct {
		unsigned top;
		bool need_key;
		size_t want_top;
		uint16_t want[6]; /* ports in ranked order */
	} cases[] = {
		{10, false, 6, {80, 443, 22, 53, 25, 8080}},
		{3, false, 3, {80, 443, 22, 53, 25, 8080}},
		{0, false, 0, {80, 443, 22, 53, 25, 8080}},
		{10, true, 5, {80, 443, 22, 53, 25, 8080}},
		{4, true, 4, {80, 443, 22, 53, 25, 8080}},
	};
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		/* 443 and 80 tie on key[0]: key[1] decides; 22 and 53 tie on both:
		 * the lower port; 8080 has a zero key. */
		struct census_rank r[6] = {
			{{0, 0}, 8080, NULL}, {{5, 0}, 53, NULL}, {{9, 1}, 443, NULL},
			{{2, 7}, 25, NULL}, {{5, 0}, 22, NULL}, {{9, 3}, 80, NULL},
		};
		size_t n = census_rank_ports(r, 6, cases[c].top, cases[c].need_key);
		assert_int_equal(n, cases[c].want_top);
		for (size_t i = 0; i < 6; i++)
			assert_int_equal(r[i].port, cases[c].want[i]);
	}
	/* Nothing to rank. */
	assert_int_equal(census_rank_ports(NULL, 0, 10, true), 0);
}

static void test_listen_cut(void **state)
{
	struct census *c = census_new();
	struct census_opts o;
	char *t;

	(void)state;
	defaults(&o);
	o.max_listen_ports = 2;
	allow(&o, 9000);
	add_listener(c, AF_INET, 9000, 1, 10);
	add_listener(c, AF_INET, 443, 1, 10);
	add_listener(c, AF_INET, 80, 2, 20);
	add_listener(c, AF_INET, 8080, 3, 30);
	add_listener(c, AF_INET6, 8081, 4, 40);
	t = render(c, &o);
	LINE(t, "netstat_tcp_listeners{port=\"80\"} 1");
	LINE(t, "netstat_tcp_listeners{port=\"443\"} 1");
	LINE(t, "netstat_tcp_listeners{port=\"9000\"} 1");
	LINE(t, "netstat_tcp_listeners{port=\"other\"} 2");
	LINE(t, "netstat_tcp_listen_queue_length{port=\"other\"} 7");
	LINE(t, "netstat_tcp_listen_backlog{port=\"other\"} 70");
	assert_int_equal(count_prefix(t, "netstat_tcp_listeners{"), 4);
	free(t);
	census_free(c);
}

static void test_top_peers(void **state)
{
	struct census *c = census_new();
	struct census_opts o;
	char *t;

	(void)state;
	defaults(&o);
	add_listener(c, AF_INET6, 443, 0, 128);
	add_tcp(c, DIAG_KSTATE_SYN_RECV, "10.0.0.1", 443, "198.51.100.7", 1, 12);
	/* The same address behind IPv6 sockets (mapped) is the same peer. */
	add(c, sk(IPPROTO_TCP, AF_INET6, DIAG_KSTATE_SYN_RECV, "10.0.0.1", 443, "198.51.100.8", 1), 11);
	add_tcp(c, DIAG_KSTATE_SYN_RECV, "10.0.0.1", 443, "198.51.100.8", 2, 1);
	add_tcp(c, DIAG_KSTATE_SYN_RECV, "10.0.0.1", 443, "198.51.100.9", 1, 9);
	add(c, sk(IPPROTO_TCP, AF_INET6, DIAG_KSTATE_ESTABLISHED, "2001:db8::1", 443, "2001:db8::99", 1), 10);
	add_tcp(c, DIAG_KSTATE_TIME_WAIT, "10.0.0.1", 443, "198.51.100.10", 1, 50);
	/* Outbound sockets are nobody's flood. */
	add_tcp(c, DIAG_KSTATE_ESTABLISHED, "10.0.0.1", 50000, "10.0.0.9", 5432, 30);

	t = render(c, &o);
	LINE(t, "netstat_tcp_top_inbound_peer_sockets{state=\"syn_recv\",address=\"198.51.100.8\"} 12");
	LINE(t, "netstat_tcp_top_inbound_peer_sockets{state=\"syn_recv\",address=\"198.51.100.7\"} 12");
	LINE(t, "netstat_tcp_top_inbound_peer_sockets{state=\"established\",address=\"2001:db8::99\"} 10");
	assert_int_equal(count_prefix(t, "netstat_tcp_top_inbound_peer_sockets{"), 3);
	/* Ties go to the lower address, so the order is stable. */
	assert_true(strstr(t, "address=\"198.51.100.7\"") < strstr(t, "address=\"198.51.100.8\""));
	free(t);

	o.top_peers = 1;
	o.peer_min_sockets = 1;
	t = render(c, &o);
	LINE(t, "netstat_tcp_top_inbound_peer_sockets{state=\"syn_recv\",address=\"198.51.100.7\"} 12");
	assert_int_equal(count_prefix(t, "netstat_tcp_top_inbound_peer_sockets{"), 2);
	free(t);

	o.top_peers = 0;
	t = render(c, &o);
	assert_null(strstr(t, "netstat_tcp_top_inbound_peer_sockets"));
	free(t);
	census_free(c);
}

static void test_ephemeral(void **state)
{
	struct census *c = census_new();
	struct census_opts o;
	struct strbuf want;
	char *t;

	(void)state;
	defaults(&o);
	add_listener(c, AF_INET, 80, 0, 128);
	/* (10.0.0.1 -> 10.0.0.9:5432): 3 established + 2 time_wait = 5. */
	add_tcp(c, DIAG_KSTATE_ESTABLISHED, "10.0.0.1", 40000, "10.0.0.9", 5432, 3);
	add_tcp(c, DIAG_KSTATE_TIME_WAIT, "10.0.0.1", 40001, "10.0.0.9", 5432, 2);
	/* The same remote from another local address, or another port. */
	add_tcp(c, DIAG_KSTATE_ESTABLISHED, "10.0.0.2", 40000, "10.0.0.9", 5432, 4);
	add_tcp(c, DIAG_KSTATE_ESTABLISHED, "10.0.0.1", 40000, "10.0.0.9", 6379, 4);
	/* Inbound sockets hold no ephemeral port. */
	add_tcp(c, DIAG_KSTATE_ESTABLISHED, "10.0.0.1", 80, "10.0.0.9", 5555, 9);
	t = render(c, &o);
	LINE(t, "netstat_tcp_ephemeral_ports_max_used 5");
	sb_init(&want);
	sb_puts(&want, "netstat_tcp_ephemeral_ports_max_used_ratio ");
	expo_put_f64(&want, 5.0 / 28232.0);
	LINE(t, want.buf);
	sb_fini(&want);
	free(t);
	census_free(c);
}

/* Another collector's names and constant labels: two censuses (say two
 * network namespaces) into the same families of one set. */
static void test_emit_other_names(void **state)
{
	struct expo_desc names[CENSUS_METRIC_COUNT];
	static char buf[CENSUS_METRIC_COUNT][96];
	struct census *a = census_new(), *b = census_new();
	struct census_opts o;
	struct expo *e = expo_new();
	struct census_out co = {.e = e, .desc = names};
	struct strbuf sb;

	(void)state;
	for (int m = 0; m < CENSUS_METRIC_COUNT; m++) {
		/* netstat_tcp_sockets -> netstat_netns_tcp_sockets */
		snprintf(buf[m], sizeof(buf[m]), "netstat_netns_%s", sockets_metrics[m].name + 8);
		names[m] = sockets_metrics[m];
		names[m].name = buf[m];
	}
	defaults(&o);
	add_listener(a, AF_INET, 80, 0, 128);
	add_tcp(b, DIAG_KSTATE_ESTABLISHED, "10.0.0.1", 40000, "10.0.0.9", 5432, 3);
	assert_int_equal(census_emit(a, &o, &co, EXPO_LABELS({"netns", "a"}, {"pod", "p1"})), 0);
	assert_int_equal(census_emit(b, &o, &co, EXPO_LABELS({"netns", "b"}, {"pod", "p2"})), 0);
	sb_init(&sb);
	assert_int_equal(expo_render(e, EXPO_FMT_TEXT, &sb), 0);
	LINE(sb.buf, "netstat_netns_tcp_listeners{port=\"80\",netns=\"a\",pod=\"p1\"} 1");
	LINE(sb.buf, "netstat_netns_tcp_sockets{family=\"ipv4\",state=\"established\",netns=\"b\",pod=\"p2\"} 3");
	LINE(sb.buf, "netstat_netns_tcp_ephemeral_ports_max_used{netns=\"b\",pod=\"p2\"} 3");
	assert_int_equal(count_prefix(sb.buf, "# TYPE netstat_netns_tcp_sockets gauge"), 1);
	assert_int_equal(count_prefix(sb.buf, "netstat_netns_tcp_sockets{"), 44);
	assert_int_equal(count_prefix(sb.buf, "netstat_tcp_"), 0);
	/* Too many constant labels: an error, not an overflow. */
	struct expo_label many[CENSUS_MAX_CONST_LABELS + 1];
	for (size_t i = 0; i < CENSUS_MAX_CONST_LABELS + 1; i++)
		many[i] = (struct expo_label){"x", "y"};
	assert_int_equal(census_emit(a, &o, &co, many, CENSUS_MAX_CONST_LABELS + 1), -EINVAL);
	sb_fini(&sb);
	expo_free(e);
	census_free(a);
	census_free(b);
}

/* Filling two censuses and merging gives what one census gives. */
static void test_merge_equals_single(void **state)
{
	struct census *one = census_new(), *a = census_new(), *b = census_new();
	struct census_opts o;
	uint32_t x = 12345;
	char *t1, *t2;

	(void)state;
	defaults(&o);
	o.top_ports = 4;
	o.peer_min_sockets = 2;
	for (uint16_t p = 8000; p < 8004; p++) {
		add_listener(one, AF_INET, p, p % 3, 100);
		add_listener(a, AF_INET, p, p % 3, 100);
	}
	census_copy_listeners(b, a);
	for (int i = 0; i < 5000; i++) {
		char src[32], dst[32];
		uint8_t kstate;
		uint16_t sport, dport;
		struct diag_sock s;

		x = x * 1103515245u + 12345u;
		kstate = (uint8_t)(1 + (x >> 8) % 12);
		if (kstate == DIAG_KSTATE_LISTEN)
			kstate = DIAG_KSTATE_ESTABLISHED;
		snprintf(src, sizeof(src), "10.0.%u.%u", (x >> 12) % 3, (x >> 14) % 4);
		snprintf(dst, sizeof(dst), "%u.0.0.%u", (x >> 16) % 2 ? 203 : 10, (x >> 18) % 8);
		sport = (x >> 20) % 2 ? (uint16_t)(8000 + (x >> 21) % 4) : (uint16_t)(30000 + (x >> 21) % 9);
		dport = (uint16_t)(1 + (x >> 24) % 16);
		s = sk(IPPROTO_TCP, (x >> 5) % 2 ? AF_INET : AF_INET6, kstate, src, sport, dst, dport);
		assert_int_equal(census_add(one, &s), 0);
		assert_int_equal(census_add(i % 2 ? a : b, &s), 0);
	}
	assert_int_equal(census_merge(a, b), 0);
	t1 = render(one, &o);
	t2 = render(a, &o);
	assert_string_equal(t1, t2);
	assert_true(count_prefix(t1, "netstat_tcp_top_inbound_peer_sockets{") > 0);
	free(t1);
	free(t2);

	/* And a reset census is an empty one. */
	census_reset(a);
	census_free(one);
	one = census_new();
	t1 = render(one, &o);
	t2 = render(a, &o);
	assert_string_equal(t1, t2);
	free(t1);
	free(t2);
	census_free(one);
	census_free(a);
	census_free(b);
}

static void test_table_caps(void **state)
{
	struct census *c = census_new(), *d = census_new();
	struct census_opts o;
	char *t;

	(void)state;
	defaults(&o);
	add_listener(c, AF_INET, 443, 0, 128);
	census_copy_listeners(d, c);
	for (uint32_t i = 0; i < CENSUS_MAX_PEERS + 5; i++) {
		char dst[32];
		snprintf(dst, sizeof(dst), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		add_tcp(c, DIAG_KSTATE_ESTABLISHED, "10.255.0.1", 443, dst, 1, 1);
		add_tcp(c, DIAG_KSTATE_ESTABLISHED, "10.255.0.1", 40000, dst, 5432, 1);
	}
	/* A flood source seen after the table filled is still untracked... */
	add_tcp(c, DIAG_KSTATE_SYN_RECV, "10.255.0.1", 443, "198.51.100.1", 1, 3);
	/* ...and merged entries that do not fit are counted too. */
	add_tcp(d, DIAG_KSTATE_SYN_RECV, "10.255.0.1", 443, "198.51.100.2", 1, 4);
	assert_int_equal(census_merge(c, d), 0);
	assert_int_equal(census_untracked(c, CENSUS_TABLE_PEERS), 5 + 3 + 4);
	assert_int_equal(census_untracked(c, CENSUS_TABLE_TUPLES), 5);
	t = render(c, &o);
	LINE(t, "netstat_tcp_untracked_sockets{table=\"peer_addresses\"} 12");
	LINE(t, "netstat_tcp_untracked_sockets{table=\"ephemeral_tuples\"} 5");
	/* Everything else still counts every socket. */
	LINE(t, "netstat_tcp_peer_sockets{scope=\"private\",direction=\"inbound\"} 16389");
	LINE(t, "netstat_tcp_sockets{family=\"ipv4\",state=\"syn_recv\"} 7");
	free(t);
	census_free(c);
	census_free(d);
}

static void test_scope(void **state)
{
	static const struct {
		const char *addr;
		enum census_scope want;
	} cases[] = {
		{"127.0.0.1", CENSUS_SCOPE_LOOPBACK},
		{"127.255.3.4", CENSUS_SCOPE_LOOPBACK},
		{"0.0.0.0", CENSUS_SCOPE_LOOPBACK},
		{"169.254.10.1", CENSUS_SCOPE_LINK_LOCAL},
		{"169.253.10.1", CENSUS_SCOPE_PUBLIC},
		{"10.1.2.3", CENSUS_SCOPE_PRIVATE},
		{"172.16.0.1", CENSUS_SCOPE_PRIVATE},
		{"172.31.255.255", CENSUS_SCOPE_PRIVATE},
		{"172.32.0.1", CENSUS_SCOPE_PUBLIC},
		{"172.15.0.1", CENSUS_SCOPE_PUBLIC},
		{"192.168.0.1", CENSUS_SCOPE_PRIVATE},
		{"192.169.0.1", CENSUS_SCOPE_PUBLIC},
		{"100.64.0.1", CENSUS_SCOPE_PRIVATE},
		{"100.127.255.255", CENSUS_SCOPE_PRIVATE},
		{"100.128.0.1", CENSUS_SCOPE_PUBLIC},
		{"100.63.0.1", CENSUS_SCOPE_PUBLIC},
		{"8.8.8.8", CENSUS_SCOPE_PUBLIC},
		{"::1", CENSUS_SCOPE_LOOPBACK},
		{"::", CENSUS_SCOPE_LOOPBACK},
		{"::2", CENSUS_SCOPE_PUBLIC},
		{"fe80::1", CENSUS_SCOPE_LINK_LOCAL},
		{"febf::1", CENSUS_SCOPE_LINK_LOCAL},
		{"fec0::1", CENSUS_SCOPE_PUBLIC},
		{"fc00::1", CENSUS_SCOPE_PRIVATE},
		{"fd12:3456::1", CENSUS_SCOPE_PRIVATE},
		{"fe00::1", CENSUS_SCOPE_PUBLIC},
		{"2001:db8::1", CENSUS_SCOPE_PUBLIC},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t a[16] = {0};
		int fam = strchr(cases[i].addr, ':') ? AF_INET6 : AF_INET;
		assert_int_equal(inet_pton(fam, cases[i].addr, a), 1);
		if (census_scope_of((uint8_t)fam, a) != cases[i].want)
			fail_msg("%s: got %d want %d", cases[i].addr,
				 census_scope_of((uint8_t)fam, a), cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_has_every_state),
		cmocka_unit_test(test_directions_and_listeners),
		cmocka_unit_test(test_port_cut),
		cmocka_unit_test(test_rank_ports),
		cmocka_unit_test(test_listen_cut),
		cmocka_unit_test(test_top_peers),
		cmocka_unit_test(test_ephemeral),
		cmocka_unit_test(test_emit_other_names),
		cmocka_unit_test(test_merge_equals_single),
		cmocka_unit_test(test_table_caps),
		cmocka_unit_test(test_scope),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
