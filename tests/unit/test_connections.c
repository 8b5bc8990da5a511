/* connections: the query-string parser (good, bad and hostile strings), the
 * JSON string writer, and the view (filters, bounded heap against a full
 * sort, grouping, worker merge). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "connections/query.h"
#include "connections/view.h"
#include "expo/json.h"
#include "owners/cache.h"
#include "sockdiag/reply.h"
#include "fixture_tree.h"

/* ---- query ---- */

static void test_query_defaults(void **st)
{
	struct conn_query q;
	struct strbuf err;

	(void)st;
	sb_init(&err);
	assert_int_equal(conn_query_parse(&q, NULL, &err), 0);
	assert_int_equal(q.limit, CONN_LIMIT_DEFAULT);
	assert_int_equal(q.sort, CONN_COL_LOCAL);
	assert_false(q.desc);
	assert_int_equal(q.states, 0);
	assert_int_equal(q.group, CONN_GROUP_NONE);
	assert_int_equal(conn_query_parse(&q, "", &err), 0);
	/* Empty values are unset form fields, not filters. */
	assert_int_equal(conn_query_parse(&q, "state=&port=&remote=&program=&&", &err), 0);
	assert_int_equal(q.states, 0);
	assert_false(q.has_port);
	assert_false(q.has_remote);
	sb_fini(&err);
}

static void test_query_values(void **st)
{
	struct conn_query q;
	struct strbuf err;
	uint8_t a[16];

	(void)st;
	sb_init(&err);
	assert_int_equal(conn_query_parse(&q,
		"state=syn_recv,established&port=443&rport=0&remote=192.0.2.0%2F24&program=nginx"
		"&country=DE&sort=rqueue&order=desc&limit=5000&proto=tcp&direction=inbound,local",
		&err), 0);
	assert_int_equal(q.states, (1u << DIAG_TCP_SYN_RECV) | (1u << DIAG_TCP_ESTABLISHED));
	assert_true(q.has_port);
	assert_int_equal(q.port, 443);
	assert_true(q.has_rport);
	assert_int_equal(q.rport, 0);
	assert_string_equal(q.program, "nginx");
	assert_string_equal(q.country, "DE");
	assert_int_equal(q.sort, CONN_COL_RQUEUE);
	assert_true(q.desc);
	assert_int_equal(q.limit, 5000);
	assert_int_equal(q.protos, CONN_PROTO_TCP);
	assert_int_equal(q.directions, (1u << CONN_DIR_INBOUND) | (1u << CONN_DIR_LOCAL));
	inet_pton(AF_INET, "192.0.2.77", a);
	assert_true(conn_query_remote_match(&q, AF_INET, a));
	inet_pton(AF_INET, "192.0.3.1", a);
	assert_false(conn_query_remote_match(&q, AF_INET, a));
	inet_pton(AF_INET6, "2001:db8::1", a);
	assert_false(conn_query_remote_match(&q, AF_INET6, a));

	/* A prefix not on a byte boundary; host bits in the filter are dropped. */
	assert_int_equal(conn_query_parse(&q, "remote=2001:db8:ffff::1/33", &err), 0);
	inet_pton(AF_INET6, "2001:db8:8000::5", a);
	assert_true(conn_query_remote_match(&q, AF_INET6, a));
	inet_pton(AF_INET6, "2001:db8:7fff::5", a);
	assert_false(conn_query_remote_match(&q, AF_INET6, a));
	/* An IPv4-mapped address or prefix matches IPv4 peers, as rows show
	 * them (un-mapped); a prefix wider than the mapped range stays IPv6. */
	{
		static const struct {
			const char *query, *addr;
			bool match;
		} mapped[] = {
			{"remote=::ffff:127.0.0.1/128", "127.0.0.1", true},
			{"remote=::ffff:127.0.0.1", "127.0.0.1", true},
			{"remote=::ffff:127.0.0.1", "127.0.0.2", false},
			{"remote=::FFFF:7f00:0/104", "127.9.9.9", true},
			{"remote=::ffff:0.0.0.0/96", "198.51.100.7", true},
			{"remote=::ffff:192.0.2.0/120", "192.0.3.1", false},
			{"remote=::ffff:127.0.0.1", "::ffff:127.0.0.1", false},
			{"remote=::ffff:0:0/95", "127.0.0.1", false},
			{"remote=::ffff:0:0/95", "::fffe:1:2", true},
			{"remote=::fffe:127.0.0.1/128", "127.0.0.1", false},
		};
		for (size_t i = 0; i < sizeof(mapped) / sizeof(mapped[0]); i++) {
			int fam = strchr(mapped[i].addr, ':') ? AF_INET6 : AF_INET;
			assert_int_equal(conn_query_parse(&q, mapped[i].query, &err), 0);
			assert_int_equal(inet_pton(fam, mapped[i].addr, a), 1);
			if (conn_query_remote_match(&q, (uint8_t)fam, a) != mapped[i].match)
				fail_msg("%s against %s: want %s", mapped[i].query, mapped[i].addr,
					 mapped[i].match ? "a match" : "none");
		}
	}
	/* A bare address is a /32 or /128; '+' decodes to a space. */
	/* States as ss and netstat write them. */
	assert_int_equal(conn_query_parse(&q, "state=SYN_RECV,syn-recv,Time-Wait", &err), 0);
	assert_int_equal(q.states, (1u << DIAG_TCP_SYN_RECV) | (1u << DIAG_TCP_TIME_WAIT));
	assert_int_equal(conn_query_parse(&q, "remote=198.51.100.7&program=my+prog", &err), 0);
	assert_int_equal(q.remote_len, 32);
	assert_string_equal(q.program, "my prog");
	assert_int_equal(conn_query_parse(&q, "group=program&state=unconnected", &err), 0);
	assert_int_equal(q.group, CONN_GROUP_PROGRAM);
	assert_int_equal(q.states, 1u << CONN_STATE_UDP_UNCONNECTED);
	/* The program name is compared exactly, any bytes but controls. */
	assert_int_equal(conn_query_parse(&q, "program=%3Cimg%20src%3Dx%3E", &err), 0);
	assert_string_equal(q.program, "<img src=x>");
	assert_int_equal(conn_query_parse(&q, "retransmitting=true&sort=rtt", &err), 0);
	assert_int_equal(q.retransmitting, CONN_RETRANSMITTING_YES);
	assert_int_equal(q.sort, CONN_COL_RTT);
	assert_int_equal(conn_query_parse(&q, "retransmitting=false&sort=retrans", &err), 0);
	assert_int_equal(q.retransmitting, CONN_RETRANSMITTING_NO);
	assert_int_equal(q.sort, CONN_COL_RETRANS);
	assert_int_equal(conn_query_parse(&q, "program=%C3%A9t%C3%A9", &err), 0);
	assert_string_equal(q.program, "\xc3\xa9t\xc3\xa9");
	sb_fini(&err);
}

