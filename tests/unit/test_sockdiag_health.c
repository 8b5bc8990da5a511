/* Unit tests for sockdiag/health: per-port queues, the tcp_info families and
 * UDP drops, from hand-made sockets, rendered and read back line by line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "collectors/sockets.h"
#include "sockdiag/health.h"

static struct diag_sock tcp(uint8_t kstate, uint32_t rq, uint32_t wq, uint32_t rtt_us)
{
	struct diag_sock s;

	memset(&s, 0, sizeof(s));
	s.family = s.addr_family = AF_INET;
	s.protocol = IPPROTO_TCP;
	s.kstate = kstate;
	s.rqueue = rq;
	s.wqueue = wq;
	s.have = DIAG_HAVE_TCP_INFO | DIAG_HAVE_TCP_BYTES;
	s.info.rtt_us = rtt_us;
	s.info.bytes_acked = 1000;
	s.info.bytes_received = 10;
	return s;
}

static struct diag_sock udp(uint16_t port, uint32_t rq, uint32_t drops)
{
	struct diag_sock s;

	memset(&s, 0, sizeof(s));
	s.family = s.addr_family = AF_INET;
	s.protocol = IPPROTO_UDP;
	s.kstate = 7;
	s.sport = port;
	s.rqueue = rq;
	s.drops = drops;
	s.have = DIAG_HAVE_DROPS;
	return s;
}

static char *render(const struct health *h, const struct health_opts *o)
{
	struct expo *e = expo_new();
	struct health_out ho = {.desc = sockets_health_metrics};
	struct strbuf sb;
	char *out;

	assert_non_null(e);
	ho.e = e;
	assert_int_equal(health_emit(h, o, &ho, EXPO_NOLABELS), 0);
	sb_init(&sb);
	assert_int_equal(expo_render(e, EXPO_FMT_TEXT, &sb), 0);
	out = strdup(sb.buf ? sb.buf : "");
	sb_fini(&sb);
	expo_free(e);
	return out;
}

/* The value of series line `series` (exactly as rendered), or NULL. */
static const char *value(const char *text, const char *series)
{
	static char buf[64];
	size_t n = strlen(series);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ') {
			size_t len = strcspn(p + n + 1, "\n");
			snprintf(buf, sizeof(buf), "%.*s", (int)len, p + n + 1);
			return buf;
		}
	}
	return NULL;
}

static void expect(const char *text, const char *series, const char *want)
{
	const char *got = value(text, series);

	if (want == NULL) {
		if (got != NULL)
			fail_msg("%s: got %s, want absent", series, got);
		return;
	}
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got %s, want %s", series, got ? got : "<absent>", want);
}

