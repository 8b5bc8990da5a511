/* The naming rule from kernel counter names to metric names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "procfs/snmp_name.h"

static void check(const char *proto, const char *field, const char *want)
{
	struct strbuf sb;

	sb_init(&sb);
	snmp_name_metric(proto, strlen(proto), field, strlen(field), &sb);
	assert_int_equal(sb.err, 0);
	if (strcmp(sb.buf, want) != 0)
		fail_msg("%s %s -> %s, want %s", proto, field, sb.buf, want);
	sb_fini(&sb);
}

static void test_real_names(void **state)
{
	static const char *const cases[][3] = {
		{"TcpExt", "ListenOverflows", "netstat_tcpext_listen_overflows"},
		{"TcpExt", "TCPSynRetrans", "netstat_tcpext_tcp_syn_retrans"},
		{"Tcp", "InCsumErrors", "netstat_tcp_in_csum_errors"},
		{"Tcp", "OutRsts", "netstat_tcp_out_rsts"},
		{"Ip6", "InOctets", "netstat_ip6_in_octets"},
		{"TcpExt", "TCPFastOpenActiveFail", "netstat_tcpext_tcp_fast_open_active_fail"},
		{"IcmpMsg", "InType3", "netstat_icmpmsg_in_type3"},
		{"Icmp6", "OutType135", "netstat_icmp6_out_type135"},
		{"Icmp6", "InMLDv2Reports", "netstat_icmp6_in_mldv2_reports"},
		{"MPTcpExt", "MPCapableSYNACKRX", "netstat_mptcpext_mp_capable_syn_ack_rx"},
		{"MPTcpExt", "MPTCPRetrans", "netstat_mptcpext_mptcp_retrans"},
		{"MPTcpExt", "MPJoinSynAckHMacFailure", "netstat_mptcpext_mp_join_syn_ack_hmac_failure"},
		{"MPTcpExt", "MD5SigFallback", "netstat_mptcpext_md5_sig_fallback"},
		{"MPTcpExt", "DSSNoMatchTCP", "netstat_mptcpext_dss_no_match_tcp"},
		{"TcpExt", "TCPSACKReneging", "netstat_tcpext_tcp_sack_reneging"},
		{"TcpExt", "TCPDSACKOfoRecv", "netstat_tcpext_tcp_dsack_ofo_recv"},
		{"TcpExt", "TCPMD5NotFound", "netstat_tcpext_tcp_md5_not_found"},
		{"TcpExt", "TCPHPHits", "netstat_tcpext_tcp_hp_hits"},
		{"TcpExt", "DelayedACKs", "netstat_tcpext_delayed_acks"},
		{"TcpExt", "TCPSpuriousRTOs", "netstat_tcpext_tcp_spurious_rtos"},
		{"TcpExt", "TCPReqQFullDrop", "netstat_tcpext_tcp_req_qfull_drop"},
		{"TcpExt", "TCPRcvQDrop", "netstat_tcpext_tcp_rcv_qdrop"},
		{"TcpExt", "TW", "netstat_tcpext_tw"},
		{"TcpExt", "TWRecycled", "netstat_tcpext_tw_recycled"},
		{"TcpExt", "PAWSTimewait", "netstat_tcpext_paws_timewait"},
		{"TcpExt", "TSEcrRejected", "netstat_tcpext_ts_ecr_rejected"},
		{"TcpExt", "TCPACKSkippedFinWait2", "netstat_tcpext_tcp_ack_skipped_fin_wait2"},
		{"TcpExt", "TCPMinTTLDrop", "netstat_tcpext_tcp_min_ttl_drop"},
		{"TcpExt", "TcpTimeoutRehash", "netstat_tcpext_tcp_timeout_rehash"},
		{"TcpExt", "PFMemallocDrop", "netstat_tcpext_pf_memalloc_drop"},
		{"IpExt", "InECT1Pkts", "netstat_ipext_in_ect1_pkts"},
		{"IpExt", "InCEPkts", "netstat_ipext_in_ce_pkts"},
		{"Ip", "ReasmOKs", "netstat_ip_reasm_oks"},
		{"Ip", "DefaultTTL", "netstat_ip_default_ttl"},
		{"UdpLite6", "InErrors", "netstat_udplite6_in_errors"},
		/* unit conversion: milliseconds -> seconds */
		{"Tcp", "RtoMin", "netstat_tcp_rto_min_seconds"},
		{"TcpExt", "TCPMemoryPressuresChrono", "netstat_tcpext_tcp_memory_pressures_chrono_seconds"},
		/* unknown acronym runs stay whole; fields without a protocol */
		{"WarpExt", "FooBAROverflows", "netstat_warpext_foo_bar_overflows"},
		{"WarpExt", "XDPRedirects", "netstat_warpext_xdp_redirects"},
		{"TcpExt", "TCPXYZFoo", "netstat_tcpext_tcpxyz_foo"},
		{"", "Frobs", "netstat_frobs"},
		{"Tcp", "lower", "netstat_tcp_lower"},
		{"Tcp", "A", "netstat_tcp_a"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(cases[i][0], cases[i][1], cases[i][2]);
}

/* Every acronym the rule documents splits out of a run: TCP<acr>Foo ->
 * tcp_<acr>_foo. Keeps the documented list and the table in step. */
static void test_documented_acronyms(void **state)
{
	char list[] = SNMP_NAME_ACRONYMS;
	size_t count = 0;

	(void)state;
	for (char *tok = strtok(list, " "); tok; tok = strtok(NULL, " ")) {
		char field[64], want[128], lower[32];
		size_t n = strlen(tok);

		for (size_t i = 0; i <= n; i++)
			lower[i] = (char)(tok[i] >= 'A' && tok[i] <= 'Z' ? tok[i] - 'A' + 'a' : tok[i]);
		snprintf(field, sizeof(field), "TCP%sFoo", tok);
		snprintf(want, sizeof(want), "netstat_x_tcp_%s_foo", lower);
		check("X", field, want);
		count++;
	}
	assert_true(count >= 20);
}

static void test_kinds(void **state)
{
	static const struct {
		const char *proto, *field;
		enum expo_type type;
		bool neg, ms;
	} cases[] = {
		{"Tcp", "CurrEstab", EXPO_GAUGE, false, false},
		{"Tcp", "MaxConn", EXPO_GAUGE, true, false},
		{"Tcp", "RtoMax", EXPO_GAUGE, false, true},
		{"Tcp", "RtoAlgorithm", EXPO_GAUGE, false, false},
		{"Ip", "Forwarding", EXPO_GAUGE, false, false},
		{"Ip", "DefaultTTL", EXPO_GAUGE, false, false},
		{"MPTcpExt", "MPCurrEstab", EXPO_GAUGE, false, false},
		{"Tcp", "OutRsts", EXPO_COUNTER, false, false},
		{"TcpExt", "CurrEstab", EXPO_COUNTER, false, false},
		{"Tcp", "CurrEstabX", EXPO_COUNTER, false, false},
		{"TcpExt", "TCPMemoryPressuresChrono", EXPO_COUNTER, false, true},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct snmp_kind k;

		snmp_name_kind(cases[i].proto, strlen(cases[i].proto), cases[i].field,
			       strlen(cases[i].field), &k);
		assert_int_equal(k.type, cases[i].type);
		assert_int_equal(k.may_be_negative, cases[i].neg);
		assert_int_equal(k.ms_to_seconds, cases[i].ms);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_names),
		cmocka_unit_test(test_documented_acronyms),
		cmocka_unit_test(test_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