static const struct {
	const char *raw;
	const char *msg; /* the start of the error line */
} bad_queries[] = {
	{"bogus=1", "unknown parameter 'bogus'"},
	{"state=syn_recv&state=listen", "parameter 'state' given twice"},
	{"state=syn_recv,", "bad value for 'state'"},
	{"port=65536", "bad value for 'port'"},
	{"port=-1", "bad value for 'port'"},
	{"port=80x", "bad value for 'port'"},
	{"port=000000080", "bad value for 'port'"},
	{"limit=0", "bad value for 'limit'"},
	{"limit=5001", "bad value for 'limit'"},
	{"limit=99999999999999999999", "bad value for 'limit'"},
	{"remote=10.0.0.0/33", "bad value for 'remote'"},
	{"remote=10.0.0.0/", "bad value for 'remote'"},
	{"remote=10.0.0", "bad value for 'remote'"},
	{"remote=::1/129", "bad value for 'remote'"},
	{"remote=example.com", "bad value for 'remote'"},
	{"country=de", "bad value for 'country'"},
	{"country=DEU", "bad value for 'country'"},
	{"sort=name", "bad value for 'sort'"},
	{"order=up", "bad value for 'order'"},
	{"group=bogus", "bad value for 'group'"},
	{"asn=0", "bad value for 'asn'"},
	{"asn=4294967296", "bad value for 'asn'"},
	{"format=xml", "bad value for 'format'"},
	{"retransmitting=yes", "bad value for 'retransmitting'"},
	{"retransmitting=1", "bad value for 'retransmitting'"},
	{"proto=sctp", "bad value for 'proto'"},
	{"direction=sideways", "bad value for 'direction'"},
	{"program=abcdefghijklmnopqrstuvwxyz12", "bad value for 'program'"},
	{"program=a%00b", "bad query string"},
	{"program=%0aadmin", "bad query string"},
	{"program=%zz", "bad query string"},
	{"program=%4", "bad query string"},
	{"program=%", "bad query string"},
	{"program=\x01", "bad query string"},
	{"pid=0", "bad value for 'pid'"},
	{"pid=-1", "bad value for 'pid'"},
	{"pid=12a", "bad value for 'pid'"},
	{"pid=2147483648", "bad value for 'pid'"},
	{"%ff%fe=1", "unknown parameter"},
	{"<script>=1", "unknown parameter '<script>'"},
};