static void test_buckets_and_sums(void **state)
{
	struct health *h = health_new();
	struct health_opts o = {NULL, 10, true};
	struct diag_sock s;
	char *t;

	(void)state;
	assert_non_null(h);
	/* RTTs on both sides of edges: 100 us is in le=0.0001, 101 us is not. */
	s = tcp(DIAG_KSTATE_ESTABLISHED, 0, 0, 100);
	assert_int_equal(health_add_tcp(h, CENSUS_INBOUND, 80, &s), 0);
	s = tcp(DIAG_KSTATE_ESTABLISHED, 5, 7, 101);
	s.info.retrans = 1;
	s.info.total_retrans = 3;
	assert_int_equal(health_add_tcp(h, CENSUS_INBOUND, 80, &s), 0);
	s = tcp(DIAG_KSTATE_ESTABLISHED, 0, 0, 300000); /* 300 ms */
	s.info.ca_state = DIAG_TCP_CA_LOSS;
	s.info.total_retrans = 4;
	assert_int_equal(health_add_tcp(h, CENSUS_INBOUND, 80, &s), 0);
	s = tcp(DIAG_KSTATE_ESTABLISHED, 0, 0, 20000000); /* 20 s: only +Inf */
	assert_int_equal(health_add_tcp(h, CENSUS_INBOUND, 80, &s), 0);
	/* Not established: queues count, tcp_info does not. */
	s = tcp(DIAG_KSTATE_CLOSE_WAIT, 9, 0, 100);
	s.info.total_retrans = 100;
	assert_int_equal(health_add_tcp(h, CENSUS_INBOUND, 80, &s), 0);
	/* Established without tcp_info (an attribute too short). */
	s = tcp(DIAG_KSTATE_ESTABLISHED, 0, 0, 100);
	s.have = 0;
	assert_int_equal(health_add_tcp(h, CENSUS_INBOUND, 80, &s), 0);

	t = render(h, &o);
	expect(t, "netstat_tcp_port_receive_queue_bytes{direction=\"inbound\",port=\"80\"}", "14");
	expect(t, "netstat_tcp_port_send_queue_bytes{direction=\"inbound\",port=\"80\"}", "7");
	expect(t, "netstat_tcp_port_receive_queue_nonempty_sockets{direction=\"inbound\",port=\"80\"}", "2");
	expect(t, "netstat_tcp_port_rtt_seconds_bucket{direction=\"inbound\",port=\"80\",le=\"0.0001\"}", "1");
	expect(t, "netstat_tcp_port_rtt_seconds_bucket{direction=\"inbound\",port=\"80\",le=\"0.00025\"}", "2");
	expect(t, "netstat_tcp_port_rtt_seconds_bucket{direction=\"inbound\",port=\"80\",le=\"0.25\"}", "2");
	expect(t, "netstat_tcp_port_rtt_seconds_bucket{direction=\"inbound\",port=\"80\",le=\"0.5\"}", "3");
	expect(t, "netstat_tcp_port_rtt_seconds_bucket{direction=\"inbound\",port=\"80\",le=\"10\"}", "3");
	expect(t, "netstat_tcp_port_rtt_seconds_bucket{direction=\"inbound\",port=\"80\",le=\"+Inf\"}", "4");
	expect(t, "netstat_tcp_port_rtt_seconds_gcount{direction=\"inbound\",port=\"80\"}", "4");
	expect(t, "netstat_tcp_port_rtt_seconds_gsum{direction=\"inbound\",port=\"80\"}", "20.300201");
	expect(t, "netstat_tcp_port_retransmitting_sockets{direction=\"inbound\",port=\"80\"}", "2");
	expect(t, "netstat_tcp_port_retransmitted_segments{direction=\"inbound\",port=\"80\"}", "7");
	expect(t, "netstat_tcp_port_acked_bytes{direction=\"inbound\",port=\"80\"}", "4000");
	expect(t, "netstat_tcp_port_received_bytes{direction=\"inbound\",port=\"80\"}", "40");
	/* No outbound sockets: no outbound series. */
	assert_null(strstr(t, "direction=\"outbound\""));
	free(t);

	/* tcp-info off: the queue families only. */
	o.tcp_info = false;
	t = render(h, &o);
	expect(t, "netstat_tcp_port_receive_queue_bytes{direction=\"inbound\",port=\"80\"}", "14");
	assert_null(strstr(t, "rtt_seconds"));
	assert_null(strstr(t, "retransmit"));
	assert_null(strstr(t, "acked_bytes"));
	free(t);
	health_free(h);
}

/* The census's cut: allowlist always (even unseen), the top N by socket
 * count (ties: lower port), the rest under "other"; tcp_info families skip
 * ports without established sockets unless allowlisted. */
