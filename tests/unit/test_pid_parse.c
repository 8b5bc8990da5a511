/* Pure procfs parsers of the owner scan: fd links, pid names, comm, status. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "procfs/pid_parse.h"

static void test_socket_link(void **state)
{
	static const struct {
		const char *link;
		int ret;
		uint32_t inode;
	} cases[] = {
		{"socket:[12345]", 0, 12345},
		{"socket:[1]", 0, 1},
		{"socket:[4294967295]", 0, 4294967295u},
		{"socket:[4294967296]", -EINVAL, 0}, /* wider than sock_diag's inode */
		{"socket:[]", -EINVAL, 0},
		{"socket:[12a]", -EINVAL, 0},
		{"socket:[12", -EINVAL, 0},
		{"socket:12]", -EINVAL, 0},
		{"pipe:[12345]", -EINVAL, 0},
		{"anon_inode:[eventfd]", -EINVAL, 0},
		{"/dev/null", -EINVAL, 0},
		{"/tmp/socket:[1]", -EINVAL, 0},
		{"", -EINVAL, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t inode = 0;

		assert_int_equal(pid_parse_socket_link(cases[i].link, strlen(cases[i].link), &inode),
				 cases[i].ret);
		if (cases[i].ret == 0)
			assert_int_equal(inode, cases[i].inode);
	}
	/* The length, not a NUL, ends the link (readlink does not terminate). */
	{
		uint32_t inode = 0;
		assert_int_equal(pid_parse_socket_link("socket:[77]garbage", 11, &inode), 0);
		assert_int_equal(inode, 77);
	}
}

static void test_pid(void **state)
{
	(void)state;
	assert_int_equal(pid_parse_pid("1"), 1);
	assert_int_equal(pid_parse_pid("4194304"), 4194304);
	assert_int_equal(pid_parse_pid("2147483647"), 2147483647);
	assert_int_equal(pid_parse_pid("2147483648"), -EINVAL);
	assert_int_equal(pid_parse_pid("0"), -EINVAL);
	assert_int_equal(pid_parse_pid("012"), -EINVAL);
	assert_int_equal(pid_parse_pid("self"), -EINVAL);
	assert_int_equal(pid_parse_pid("12a"), -EINVAL);
	assert_int_equal(pid_parse_pid(""), -EINVAL);
	assert_int_equal(pid_parse_pid("."), -EINVAL);
}

static void test_comm(void **state)
{
	char out[PROC_COMM_MAX + 1];
	const char *s;

	(void)state;
	s = "42 (nginx) S 1 2 3";
	assert_int_equal(pid_parse_comm(s, strlen(s), out), 0);
	assert_string_equal(out, "nginx");
	s = "42 (a) S (b) c) S 1 2";
	assert_int_equal(pid_parse_comm(s, strlen(s), out), 0);
	assert_string_equal(out, "a) S (b) c"); /* the last ')' ends it */
	s = "42 () S 1";
	assert_int_equal(pid_parse_comm(s, strlen(s), out), 0);
	assert_string_equal(out, "");
	s = "42 (0123456789abcdefXYZ) S"; /* longer than a kernel comm: cut */
	assert_int_equal(pid_parse_comm(s, strlen(s), out), 0);
	assert_string_equal(out, "0123456789abcde");
	s = "42 (tab\there\n) S";
	assert_int_equal(pid_parse_comm(s, strlen(s), out), 0);
	assert_string_equal(out, "tab?here?");
	s = "42 nginx S";
	assert_int_equal(pid_parse_comm(s, strlen(s), out), -EINVAL);
	s = "42 )x( S";
	assert_int_equal(pid_parse_comm(s, strlen(s), out), -EINVAL);
	s = "42 (never closed";
	assert_int_equal(pid_parse_comm(s, strlen(s), out), -EINVAL);
}

static void test_clean_name(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"plain", "plain"},
		{"caf\xc3\xa9", "caf\xc3\xa9"},               /* valid 2-byte */
		{"\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac"},
		{"\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!"},   /* valid 4-byte */
		{"ab\xe6\x97", "ab??"},                       /* cut by the 15-byte limit */
		{"\xff\xfe", "??"},
		{"\xc0\xaf", "??"},                           /* overlong */
		{"\xed\xa0\x80", "???"},                      /* surrogate */
		{"a\x7f" "b\x01", "a?b?"},
		{"", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[32];

		strcpy(buf, cases[i].in);
		pid_clean_name(buf);
		assert_string_equal(buf, cases[i].out);
	}
}

