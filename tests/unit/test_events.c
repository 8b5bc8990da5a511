/* events: the pure parts of the event layer. Reason names as label values
 * (events/reasons), and the readings of the kernel's counts map turned into
 * bounded monotonic series (events/series): deltas, LRU evictions, the
 * allowlist, top-N ports kept once chosen, port="other", a full table. */
#include <linux/types.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "events/reasons.h"
#include "events/series.h"

static void test_reason_labels(void **state)
{
	static const struct {
		const char *kname, *prefix, *proto, *want;
	} cases[] = {
		{"SKB_DROP_REASON_TCP_LISTEN_OVERFLOW", "SKB_DROP_REASON_", "tcp_", "listen_overflow"},
		{"SKB_DROP_REASON_SOCKET_RCVBUFF", "SKB_DROP_REASON_", "udp_", "socket_rcvbuff"},
		{"SKB_DROP_REASON_UDP_CSUM", "SKB_DROP_REASON_", "udp_", "csum"},
		{"SKB_DROP_REASON_TCP_CSUM", "SKB_DROP_REASON_", "udp_", "tcp_csum"},
		{"SKB_CONSUMED", "SKB_DROP_REASON_", "tcp_", "skb_consumed"},
		{"SK_RST_REASON_NO_SOCKET", "SK_RST_REASON_", "tcp_", "no_socket"},
		{"SK_RST_REASON_TCP_RFC7323_PAWS", "SK_RST_REASON_", "tcp_", "rfc7323_paws"},
		{"SK_RST_REASON_", "SK_RST_REASON_", "tcp_", "sk_rst_reason_"}, /* nothing after */
		{"SK_RST_REASON_TCP_", "SK_RST_REASON_", "tcp_", "tcp_"},
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		events_reason_label(cases[i].kname, cases[i].prefix, buf, sizeof(buf));
		assert_string_equal(events_reason_strip(buf, cases[i].proto), cases[i].want);
	}
	events_reason_label("SKB_DROP_REASON_NO_SOCKET", "SKB_DROP_REASON_", buf, 4);
	assert_string_equal(buf, "no_");
}

static void test_reason_table(void **state)
{
	struct events_reasons r;

	(void)state;
	events_reasons_init(&r);
	assert_int_equal(events_reasons_add(&r, "SKB_DROP_REASON_NO_SOCKET", 3, "SKB_DROP_REASON_"), 0);
	assert_int_equal(events_reasons_add(&r, "SKB_DROP_REASON_MAX", EVENTS_REASONS_MAX,
					    "SKB_DROP_REASON_"), -ERANGE);
	assert_int_equal(events_reasons_add(&r, "X", -1, ""), -ERANGE);
	assert_string_equal(events_reasons_name(&r, 3), "no_socket");
	assert_string_equal(events_reasons_name(&r, 4), "other");
	assert_string_equal(events_reasons_name(&r, 70000), "other");
	assert_int_equal(r.n, 1);
	events_reasons_fini(&r);
}

static struct events_count cnt(uint32_t netns, uint16_t port, uint8_t kind, uint64_t v)
{
	struct events_count c;

	memset(&c, 0, sizeof(c));
	c.key.netns = netns;
	c.key.port = port;
	c.key.kind = kind;
	c.key.dir = EV_DIR_NONE;
	c.value = v;
	return c;
}

/* The value of the series (netns, port or other, kind); -1 when absent. */
static int64_t get(struct events_series *s, uint32_t netns, int port, uint8_t kind)
{
	const struct events_serie *v;
	size_t n = events_series_list(s, &v);

	for (size_t i = 0; i < n; i++) {
		if (v[i].key.netns != netns || v[i].key.kind != kind)
			continue;
		if (port < 0 ? events_serie_other(&v[i])
			     : !events_serie_other(&v[i]) && v[i].key.port == port)
			return (int64_t)v[i].value;
	}
	return -1;
}