static void test_port_cut(void **state)
{
	struct health *h = health_new();
	uint64_t allow[65536 / 64] = {0};
	struct health_opts o = {allow, 2, true};
	struct diag_sock s;
	char *t;

	(void)state;
	allow[9999 / 64] |= 1ull << (9999 % 64);
	for (int i = 0; i < 3; i++) {
		s = tcp(DIAG_KSTATE_ESTABLISHED, 1, 0, 1000);
		assert_int_equal(health_add_tcp(h, CENSUS_OUTBOUND, 443, &s), 0);
	}
	for (int i = 0; i < 2; i++) {
		s = tcp(DIAG_KSTATE_TIME_WAIT, 0, 0, 0);
		assert_int_equal(health_add_tcp(h, CENSUS_OUTBOUND, 53, &s), 0);
		s = tcp(DIAG_KSTATE_ESTABLISHED, 2, 0, 1000);
		assert_int_equal(health_add_tcp(h, CENSUS_OUTBOUND, 5432, &s), 0);
	}
	s = tcp(DIAG_KSTATE_ESTABLISHED, 4, 0, 1000);
	assert_int_equal(health_add_tcp(h, CENSUS_OUTBOUND, 6379, &s), 0);

	t = render(h, &o);
	/* 443 (3 sockets), then 53 and 5432 tie at 2: 53 wins. */
	expect(t, "netstat_tcp_port_receive_queue_bytes{direction=\"outbound\",port=\"443\"}", "3");
	expect(t, "netstat_tcp_port_receive_queue_bytes{direction=\"outbound\",port=\"53\"}", "0");
	expect(t, "netstat_tcp_port_receive_queue_bytes{direction=\"outbound\",port=\"5432\"}", NULL);
	expect(t, "netstat_tcp_port_receive_queue_bytes{direction=\"outbound\",port=\"other\"}", "8");
	expect(t, "netstat_tcp_port_receive_queue_bytes{direction=\"outbound\",port=\"9999\"}", "0");
	expect(t, "netstat_tcp_port_receive_queue_bytes{direction=\"inbound\",port=\"9999\"}", "0");
	/* Port 53 has only TIME_WAIT: no RTT series; 9999 is allowlisted. */
	expect(t, "netstat_tcp_port_rtt_seconds_gcount{direction=\"outbound\",port=\"53\"}", NULL);
	expect(t, "netstat_tcp_port_rtt_seconds_gcount{direction=\"outbound\",port=\"9999\"}", "0");
	expect(t, "netstat_tcp_port_rtt_seconds_gcount{direction=\"outbound\",port=\"other\"}", "3");
	expect(t, "netstat_tcp_port_rtt_seconds_bucket{direction=\"outbound\",port=\"other\",le=\"0.001\"}", "3");
	free(t);
	health_free(h);
}

/* UDP: top N by drops (then receive queue); quiet ports go to "other". */
static void test_udp(void **state)
{
	struct health *h = health_new();
	struct health_opts o = {NULL, 2, false};
	struct diag_sock s;
	char *t;

	(void)state;
	s = udp(53, 0, 10);
	assert_int_equal(health_add_udp(h, &s), 0);
	s = udp(53, 100, 5); /* SO_REUSEPORT sibling: summed */
	assert_int_equal(health_add_udp(h, &s), 0);
	s = udp(514, 2048, 0);
	assert_int_equal(health_add_udp(h, &s), 0);
	s = udp(123, 0, 1);
	assert_int_equal(health_add_udp(h, &s), 0);
	s = udp(40000, 0, 0);
	assert_int_equal(health_add_udp(h, &s), 0);

	t = render(h, &o);
	expect(t, "netstat_udp_port_dropped_datagrams{port=\"53\"}", "15");
	expect(t, "netstat_udp_port_receive_queue_bytes{port=\"53\"}", "100");
	expect(t, "netstat_udp_port_dropped_datagrams{port=\"123\"}", "1");
	expect(t, "netstat_udp_port_dropped_datagrams{port=\"514\"}", NULL);
	expect(t, "netstat_udp_port_receive_queue_bytes{port=\"other\"}", "2048");
	expect(t, "netstat_udp_port_dropped_datagrams{port=\"other\"}", "0");
	free(t);
	health_free(h);
}

/* Two workers' aggregates merge into what one would have counted; reset
 * forgets everything. */