static void test_status_euid(void **state)
{
	uint32_t uid = 0;
	const char *s;

	(void)state;
	s = "Name:\tsshd\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t0\t1000\t1000\t1000\nGid:\t0\t0\t0\t0\n";
	assert_int_equal(pid_parse_status_euid(s, strlen(s), &uid), 0);
	assert_int_equal(uid, 1000);
	s = "Uid:\t65534\t65534\t65534\t65534";
	assert_int_equal(pid_parse_status_euid(s, strlen(s), &uid), 0);
	assert_int_equal(uid, 65534);
	s = "Name:\tx\nGid:\t0\t0\t0\t0\n";
	assert_int_equal(pid_parse_status_euid(s, strlen(s), &uid), -EINVAL);
	s = "Uid:\t0\n";
	assert_int_equal(pid_parse_status_euid(s, strlen(s), &uid), -EINVAL);
	s = "Uid:\t0\tx1\t0\t0\n";
	assert_int_equal(pid_parse_status_euid(s, strlen(s), &uid), -EINVAL);
	s = "Uid:\t0\t99999999999\t0\t0\n";
	assert_int_equal(pid_parse_status_euid(s, strlen(s), &uid), -EINVAL);
	s = "NotUid:\t5\t5\nUid:\t7\t8\t9\t9\n";
	assert_int_equal(pid_parse_status_euid(s, strlen(s), &uid), 0);
	assert_int_equal(uid, 8);
}

static void test_status_capeff(void **state)
{
	static const struct {
		const char *in;
		int rc;
		uint64_t caps;
	} cases[] = {
		{"Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\nCapBnd:\t0\n", 0,
		 0x1ffffffffffULL},
		{"CapEff:\t0000000000080004", 0, (1ULL << 19) | (1ULL << 2)}, /* no newline */
		{"CapEff:\t0000000000000000\n", 0, 0},
		{"CapPrm:\tffffffffffffffff\n", -EINVAL, 0},           /* no CapEff */
		{"CapEff:\t\n", -EINVAL, 0},                           /* empty */
		{"CapEff:\t00000000000000zz\n", -EINVAL, 0},           /* not hex */
		{"CapEff:\t00000000000000001\n", -EINVAL, 0},          /* 17 digits */
		{"CapEff:\t0000000000000001 junk\n", -EINVAL, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t caps = 12345;

		assert_int_equal(pid_parse_status_capeff(cases[i].in, strlen(cases[i].in), &caps),
				 cases[i].rc);
		if (cases[i].rc == 0)
			assert_true(caps == cases[i].caps);
	}
	/* Truncated in the middle of the number: what was read is no number. */
	assert_int_equal(pid_parse_status_capeff("CapEff:\t00", 0, &(uint64_t){0}), -EINVAL);
}

/* /proc/PID/stat, read by the owner cache and for the exporter's own metrics. */
static int parse_stat(const char *s, struct pid_stat *st)
{
	return pid_parse_stat(s, strlen(s), st);
}

/* Fields 1..24 of a real stat line; utime=1234 stime=56 starttime=987654
 * vsize=21990300655616 rss=2625. */
#define TAIL " S 1 4369 4369 0 -1 4194560 1500 0 0 0 1234 56 0 0 20 0 3 0 987654 " \
	     "21990300655616 2625 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 1 0 0 0 0 0\n"

static void test_stat_plain(void **state)
{
	struct pid_stat st;

	(void)state;
	assert_int_equal(parse_stat("4369 (netstat_exporte)" TAIL, &st), 0);
	assert_int_equal(st.utime_ticks, 1234);
	assert_int_equal(st.stime_ticks, 56);
	assert_int_equal(st.starttime_ticks, 987654);
	assert_int_equal(st.vsize_bytes, 21990300655616ULL);
	assert_int_equal(st.rss_pages, 2625);
}

static void test_stat_hostile_comm(void **state)
{
	struct pid_stat st;

	(void)state;
	/* A comm may contain spaces and ") " that look like the end of the field. */
	assert_int_equal(parse_stat("77 (a) S 1 2 (x y)" TAIL, &st), 0);
	assert_int_equal(st.utime_ticks, 1234);
	assert_int_equal(st.rss_pages, 2625);
}

static void test_stat_malformed(void **state)
{
	static const char *const bad[] = {
		"", "4369", "4369 (x", "4369 (x)", "4369 (x) S", "4369 (x) S 1 2 3",
		"4369 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
		"4369 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 x",
		"4369 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 99999999999999999999999",
	};
	struct pid_stat st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_stat(bad[i], &st) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_plain),
		cmocka_unit_test(test_stat_hostile_comm),
		cmocka_unit_test(test_stat_malformed),
		cmocka_unit_test(test_socket_link),
		cmocka_unit_test(test_pid),
		cmocka_unit_test(test_comm),
		cmocka_unit_test(test_clean_name),
		cmocka_unit_test(test_status_euid),
		cmocka_unit_test(test_status_capeff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
