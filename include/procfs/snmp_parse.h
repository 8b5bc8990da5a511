/* procfs/snmp_parse: pure parsers for the kernel's protocol counter files.
 *
 * /proc/net/snmp and /proc/net/netstat hold header/value line pairs:
 *     TcpExt: SyncookiesSent SyncookiesRecv ...
 *     TcpExt: 0 0 ...
 * /proc/net/snmp6 holds one "Name value" line per counter, the protocol
 * being the name's prefix up to the end of its first digit run
 * ("Ip6InReceives" -> Ip6 + InReceives, "UdpLite6InErrors" -> UdpLite6 + ...).
 *
 * Both parsers append to a struct snmp_list whose strings point into the text
 * given, so the text must outlive the list's use. On malformed input nothing
 * is appended, the result is -EINVAL and err says where and what; partial
 * results are never left behind. */
#ifndef NETSTAT_PROCFS_SNMP_PARSE_H
#define NETSTAT_PROCFS_SNMP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/numbers.h"

struct snmp_stat {
	const char *proto;  /* "TcpExt", not NUL-terminated; borrowed from the text */
	const char *field;  /* "ListenOverflows", likewise */
	uint16_t proto_len;
	uint16_t field_len;
	bool negative;      /* value holds an int64_t below zero (Tcp MaxConn -1) */
	uint64_t value;     /* exactly as printed, 0 .. 2^64-1 */
};

struct snmp_list {
	struct snmp_stat *v; /* owned array */
	size_t len;
	size_t cap;
};

void snmp_list_init(struct snmp_list *l);
void snmp_list_fini(struct snmp_list *l);

/* net/snmp, net/netstat. Returns 0, -EINVAL (err filled) or -ENOMEM. */
int snmp_parse_pairs(const char *text, size_t len, struct snmp_list *out,
		     struct parse_error *err);
/* net/snmp6. Returns 0, -EINVAL (err filled) or -ENOMEM. */
int snmp_parse_flat(const char *text, size_t len, struct snmp_list *out,
		    struct parse_error *err);

#endif
