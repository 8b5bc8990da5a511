/* The /proc text parsers: net/snmp and net/netstat (pairs), net/snmp6
 * (flat), net/sockstat, the sysctl number lists, /proc/stat's btime,
 * ip_local_port_range, tcp_ehash_entries, tcp_max_tw_buckets, and the snmp name rule
 * applied to every parsed field. Each input goes through every parser: a /proc file can
 * be any of them under a wrong --path.procfs. */
#include "fuzz.h"
#include "util/numbers.h"
#include "procfs/snmp_name.h"
#include "procfs/snmp_parse.h"
#include "procfs/sockstat_parse.h"
#include "self.h"
#include "procfs/sysctl.h"
#include "netns/handle.h"

static void names(const struct snmp_list *l)
{
	struct strbuf sb;
	struct snmp_kind k;

	sb_init(&sb);
	for (size_t i = 0; i < l->len; i++) {
		sb_reset(&sb);
		snmp_name_metric(l->v[i].proto, l->v[i].proto_len, l->v[i].field,
				 l->v[i].field_len, &sb);
		snmp_name_kind(l->v[i].proto, l->v[i].proto_len, l->v[i].field,
			       l->v[i].field_len, &k);
	}
	sb_fini(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char *s = fuzz_cstr(data, size);
	struct parse_error err;
	struct snmp_list l;
	struct sockstat_list ss;
	int64_t v[3];
	uint64_t btime;
	struct sysctl_port_range range;
	int ehash;

	if (!s)
		return 0;
	snmp_list_init(&l);
	if (snmp_parse_pairs(text, size, &l, &err) == 0)
		names(&l);
	snmp_list_fini(&l);
	snmp_list_init(&l);
	if (snmp_parse_flat(text, size, &l, &err) == 0)
		names(&l);
	snmp_list_fini(&l);
	sockstat_list_init(&ss);
	sockstat_parse(text, size, &ss, &err);
	sockstat_list_fini(&ss);
	for (size_t n = 1; n <= 3; n++)
		num_parse_i64_list(text, size, v, n, &err);
	self_parse_btime(s, &btime);
	sysctl_parse_port_range(text, size, &range, &err);
	netns_parse_ehash(text, size, &ehash);
	netns_parse_max_tw(text, size, &ehash);
	free(s);
	return 0;
}