static void test_series(void **state)
{
	uint64_t allow[65536 / 64] = {0};
	struct events_series *s;
	struct events_count r[4];

	(void)state;
	allow[443 / 64] |= 1ull << (443 % 64);
	s = events_series_new(allow, 1);
	assert_non_null(s);
	/* First reading: 443 allowlisted; 80 the busiest other port gets the one
	 * top slot; 22 goes to other. */
	r[0] = cnt(7, 443, EV_RST_SENT, 2);
	r[1] = cnt(7, 80, EV_RST_SENT, 10);
	r[2] = cnt(7, 22, EV_RST_SENT, 4);
	assert_int_equal(events_series_update(s, r, 3), 0);
	assert_int_equal(get(s, 7, 443, EV_RST_SENT), 2);
	assert_int_equal(get(s, 7, 80, EV_RST_SENT), 10);
	assert_int_equal(get(s, 7, -1, EV_RST_SENT), 4);
	assert_int_equal(get(s, 7, 22, EV_RST_SENT), -1);
	/* 22 gets busier than 80: 80 keeps its series (kept once chosen), 22
	 * stays in other, nothing moves between series. The same key read
	 * twice in one reading counts once. */
	r[0] = cnt(7, 443, EV_RST_SENT, 3);
	r[1] = cnt(7, 80, EV_RST_SENT, 11);
	r[2] = cnt(7, 22, EV_RST_SENT, 100);
	r[3] = r[2];
	assert_int_equal(events_series_update(s, r, 4), 0);
	assert_int_equal(get(s, 7, 443, EV_RST_SENT), 3);
	assert_int_equal(get(s, 7, 80, EV_RST_SENT), 11);
	assert_int_equal(get(s, 7, -1, EV_RST_SENT), 100);
	/* 80 evicted from the kernel's LRU map and back at 5: counts from 0.
	 * 443 missing from a reading, then back lower than before: the same. */
	r[0] = cnt(7, 22, EV_RST_SENT, 100);
	assert_int_equal(events_series_update(s, r, 1), 0);
	r[0] = cnt(7, 80, EV_RST_SENT, 5);
	r[1] = cnt(7, 443, EV_RST_SENT, 1);
	assert_int_equal(events_series_update(s, r, 2), 0);
	assert_int_equal(get(s, 7, 80, EV_RST_SENT), 16);
	assert_int_equal(get(s, 7, 443, EV_RST_SENT), 4);
	/* Another namespace, another kind: their own series. */
	r[0] = cnt(8, 80, EV_TCP_DROP, 1);
	assert_int_equal(events_series_update(s, r, 1), 0);
	assert_int_equal(get(s, 8, 80, EV_TCP_DROP), 1);
	assert_int_equal(get(s, 7, 80, EV_RST_SENT), 16);
	assert_int_equal(events_series_dropped(s), 0);
	events_series_free(s);
}

static void test_series_sorted_and_full(void **state)
{
	uint64_t allow[65536 / 64];
	static struct events_count r[EV_COUNTS_MAX];
	const struct events_serie *v;
	struct events_series *s;
	size_t n;

	(void)state;
	memset(allow, 0xff, sizeof(allow)); /* every port its own series */
	s = events_series_new(allow, 0);
	assert_non_null(s);
	/* Fill the table: EVENTS_SERIES_MAX series, in two readings. */
	for (size_t i = 0; i < EV_COUNTS_MAX; i++)
		r[i] = cnt((uint32_t)(EV_COUNTS_MAX - i), 1 + (uint16_t)(i % 1000), EV_UDP_DROP, 1);
	assert_int_equal(events_series_update(s, r, EV_COUNTS_MAX), 0);
	n = events_series_list(s, &v);
	assert_int_equal(n, EV_COUNTS_MAX);
	for (size_t i = 1; i < n; i++)
		assert_true(v[i - 1].key.netns < v[i].key.netns ||
			    (v[i - 1].key.netns == v[i].key.netns && v[i - 1].key.port < v[i].key.port));
	/* One more key: no room, its increase is counted as dropped. */
	r[0] = cnt(999999, 5, EV_UDP_DROP, 7);
	assert_int_equal(events_series_update(s, r, 1), 0);
	assert_int_equal(events_series_dropped(s), 7);
	assert_int_equal(get(s, 999999, 5, EV_UDP_DROP), -1);
	events_series_free(s);
}

/* Namespaces that went away: dropped once missed by two calls in a row and
 * for the time given, kept while seen or counting; an inode reused after
 * the drop starts from 0 though the kernel's counter went on. */