static void test_query_bad(void **st)
{
	struct conn_query q;
	struct strbuf err;
	char *huge;

	(void)st;
	sb_init(&err);
	for (size_t i = 0; i < sizeof(bad_queries) / sizeof(bad_queries[0]); i++) {
		sb_reset(&err);
		if (conn_query_parse(&q, bad_queries[i].raw, &err) != -EINVAL)
			fail_msg("accepted: %s", bad_queries[i].raw);
		assert_non_null(err.buf);
		if (strncmp(err.buf, bad_queries[i].msg, strlen(bad_queries[i].msg)) != 0)
			fail_msg("%s: got '%s', want '%s...'", bad_queries[i].raw, err.buf,
				 bad_queries[i].msg);
		/* The message quotes nothing unprintable. */
		for (const char *p = err.buf; *p; p++)
			assert_true(*p >= 0x20 && *p < 0x7f);
	}
	huge = malloc(CONN_QUERY_MAX_LEN + 10);
	memset(huge, 'a', CONN_QUERY_MAX_LEN + 9);
	huge[CONN_QUERY_MAX_LEN + 9] = '\0';
	sb_reset(&err);
	assert_int_equal(conn_query_parse(&q, huge, &err), -EINVAL);
	assert_non_null(strstr(err.buf, "longer than"));
	/* A value longer than any parameter needs, but inside the total. */
	memcpy(huge, "program=", 8);
	huge[600] = '\0';
	sb_reset(&err);
	assert_int_equal(conn_query_parse(&q, huge, &err), -EINVAL);
	free(huge);
	sb_fini(&err);
}

/* ---- json ---- */

static void test_json(void **st)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"plain", "\"plain\""},
		{"a\"b\\c", "\"a\\\"b\\\\c\""},
		{"<img src=x onerror=alert(1)>", "\"\\u003cimg src=x onerror=alert(1)\\u003e\""},
		{"tab\there\nnl\x7f", "\"tab\\u0009here\\u000anl\\u007f\""},
		{"&amp;", "\"\\u0026amp;\""},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
		{"bad\xff", "\"bad\\ufffd\""},
		{"trunc\xc3", "\"trunc\\ufffd\""},
		{"overlong\xc0\xaf", "\"overlong\\ufffd\\ufffd\""},
		{"surrogate\xed\xa0\x80", "\"surrogate\\ufffd\\ufffd\\ufffd\""},
		{"", "\"\""},
	};
	struct strbuf sb;

	(void)st;
	sb_init(&sb);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sb_reset(&sb);
		json_str(&sb, cases[i].in);
		assert_int_equal(sb.err, 0);
		assert_string_equal(sb.buf, cases[i].out);
	}
	sb_reset(&sb);
	json_key(&sb, "k");
	assert_string_equal(sb.buf, "\"k\":");
	sb_fini(&sb);
}

/* ---- view ---- */

static struct conn_row mkrow(unsigned i)
{
	struct conn_row r;