static void test_merge_reset(void **state)
{
	struct health *a = health_new(), *b = health_new(), *one = health_new();
	struct health_opts o = {NULL, 10, true};
	char *ta, *tone;

	(void)state;
	for (uint32_t i = 0; i < 40; i++) {
		struct diag_sock s = tcp(DIAG_KSTATE_ESTABLISHED, i, 2 * i, 50 * i * i);
		struct diag_sock u = udp((uint16_t)(1000 + i % 3), i, i % 5);
		uint16_t port = (uint16_t)(8000 + i % 4);
		assert_int_equal(health_add_tcp(i % 2 ? a : b, i % 3 ? CENSUS_INBOUND : CENSUS_OUTBOUND, port, &s), 0);
		assert_int_equal(health_add_tcp(one, i % 3 ? CENSUS_INBOUND : CENSUS_OUTBOUND, port, &s), 0);
		assert_int_equal(health_add_udp(i % 2 ? b : a, &u), 0);
		assert_int_equal(health_add_udp(one, &u), 0);
	}
	assert_int_equal(health_merge(a, b), 0);
	ta = render(a, &o);
	tone = render(one, &o);
	assert_string_equal(ta, tone);
	free(ta);
	health_reset(a);
	ta = render(a, &o);
	assert_string_equal(ta, "");
	free(ta);
	free(tone);
	health_free(a);
	health_free(b);
	health_free(one);
	health_free(NULL);
}

/* Constant labels go after each sample's own; too many is -EINVAL. */
static void test_const_labels(void **state)
{
	struct health *h = health_new();
	struct health_opts o = {NULL, 10, true};
	struct diag_sock s = tcp(DIAG_KSTATE_ESTABLISHED, 3, 0, 100);
	struct expo *e = expo_new();
	struct health_out ho = {.e = e, .desc = sockets_health_metrics};
	struct expo_label many[HEALTH_MAX_CONST_LABELS + 1];
	struct strbuf sb;

	(void)state;
	assert_int_equal(health_add_tcp(h, CENSUS_INBOUND, 80, &s), 0);
	assert_int_equal(health_emit(h, &o, &ho, EXPO_LABELS({"netns", "blue"})), 0);
	sb_init(&sb);
	assert_int_equal(expo_render(e, EXPO_FMT_TEXT, &sb), 0);
	expect(sb.buf, "netstat_tcp_port_receive_queue_bytes{direction=\"inbound\",port=\"80\",netns=\"blue\"}", "3");
	expect(sb.buf, "netstat_tcp_port_rtt_seconds_bucket{direction=\"inbound\",port=\"80\",netns=\"blue\",le=\"0.0001\"}", "1");
	sb_fini(&sb);
	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		many[i] = (struct expo_label){"x", "y"};
	assert_int_equal(health_emit(h, &o, &ho, many, sizeof(many) / sizeof(many[0])), -EINVAL);
	expo_free(e);
	health_free(h);
}

/* The key the census gives a socket, which health files it under. */
static void test_census_key(void **state)
{
	struct census *c = census_new();
	struct diag_sock s = tcp(DIAG_KSTATE_LISTEN, 0, 128, 0);
	uint16_t port = 0;

	(void)state;
	assert_non_null(c);
	s.sport = 443;
	assert_int_equal(census_key(c, &s, &port), -1); /* listeners have no key */
	assert_int_equal(census_add(c, &s), 0);
	s = tcp(DIAG_KSTATE_ESTABLISHED, 0, 0, 0);
	s.sport = 443;
	s.dport = 50000;
	assert_int_equal(census_key(c, &s, &port), CENSUS_INBOUND);
	assert_int_equal(port, 443);
	s.sport = 50001;
	s.dport = 5432;
	assert_int_equal(census_key(c, &s, &port), CENSUS_OUTBOUND);
	assert_int_equal(port, 5432);
	s.kstate = 13; /* a state the census does not report */
	assert_int_equal(census_key(c, &s, &port), -1);
	s = udp(53, 0, 0);
	assert_int_equal(census_key(c, &s, &port), -1);
	census_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_and_sums),
		cmocka_unit_test(test_port_cut),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_merge_reset),
		cmocka_unit_test(test_census_key),
		cmocka_unit_test(test_const_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