static void test_series_forget(void **state)
{
	uint64_t allow[65536 / 64] = {0};
	const uint32_t own = 1, pod = 9;
	uint32_t seen[2] = {own, pod};
	struct events_series *s;
	struct events_count r[2];

	(void)state;
	allow[80 / 64] |= 1ull << (80 % 64);
	s = events_series_new(allow, 0);
	assert_non_null(s);
	r[0] = cnt(own, 80, EV_RST_SENT, 3);
	r[1] = cnt(pod, 80, EV_RST_SENT, 5);
	assert_int_equal(events_series_update(s, r, 2), 0);
	assert_int_equal(events_series_forget(s, seen, 2, 100, 60), 0);
	/* pod unseen: once is not enough, nor twice within 60 s. */
	assert_int_equal(events_series_update(s, r, 2), 0);
	assert_int_equal(events_series_forget(s, seen, 1, 110, 60), 0);
	assert_int_equal(events_series_update(s, r, 2), 0);
	assert_int_equal(events_series_forget(s, seen, 1, 159, 60), 0);
	assert_int_equal(get(s, pod, 80, EV_RST_SENT), 5);
	/* It counts while unseen: alive, from now on. */
	r[1] = cnt(pod, 80, EV_RST_SENT, 7);
	assert_int_equal(events_series_update(s, r, 2), 0);
	assert_int_equal(events_series_forget(s, seen, 1, 170, 60), 0);
	assert_int_equal(events_series_update(s, r, 2), 0);
	assert_int_equal(events_series_forget(s, seen, 1, 229, 60), 0);
	assert_int_equal(get(s, pod, 80, EV_RST_SENT), 7);
	/* Seen again: the count of misses starts over. */
	assert_int_equal(events_series_update(s, r, 2), 0);
	assert_int_equal(events_series_forget(s, seen, 2, 240, 60), 0);
	assert_int_equal(events_series_update(s, r, 2), 0);
	assert_int_equal(events_series_forget(s, seen, 1, 400, 60), 0);
	assert_int_equal(get(s, pod, 80, EV_RST_SENT), 7);
	/* Missed twice and silent for 60 s: gone; own stays. */
	assert_int_equal(events_series_update(s, r, 2), 0);
	assert_int_equal(events_series_forget(s, seen, 1, 401, 60), 1);
	assert_int_equal(get(s, pod, 80, EV_RST_SENT), -1);
	assert_int_equal(get(s, own, 80, EV_RST_SENT), 3);
	/* Its silent counter stays absent. */
	assert_int_equal(events_series_update(s, r, 2), 0);
	assert_int_equal(get(s, pod, 80, EV_RST_SENT), -1);
	/* The inode reused: the kernel's key goes on from 7; the new
	 * namespace's series counts its own 4. */
	r[1] = cnt(pod, 80, EV_RST_SENT, 11);
	assert_int_equal(events_series_update(s, r, 2), 0);
	assert_int_equal(events_series_forget(s, seen, 2, 402, 60), 0);
	assert_int_equal(get(s, pod, 80, EV_RST_SENT), 4);
	/* after 0: the second miss drops it. */
	assert_int_equal(events_series_update(s, r, 2), 0);
	assert_int_equal(events_series_forget(s, seen, 1, 403, 0), 0);
	assert_int_equal(events_series_update(s, r, 2), 0);
	assert_int_equal(events_series_forget(s, seen, 1, 403, 0), 1);
	assert_int_equal(get(s, pod, 80, EV_RST_SENT), -1);
	assert_int_equal(get(s, own, 80, EV_RST_SENT), 3);
	events_series_free(s);
}

/* A skipped run counted before it is applied is no loss; one never applied
 * is, once two readings a hold apart saw it; the count never goes down. */
static void test_gap_lost(void **state)
{
	struct events_gap g = {0};

	(void)state;
	assert_int_equal(events_gap_lost(&g, 0, 0, 10.0), 0);
	/* A reading between a skip and its recovery, then one after it. */
	assert_int_equal(events_gap_lost(&g, 3, 2, 11.0), 0);
	assert_int_equal(events_gap_lost(&g, 3, 3, 12.0), 0);
	/* Readings less than a hold apart change nothing. */
	assert_int_equal(events_gap_lost(&g, 5, 3, 12.5), 0);
	/* Two never applied: seen at 13 and still at 14. */
	assert_int_equal(events_gap_lost(&g, 5, 3, 13.0), 0);
	assert_int_equal(events_gap_lost(&g, 6, 3, 14.0), 2);
	/* Recovered running ahead of the misses read before it: no gap. */
	assert_int_equal(events_gap_lost(&g, 6, 7, 15.0), 2);
	assert_int_equal(events_gap_lost(&g, 7, 7, 16.0), 2);
	/* A third never applied: the count grows to 3, never down. */
	assert_int_equal(events_gap_lost(&g, 8, 5, 17.0), 2);
	assert_int_equal(events_gap_lost(&g, 8, 5, 18.0), 3);
	assert_int_equal(events_gap_lost(&g, 9, 9, 19.0), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_labels),
		cmocka_unit_test(test_reason_table),
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_series_sorted_and_full),
		cmocka_unit_test(test_series_forget),
		cmocka_unit_test(test_gap_lost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