	memset(&r, 0, sizeof(r));
	r.proto = i % 7 == 0 ? CONN_PROTO_UDP : CONN_PROTO_TCP;
	r.family = r.addr_family = AF_INET;
	r.state = r.proto == CONN_PROTO_UDP ? CONN_STATE_UDP_CONNECTED : (uint8_t)(i % 3);
	r.direction = (uint8_t)(i % CONN_DIR_COUNT);
	r.sport = (uint16_t)(1000 + i % 5);
	r.dport = (uint16_t)(40000 + i);
	r.src[0] = 10;
	r.dst[0] = 192;
	r.dst[1] = 0;
	r.dst[2] = 2;
	r.dst[3] = (uint8_t)(i % 11);
	r.rqueue = (i * 7919u) % 1000;
	r.inode = i + 1;
	r.pid = (int32_t)(i % 4);
	r.cc = (uint16_t)(1 + i % 3);
	snprintf(r.comm, sizeof(r.comm), "prog%u", i % 4);
	/* tcp_info on most TCP rows; RTT and counts with ties. */
	if (r.proto == CONN_PROTO_TCP && i % 5 != 0) {
		r.has_info = true;
		r.rtt_us = (i * 37u) % 400;
		r.total_retrans = i % 6;
		r.retransmitting = i % 4 == 1;
	}
	return r;
}

static int cmp_qsort(const void *a, const void *b, void *q)
{
	return conn_row_cmp(q, a, b);
}

/* The heap's kept rows equal the first `limit` of a full sort, for every
 * column and both orders, with rows spread over two workers. */
static void test_view_heap_matches_sort(void **st)
{
	enum { N = 500 };
	struct conn_row all[N], want[N];

	(void)st;
	for (unsigned i = 0; i < N; i++)
		all[i] = mkrow(i);
	for (int c = 0; c < CONN_COL_COUNT; c++) {
		for (int desc = 0; desc < 2; desc++) {
			struct conn_query q;
			struct conn_view *v;
			const struct conn_row *got;
			size_t n, nwant = 0;

			conn_query_init(&q);
			q.sort = (enum conn_column)c;
			q.desc = desc;
			q.limit = 37;
			q.protos = CONN_PROTO_TCP;
			v = conn_view_new(&q, 2);
			assert_non_null(v);
			for (unsigned i = 0; i < N; i++) {
				assert_int_equal(conn_view_add(v, i % 2, &all[i]), 0);
				if (all[i].proto == CONN_PROTO_TCP)
					want[nwant++] = all[i];
			}
			assert_int_equal(conn_view_finish(v), 0);
			qsort_r(want, nwant, sizeof(want[0]), cmp_qsort, &q);
			assert_int_equal(conn_view_total(v), nwant);
			got = conn_view_rows(v, &n);
			assert_int_equal(n, 37);
			for (size_t i = 0; i < n; i++)
				if (memcmp(&got[i], &want[i], sizeof(got[i])) != 0)
					fail_msg("sort=%s desc=%d: row %zu differs", conn_column_name(c), desc, i);
			conn_view_free(v);
		}
	}
}

/* Sorted by rtt or retrans, rows without tcp_info come last in both orders,
 * and the others are in order of the column. */
static void test_view_sort_tcp_info(void **st)
{
	enum { N = 200 };

	(void)st;
	for (int c = CONN_COL_RTT; c <= CONN_COL_RETRANS; c++) {
		for (int desc = 0; desc < 2; desc++) {
			struct conn_query q;
			struct conn_view *v;
			const struct conn_row *got;
			size_t n, ninfo = 0;

			conn_query_init(&q);
			q.sort = (enum conn_column)c;
			q.desc = desc;
			q.limit = N;
			v = conn_view_new(&q, 2);
			assert_non_null(v);
			for (unsigned i = 0; i < N; i++) {
				struct conn_row r = mkrow(i);
				ninfo += r.has_info;
				assert_int_equal(conn_view_add(v, i % 2, &r), 0);
			}
			assert_int_equal(conn_view_finish(v), 0);
			got = conn_view_rows(v, &n);
			assert_int_equal(n, N);
			assert_true(ninfo > 0 && ninfo < N);
			for (size_t i = 0; i < n; i++) {
				assert_int_equal(got[i].has_info, i < ninfo);
				if (i == 0 || i >= ninfo)
					continue;
				uint64_t a = c == CONN_COL_RTT ? got[i - 1].rtt_us : got[i - 1].total_retrans;
				uint64_t b = c == CONN_COL_RTT ? got[i].rtt_us : got[i].total_retrans;
				if (desc ? a < b : a > b)
					fail_msg("sort=%s desc=%d: row %zu out of order", conn_column_name(c), desc, i);
			}
			conn_view_free(v);
		}
	}
}

