/* procfs/snmp_name: the one rule from kernel counter names to metric names, and the
 * short list of fields that are not plain counters.
 *
 * Metric name = "netstat_" + lower(protocol) + "_" + snake(field), plus
 * "_seconds" for the few fields the kernel prints in milliseconds:
 *     TcpExt ListenOverflows -> netstat_tcpext_listen_overflows
 *     Ip6 InOctets           -> netstat_ip6_in_octets
 * snake() splits CamelCase into words: a capital starts a word; a run of
 * capitals is an acronym, split further into the known acronyms of
 * SNMP_NAME_ACRONYMS when that consumes the whole run (TCPSACK -> tcp_sack),
 * else kept whole; digits stay with the word before them (InType3 -> in_type3,
 * TCPMD5 -> tcp_md5, ECT1 -> ect1); an acronym's plural "s" stays with it
 * (DelayedACKs -> delayed_acks); a one-letter acronym joins the next word
 * (HMac -> hmac, QFull -> qfull); "v" + digits after an acronym is part of it
 * (MLDv2 -> mldv2). Everything is lower-cased and joined with "_".
 * Pure; no globals besides constant tables. */
#ifndef NETSTAT_PROCFS_SNMP_NAME_H
#define NETSTAT_PROCFS_SNMP_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "expo/expo.h"
#include "util/strbuf.h"

#define SNMP_NAME_ACRONYMS                                              \
	"AO ACK CE DSACK DSS ECT HP IP MD5 MLD MP MPTCP MTUP OFO PAWS PF " \
	"PLB RTO RX SACK SYN TCP TS TTL TW TX"

struct snmp_kind {
	enum expo_type type; /* EXPO_COUNTER or EXPO_GAUGE */
	bool may_be_negative; /* the kernel prints it signed (Tcp MaxConn) */
	bool ms_to_seconds;   /* printed in milliseconds; exported in seconds */
};

/* Appends snake(s[0..n)) to out. */
void snmp_name_snake(const char *s, size_t n, struct strbuf *out);

/* Appends the metric family name (without _total) for a protocol and field. */
void snmp_name_metric(const char *proto, size_t pn, const char *field,
		      size_t fn, struct strbuf *out);

/* What kind of value a field is: counters unless listed as gauges. */
void snmp_name_kind(const char *proto, size_t pn, const char *field, size_t fn,
		    struct snmp_kind *k);

#endif
