/* The pure procfs parsers: snmp pairs, snmp6, sockstat, ip_local_port_range
 * (numbers and sysctl lists: test_util_numbers.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "util/numbers.h"
#include "procfs/snmp_parse.h"
#include "procfs/sockstat_parse.h"
#include "procfs/sysctl.h"

/* Reads a fixture file into a malloc'd buffer. */
static char *slurp(const char *rel, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf = malloc(1 << 16);

	snprintf(path, sizeof(path), "%s/procfs/%s", FIXTURES_DIR, rel);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

static int streq(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

static const struct snmp_stat *find(const struct snmp_list *l, const char *proto,
				    const char *field)
{
	for (size_t i = 0; i < l->len; i++)
		if (streq(l->v[i].proto, l->v[i].proto_len, proto) &&
		    streq(l->v[i].field, l->v[i].field_len, field))
			return &l->v[i];
	return NULL;
}

/* The captured 6.18 files: every field, exact values, the signed MaxConn. */
static void test_snmp_real(void **state)
{
	struct snmp_list l;
	struct parse_error err = {0, NULL};
	size_t n1, n2, n3;
	char *snmp = slurp("proc-6.18/net/snmp", &n1);
	char *netstat = slurp("proc-6.18/net/netstat", &n2);
	char *snmp6 = slurp("proc-6.18/net/snmp6", &n3);
	const struct snmp_stat *s;

	(void)state;
	snmp_list_init(&l);
	assert_int_equal(snmp_parse_pairs(snmp, n1, &l, &err), 0);
	assert_int_equal(l.len, 20 + 29 + 1 + 15 + 9 + 9);
	assert_int_equal(snmp_parse_pairs(netstat, n2, &l, &err), 0);
	assert_int_equal(l.len, 83 + 135 + 18 + 76);
	assert_int_equal(snmp_parse_flat(snmp6, n3, &l, &err), 0);
	assert_int_equal(l.len, 312 + 90);

	s = find(&l, "Tcp", "MaxConn");
	assert_non_null(s);
	assert_true(s->negative);
	assert_true((int64_t)s->value == -1);
	s = find(&l, "Tcp", "OutRsts");
	assert_non_null(s);
	assert_false(s->negative);
	assert_true(s->value == 2);
	s = find(&l, "TcpExt", "TW");
	assert_non_null(s);
	assert_true(s->value == 11);
	s = find(&l, "IpExt", "InOctets");
	assert_non_null(s);
	assert_true(s->value == 45280653);
	s = find(&l, "IcmpMsg", "InType3");
	assert_non_null(s);
	assert_true(s->value == 1);
	assert_non_null(find(&l, "MPTcpExt", "MPCurrEstab"));
	s = find(&l, "Ip6", "OutOctets");
	assert_non_null(s);
	assert_true(s->value == 880);
	s = find(&l, "Icmp6", "OutType143");
	assert_non_null(s);
	assert_true(s->value == 4);
	assert_non_null(find(&l, "UdpLite6", "MemErrors"));
	snmp_list_fini(&l);
	free(snmp);
	free(netstat);
	free(snmp6);
}

static void test_snmp_huge_and_unknown(void **state)
{
	struct snmp_list l;
	struct parse_error err = {0, NULL};
	size_t n1, n2;
	char *snmp = slurp("proc-new/net/snmp", &n1);
	char *snmp6 = slurp("proc-new/net/snmp6", &n2);
	const struct snmp_stat *s;

	(void)state;
	snmp_list_init(&l);
	assert_int_equal(snmp_parse_pairs(snmp, n1, &l, &err), 0);
	assert_int_equal(snmp_parse_flat(snmp6, n2, &l, &err), 0);
	s = find(&l, "Ip", "InReceives");
	assert_non_null(s);
	assert_true(s->value == UINT64_MAX);
	s = find(&l, "Ip", "OutTransmits");
	assert_non_null(s);
	assert_false(s->negative);
	assert_true(s->value == (uint64_t)1 << 63);
	s = find(&l, "Sctp", "T1InitExpireds");
	assert_non_null(s);
	assert_true(s->value == 1);
	s = find(&l, "Ip6", "InReceives");
	assert_non_null(s);
	assert_true(s->value == UINT64_MAX);
	s = find(&l, "Sctp6", "InPackets");
	assert_non_null(s);
	assert_true(s->value == 11);
	snmp_list_fini(&l);
	free(snmp);
	free(snmp6);
}

/* Every malformed input is refused with its line and reason, and nothing of
 * it is left in the list (a previous file's fields stay). */
static void test_snmp_malformed(void **state)
{
	static const struct {
		const char *text;
		int flat;
		size_t line;
		const char *what;
	} cases[] = {
		{"Tcp: A B C\nTcp: 1 2\n", 0, 2, "fewer values than header fields"},
		{"Tcp: A B\nTcp: 1 2 3\n", 0, 2, "more values than header fields"},
		{"Ip: A B\nIp: 1 6", 0, 2, "truncated line (no newline at end)"},
		{"Ip: A B\nIp: 1 2\nTcp: A", 0, 3, "truncated line (no newline at end)"},
		{"TcpExt: A B\nTcpExt: 12 1x\n", 0, 2, "non-numeric value"},
		{"TcpExt: A\nTcpExt: 0x1f\n", 0, 2, "non-numeric value"},
		{"TcpExt: A\nTcpExt: 1.0\n", 0, 2, "non-numeric value"},
		{"Udp: A\nUdp: 18446744073709551616\n", 0, 2, "value out of range"},
		{"Tcp: A\nTcp: -9223372036854775809\n", 0, 2, "value out of range"},
		{"TcpExt: A B\n", 0, 2, "header line without a value line"},
		{"Tcp: A\nUdp: 4\n", 0, 2, "value line names another protocol than its header"},
		{"Tcp A B\nTcp 1 2\n", 0, 1, "line does not start with a protocol name and ':'"},
		{"\nTcp: A\nTcp: 1\n", 0, 1, "line does not start with a protocol name and ':'"},
		{"Tcp: A-B\nTcp: 1\n", 0, 1, "field name is not alphanumeric"},
		{"Ip6InReceives 1\nIp6InDelivers one\n", 1, 2, "non-numeric value"},
		{"Ip6InReceives 1\nIp6InDelivers\n", 1, 2, "name without a value"},
		{"Ip6InReceives 1 2\n", 1, 1, "more than one value on a line"},
		{"Ip6 1\n", 1, 1, "name is only a protocol"},
		{"Ip6InReceives 1", 1, 1, "truncated line (no newline at end)"},
		{"\n", 1, 1, "line does not start with an alphanumeric name"},
		{"Ip6In.Receives 1\n", 1, 1, "line does not start with an alphanumeric name"},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct snmp_list l;
		struct parse_error err = {0, NULL};
		const char *good = "Ip: Forwarding\nIp: 1\n";
		int rc;

		snmp_list_init(&l);
		assert_int_equal(snmp_parse_pairs(good, strlen(good), &l, &err), 0);
		assert_int_equal(l.len, 1);
		rc = cases[k].flat ? snmp_parse_flat(cases[k].text, strlen(cases[k].text), &l, &err)
				   : snmp_parse_pairs(cases[k].text, strlen(cases[k].text), &l, &err);
		assert_int_equal(rc, -EINVAL);
		assert_string_equal(err.what, cases[k].what);
		assert_int_equal(err.line, cases[k].line);
		assert_int_equal(l.len, 1);
		snmp_list_fini(&l);
	}
}

static void test_snmp_empty_and_edges(void **state)
{
	struct snmp_list l;
	struct parse_error err = {0, NULL};
	const char *empty_proto = "IcmpMsg:\nIcmpMsg:\n";
	const char *noprefix = "Frobs 3\nIcmp6OutType135 4\n";
	const char *tabs = "Tcp:\tA  B\nTcp:\t1\t 2\n";

	(void)state;
	snmp_list_init(&l);
	assert_int_equal(snmp_parse_pairs("", 0, &l, &err), 0);
	assert_int_equal(snmp_parse_flat("", 0, &l, &err), 0);
	assert_int_equal(l.len, 0);
	assert_int_equal(snmp_parse_pairs(empty_proto, strlen(empty_proto), &l, &err), 0);
	assert_int_equal(l.len, 0);
	assert_int_equal(snmp_parse_flat(noprefix, strlen(noprefix), &l, &err), 0);
	assert_int_equal(l.len, 2);
	assert_int_equal(l.v[0].proto_len, 0);
	assert_true(streq(l.v[0].field, l.v[0].field_len, "Frobs"));
	assert_true(streq(l.v[1].proto, l.v[1].proto_len, "Icmp6"));
	assert_true(streq(l.v[1].field, l.v[1].field_len, "OutType135"));
	assert_int_equal(snmp_parse_pairs(tabs, strlen(tabs), &l, &err), 0);
	assert_int_equal(l.len, 4);
	assert_true(streq(l.v[3].field, l.v[3].field_len, "B"));
	assert_true(l.v[3].value == 2);
	snmp_list_fini(&l);
}

static void test_sockstat(void **state)
{
	struct sockstat_list l;
	struct parse_error err = {0, NULL};
	size_t n;
	char *text = slurp("proc-6.18/net/sockstat", &n);
	static const struct {
		const char *text;
		size_t line;
		const char *what;
	} bad[] = {
		{"sockets: used 3\nTCP: inuse 1 orphan\n", 2, "key without a value"},
		{"TCP: inuse x\n", 1, "non-numeric value"},
		{"TCP: inuse -1\n", 1, "non-numeric value"},
		{"TCP: inuse 18446744073709551616\n", 1, "value out of range"},
		{"TCP inuse 1\n", 1, "line does not start with a protocol name and ':'"},
		{"TCP:\n", 1, "protocol without values"},
		{"TCP: inuse 1", 1, "truncated line (no newline at end)"},
		{"TCP: in-use 1\n", 1, "key is not a word"},
	};

	(void)state;
	sockstat_list_init(&l);
	assert_int_equal(sockstat_parse(text, n, &l, &err), 0);
	assert_int_equal(l.len, 1 + 5 + 2 + 1 + 1 + 2);
	assert_true(streq(l.v[0].proto, l.v[0].proto_len, "sockets"));
	assert_true(streq(l.v[0].key, l.v[0].key_len, "used"));
	assert_true(l.v[0].value == 11);
	assert_true(streq(l.v[5].key, l.v[5].key_len, "mem"));
	assert_true(l.v[5].value == 110);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		size_t before = l.len;

		assert_int_equal(sockstat_parse(bad[k].text, strlen(bad[k].text), &l, &err), -EINVAL);
		assert_string_equal(err.what, bad[k].what);
		assert_int_equal(err.line, bad[k].line);
		assert_int_equal(l.len, before);
	}
	assert_int_equal(sockstat_parse("", 0, &l, &err), 0);
	sockstat_list_fini(&l);
	free(text);
}

/* ip_local_port_range: the one parser both collectors use. */
static void test_port_range(void **state)
{
	static const struct {
		const char *in;
		int ret;
		unsigned lo, hi;
	} cases[] = {
		{"32768\t60999\n", 0, 32768, 60999},  /* as the kernel prints it */
		{"32768\t60999", 0, 32768, 60999},    /* no trailing newline */
		{"1024 65535", 0, 1024, 65535},
		{" \t1024 \t\t 2048\t \n", 0, 1024, 2048}, /* tabs and spaces anywhere */
		{"5000\t5000\n", 0, 5000, 5000},
		{"0 0\n", 0, 0, 0},
		{"60999\t32768\n", -EINVAL, 0, 0},   /* lo > hi */
		{"1024\t65536\n", -EINVAL, 0, 0},    /* out of range */
		{"1024\t99999999999999999999999\n", -EINVAL, 0, 0},
		{"1024\n", -EINVAL, 0, 0},            /* one value */
		{"1024 2048 4096\n", -EINVAL, 0, 0},  /* three */
		{"1024 2048 x", -EINVAL, 0, 0},        /* garbage */
		{"1024x 2048\n", -EINVAL, 0, 0},
		{"1024 2048x\n", -EINVAL, 0, 0},
		{"+1024 2048\n", -EINVAL, 0, 0},
		{"-1 2048\n", -EINVAL, 0, 0},
		{"1024 2048\n\n", -EINVAL, 0, 0},    /* two newlines */
		{"1024\n2048\n", -EINVAL, 0, 0},
		{"\n", -EINVAL, 0, 0},
		{"", -EINVAL, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sysctl_port_range r = {7, 7};
		struct parse_error err;
		int rc = sysctl_parse_port_range(cases[i].in, strlen(cases[i].in), &r, &err);

		if (rc != cases[i].ret)
			fail_msg("case %zu \"%s\": %d", i, cases[i].in, rc);
		if (rc == 0) {
			assert_int_equal(r.lo, cases[i].lo);
			assert_int_equal(r.hi, cases[i].hi);
		} else {
			assert_non_null(err.what);
			assert_int_equal(r.lo, 7); /* untouched */
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_range),
		cmocka_unit_test(test_snmp_real),
		cmocka_unit_test(test_snmp_huge_and_unknown),
		cmocka_unit_test(test_snmp_malformed),
		cmocka_unit_test(test_snmp_empty_and_edges),
		cmocka_unit_test(test_sockstat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