static void test_view_filters(void **st)
{
	struct strbuf err;
	enum { N = 300 };

	(void)st;
	sb_init(&err);
	static const char *const queries[] = {
		"state=syn_sent", "port=1003", "rport=40010", "remote=192.0.2.5", "remote=192.0.2.0/30",
		"program=prog2", "country=AB", "direction=local", "proto=udp", "state=connected",
		"state=established&port=1000&program=prog0", "retransmitting=true",
		"retransmitting=false",
	};
	for (size_t k = 0; k < sizeof(queries) / sizeof(queries[0]); k++) {
		struct conn_query q;
		struct conn_view *v;
		uint64_t want = 0;

		assert_int_equal(conn_query_parse(&q, queries[k], &err), 0);
		v = conn_view_new(&q, 1);
		for (unsigned i = 0; i < N; i++) {
			struct conn_row r = mkrow(i);
			bool m = true;
			if (q.states && !(q.states & (1u << r.state)))
				m = false;
			if (q.has_port && r.sport != q.port)
				m = false;
			if (q.has_rport && r.dport != q.rport)
				m = false;
			if (q.has_remote && (r.dst[3] & (q.remote_len == 32 ? 0xff : 0xfc)) != q.remote[3])
				m = false;
			if (q.has_program && strcmp(r.comm, q.program) != 0)
				m = false;
			if (q.has_country && r.cc != 2) /* "AB" is index 2 */
				m = false;
			if (q.directions && r.direction != CONN_DIR_LOCAL)
				m = false;
			if (q.protos && r.proto != CONN_PROTO_UDP)
				m = false;
			if (q.retransmitting && (!r.has_info ||
						 r.retransmitting != (q.retransmitting == CONN_RETRANSMITTING_YES)))
				m = false;
			want += m;
			conn_view_add(v, 0, &r);
		}
		assert_int_equal(conn_view_finish(v), 0);
		if (conn_view_total(v) != want || want == 0)
			fail_msg("%s: total %llu, want %llu (> 0)", queries[k],
				 (unsigned long long)conn_view_total(v), (unsigned long long)want);
		conn_view_free(v);
	}
	sb_fini(&err);
}

/* The program and pid filters match any holder of a shared socket: socat's
 * parent (pid 10) and child (11, renamed "socat-kid") share inode 40; pid
 * 12 holds 41 alone; inode 0 has no owner. Both filters together want one
 * owner that passes both. */
static void test_view_shared_owners(void **st)
{
	static const uint32_t parent[] = {40}, child[] = {40}, other[] = {41};
	static const struct {
		const char *query;
		uint64_t want;
	} cases[] = {
		{"pid=10", 1}, {"pid=11", 1}, {"pid=12", 1}, {"pid=99", 0},
		{"program=kid", 1}, {"program=socat", 1}, {"program=other", 1},
		{"program=none", 1}, {"pid=11&program=kid", 1}, {"pid=10&program=kid", 0},
		{"pid=12&program=socat", 0}, {"pid=10&program=none", 0},
	};
	struct fixture_tree t;
	struct owners *o;
	struct conn_row rows[3];
	struct strbuf err;

	(void)st;
	ftree_init(&t);
	ftree_proc(&t, 10, "socat", 100, parent, 1);
	ftree_proc(&t, 11, "socat-kid", 101, child, 1);
	ftree_proc(&t, 12, "other", 102, other, 1);
	o = owners_new(0, 0);
	assert_non_null(o);
	assert_int_equal(owners_refresh(o, t.fd, 0), 0);
	for (unsigned i = 0; i < 3; i++)
		rows[i] = mkrow(i);
	rows[0].inode = 40;
	rows[0].pid = 10;
	strcpy(rows[0].comm, "socat");
	rows[0].holders = o;
	rows[1].inode = 41;
	rows[1].pid = 12;
	strcpy(rows[1].comm, "other");
	rows[2].inode = 0;
	rows[2].pid = -1;
	rows[2].comm[0] = '\0';
	sb_init(&err);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct conn_query q;
		struct conn_view *v;

		assert_int_equal(conn_query_parse(&q, cases[k].query, &err), 0);
		v = conn_view_new(&q, 1);
		assert_non_null(v);
		for (unsigned i = 0; i < 3; i++)
			assert_int_equal(conn_view_add(v, 0, &rows[i]), 0);
		assert_int_equal(conn_view_finish(v), 0);
		if (conn_view_total(v) != cases[k].want)
			fail_msg("%s: %llu rows, want %llu", cases[k].query,
				 (unsigned long long)conn_view_total(v), (unsigned long long)cases[k].want);
		conn_view_free(v);
	}
	sb_fini(&err);
	owners_free(o);
	ftree_fini(&t);
}

static void test_view_groups(void **st)
{
	struct conn_query q;
	struct conn_view *v;
	const struct conn_group_rec *const *g;
	size_t n;
	uint64_t sum = 0;

	(void)st;
	conn_query_init(&q);
	q.group = CONN_GROUP_REMOTE;
	q.limit = 3;
	v = conn_view_new(&q, 2);
	for (unsigned i = 0; i < 110; i++) {
		struct conn_row r = mkrow(i);
		r.direction = CONN_DIR_INBOUND; /* listeners have no remote: not grouped */
		conn_view_add(v, i % 2, &r);
	}
	assert_int_equal(conn_view_finish(v), 0);
	assert_int_equal(conn_view_total(v), 110);
	assert_int_equal(conn_view_groups_total(v), 11); /* .0 to .10 */
	g = conn_view_groups(v, &n);
	assert_int_equal(n, 3);
	/* 110 sockets over 11 addresses: 10 each; ties go by key (address). */
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(g[i]->sockets, 10);
		assert_int_equal(g[i]->key[0], AF_INET);
		assert_int_equal(g[i]->key[4], i);
		sum += g[i]->cc_n[0] + g[i]->cc_n[1] + g[i]->cc_n[2] + g[i]->cc_n[3] + g[i]->cc_other;
	}
	assert_int_equal(sum, 30);
	conn_view_free(v);

	/* By local port: a client's ephemeral ports are no group; listeners
	 * and sockets on a listener's port are. */
	q.group = CONN_GROUP_PORT;
	q.limit = 10;
	v = conn_view_new(&q, 2);
	for (unsigned i = 0; i < 110; i++) {
		struct conn_row r = mkrow(i);
		r.direction = i % 3 == 0 ? CONN_DIR_LISTEN : CONN_DIR_OUTBOUND;
		r.on_listener = i % 3 == 1;
		conn_view_add(v, i % 2, &r);
	}
	assert_int_equal(conn_view_finish(v), 0);
	assert_int_equal(conn_view_total(v), 110);
	assert_int_equal(conn_view_ungrouped(v), 36); /* i % 3 == 2 */
	g = conn_view_groups(v, &n);
	sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += g[i]->sockets;
	assert_int_equal(sum, 74);
	conn_view_free(v);

	/* By program: four programs, the sizes of i % 4 over 0..109. */
	q.group = CONN_GROUP_PROGRAM;
	q.limit = 10;
	v = conn_view_new(&q, 2);
	for (unsigned i = 0; i < 110; i++) {
		struct conn_row r = mkrow(i);
		conn_view_add(v, i % 2, &r);
	}
	assert_int_equal(conn_view_finish(v), 0);
	g = conn_view_groups(v, &n);
	assert_int_equal(n, 4);
	assert_string_equal((const char *)g[0]->key, "prog0");
	assert_int_equal(g[0]->sockets, 28);
	assert_string_equal((const char *)g[1]->key, "prog1");
	assert_int_equal(g[1]->sockets, 28);
	assert_int_equal(g[3]->sockets, 27);
	assert_int_equal(g[0]->states[0] + g[0]->states[1] + g[0]->states[2] +
			 g[0]->states[CONN_STATE_UDP_CONNECTED], 28);
	conn_view_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_defaults),
		cmocka_unit_test(test_query_values),
		cmocka_unit_test(test_query_bad),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_view_heap_matches_sort),
		cmocka_unit_test(test_view_sort_tcp_info),
		cmocka_unit_test(test_view_filters),
		cmocka_unit_test(test_view_shared_owners),
		cmocka_unit_test(test_view_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
