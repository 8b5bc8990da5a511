/* connections/query: the query string of the connections views. See connections/query.h. */
#include "connections/query.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockdiag/reply.h"
#include "util/numbers.h"

#define MAX_VALUE 256 /* decoded bytes of one value */

static const char *const direction_names[CONN_DIR_COUNT] = {"listen", "inbound", "outbound", "local"};
static const char *const column_names[CONN_COL_COUNT] = {
	[CONN_COL_LOCAL] = "local", [CONN_COL_PORT] = "port", [CONN_COL_REMOTE] = "remote",
	[CONN_COL_RPORT] = "rport", [CONN_COL_PROTO] = "proto", [CONN_COL_STATE] = "state",
	[CONN_COL_DIRECTION] = "direction", [CONN_COL_RQUEUE] = "rqueue",
	[CONN_COL_WQUEUE] = "wqueue", [CONN_COL_PROGRAM] = "program", [CONN_COL_PID] = "pid",
	[CONN_COL_UID] = "uid", [CONN_COL_COUNTRY] = "country", [CONN_COL_RTT] = "rtt",
	[CONN_COL_RETRANS] = "retrans", [CONN_COL_PROBLEMS] = "problems",
};
static const char *const group_names[CONN_GROUP_COUNT] = {
	"", "remote", "program", "port", "country", "asn", "prefix", "state", "rport", "pod",
	"namespace"};

const char *conn_state_name(unsigned st)
{
	if (st == CONN_STATE_UDP_UNCONNECTED)
		return "unconnected";
	if (st == CONN_STATE_UDP_CONNECTED)
		return "connected";
	return diag_tcp_state_name((enum diag_tcp_state)st);
}

const char *conn_direction_name(enum conn_direction d)
{
	return (unsigned)d < CONN_DIR_COUNT ? direction_names[d] : "unknown";
}

const char *conn_column_name(enum conn_column c)
{
	return (unsigned)c < CONN_COL_COUNT ? column_names[c] : "unknown";
}

const char *conn_group_name(enum conn_group g)
{
	return (unsigned)g < CONN_GROUP_COUNT ? group_names[g] : "unknown";
}

void conn_query_init(struct conn_query *q)
{
	memset(q, 0, sizeof(*q));
	q->sort = CONN_COL_LOCAL;
	q->limit = CONN_LIMIT_DEFAULT;
}

static int lookup(const char *const *names, int n, const char *s, size_t len)
{
	for (int i = 0; i < n; i++)
		if (names[i] && strlen(names[i]) == len && strncmp(names[i], s, len) == 0)
			return i;
	return -1;
}

static int parse_port(const char *v, uint16_t *out)
{
	uint64_t n;

	if (strlen(v) > 5 || num_parse_u64(v, strlen(v), &n) < 0 || n > 65535)
		return -EINVAL;
	*out = (uint16_t)n;
	return 0;
}

/* A comma-separated list of names into a bitmask. */
static int parse_set(const char *v, int n, const char *(*name)(unsigned), uint32_t *out)
{
	uint32_t bits = 0;

	for (;;) {
		size_t len = strcspn(v, ",");
		int i = -1;

		for (int k = 0; k < n; k++)
			if (strlen(name((unsigned)k)) == len && strncmp(name((unsigned)k), v, len) == 0)
				i = k;
		if (i < 0)
			return -EINVAL;
		bits |= 1u << i;
		if (v[len] == '\0')
			break;
		v += len + 1;
	}
	*out = bits;
	return 0;
}

static const char *dir_name_u(unsigned d)
{
	return conn_direction_name((enum conn_direction)d);
}

static int parse_remote(struct conn_query *q, const char *v)
{
	char buf[INET6_ADDRSTRLEN + 4];
	const char *slash = strchr(v, '/');
	size_t alen = slash ? (size_t)(slash - v) : strlen(v);
	uint64_t len;
	uint8_t addr[16];
	int fam, max;

	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, v, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1) {
		fam = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		fam = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	len = (uint64_t)max;
	if (slash && (strlen(slash + 1) > 3 || num_parse_u64(slash + 1, strlen(slash + 1), &len) < 0 ||
		      len > (uint64_t)max))
		return -EINVAL;
	/* Keep only the prefix bits, so matching compares masked bytes. */
	for (int i = 0; i < max / 8; i++) {
		int keep = (int)len - i * 8;
		if (keep <= 0)
			addr[i] = 0;
		else if (keep < 8)
			addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
	/* An IPv4-mapped prefix (::ffff:0:0/96 and longer) is the IPv4 one: rows
	 * show the peers of IPv6 sockets un-mapped, and IPv4 sockets' as they are. */
	if (fam == AF_INET6 && len >= 96 &&
	    memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memmove(addr, addr + 12, 4);
		fam = AF_INET;
		max = 32;
		len -= 96;
	}
	memset(q->remote, 0, sizeof(q->remote));
	memcpy(q->remote, addr, (size_t)max / 8);
	q->remote_family = (uint8_t)fam;
	q->remote_len = (uint8_t)len;
	q->has_remote = true;
	return 0;
}

bool conn_query_remote_match(const struct conn_query *q, uint8_t addr_family, const uint8_t *addr)
{
	unsigned full, rest;

	if (!q->has_remote)
		return true;
	if (addr_family != q->remote_family)
		return false;
	full = q->remote_len / 8;
	rest = q->remote_len % 8;
	if (memcmp(addr, q->remote, full) != 0)
		return false;
	return rest == 0 || (addr[full] & (uint8_t)(0xff << (8 - rest))) == q->remote[full];
}

static int parse_program(struct conn_query *q, const char *v)
{
	size_t len = strlen(v);

	if (len > CONN_PROGRAM_MAX)
		return -EINVAL;
	memcpy(q->program, v, len + 1);
	q->has_program = true;
	return 0;
}

static int parse_country(struct conn_query *q, const char *v)
{
	bool cc = strlen(v) == 2 && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z';

	if (!cc && strcmp(v, "unknown") != 0 && strcmp(v, "none") != 0)
		return -EINVAL;
	strcpy(q->country, v);
	q->has_country = true;
	return 0;
}

static int parse_limit(struct conn_query *q, const char *v)
{
	uint64_t n;

	if (strlen(v) > 6 || num_parse_u64(v, strlen(v), &n) < 0 || n < 1 || n > CONN_LIMIT_MAX)
		return -EINVAL;
	q->limit = (unsigned)n;
	return 0;
}

enum param {
	P_STATE = 0, P_PROTO, P_DIRECTION, P_PORT, P_RPORT, P_REMOTE, P_PROGRAM, P_COUNTRY,
	P_SORT, P_ORDER, P_LIMIT, P_GROUP, P_RETRANSMITTING, P_ASN, P_FORMAT, P_NETNS, P_POD,
	P_NAMESPACE, P_PID, P_COUNT
};

static const char *const param_names[P_COUNT] = {
	"state", "proto", "direction", "port", "rport", "remote", "program", "country",
	"sort", "order", "limit", "group", "retransmitting", "asn", "format", "netns", "pod",
	"namespace", "pid",
};

/* What a bad value of each parameter gets told. */
static const char *const param_wants[P_COUNT] = {
	"TCP states (established, syn_sent, syn_recv, fin_wait1, fin_wait2, time_wait, close, "
	"close_wait, last_ack, listen, closing) or UDP's unconnected/connected, comma-separated",
	"tcp or udp",
	"listen, inbound, outbound or local, comma-separated",
	"a port number 0-65535",
	"a port number 0-65535",
	"an IPv4 or IPv6 address, optionally /prefix-length",
	"part of a program name (at most 27 bytes), or none",
	"a two-letter upper-case country code, unknown or none",
	"a column: local, port, remote, rport, proto, state, direction, rqueue, wqueue, "
	"program, pid, uid, country, rtt, retrans, problems",
	"asc or desc",
	"an integer from 1 to 5000",
	"remote, program, port, country, asn, prefix, state, rport, pod or namespace",
	"true or false",
	"an AS number 1-4294967295",
	"json or csv",
	"a network namespace inode (a positive integer)",
	"a pod name (at most 255 bytes), or none",
	"a Kubernetes namespace (at most 255 bytes), or none",
	"a process id (a positive integer)",
};

/* An AS number, pid or namespace inode: a decimal integer from 1 to max. */
static int parse_id(const char *v, uint64_t max, uint64_t *id)
{
	return num_parse_u64(v, strlen(v), id) < 0 || *id < 1 || *id > max ? -EINVAL : 0;
}

static int apply(struct conn_query *q, enum param p, const char *v)
{
	uint64_t id;
	uint32_t bits;
	int i;

	switch (p) {
	case P_STATE: {
		/* As ss, netstat and people write them: SYN_RECV, syn-recv. */
		char low[MAX_VALUE + 1];
		size_t k = 0;
		for (; v[k] && k < MAX_VALUE; k++)
			low[k] = v[k] == '-' ? '_' : (v[k] >= 'A' && v[k] <= 'Z') ? (char)(v[k] - 'A' + 'a') : v[k];
		low[k] = '\0';
		if (parse_set(low, CONN_STATE_COUNT, conn_state_name, &bits) < 0)
			return -EINVAL;
		q->states = bits;
		return 0;
	}
	case P_PROTO:
		if (strcmp(v, "tcp") == 0)
			q->protos = CONN_PROTO_TCP;
		else if (strcmp(v, "udp") == 0)
			q->protos = CONN_PROTO_UDP;
		else
			return -EINVAL;
		return 0;
	case P_DIRECTION:
		if (parse_set(v, CONN_DIR_COUNT, dir_name_u, &bits) < 0)
			return -EINVAL;
		q->directions = (uint8_t)bits;
		return 0;
	case P_PORT:
		q->has_port = true;
		return parse_port(v, &q->port);
	case P_RPORT:
		q->has_rport = true;
		return parse_port(v, &q->rport);
	case P_REMOTE:
		return parse_remote(q, v);
	case P_PROGRAM:
		return parse_program(q, v);
	case P_COUNTRY:
		return parse_country(q, v);
	case P_SORT:
		i = lookup(column_names, CONN_COL_COUNT, v, strlen(v));
		if (i < 0)
			return -EINVAL;
		q->sort = (enum conn_column)i;
		return 0;
	case P_ORDER:
		if (strcmp(v, "asc") != 0 && strcmp(v, "desc") != 0)
			return -EINVAL;
		q->desc = v[0] == 'd';
		return 0;
	case P_LIMIT:
		return parse_limit(q, v);
	case P_GROUP:
		i = lookup(group_names, CONN_GROUP_COUNT, v, strlen(v));
		if (i <= 0)
			return -EINVAL;
		q->group = (enum conn_group)i;
		return 0;
	case P_ASN:
		if (parse_id(v, UINT32_MAX, &id) < 0)
			return -EINVAL;
		q->asn = (uint32_t)id;
		q->has_asn = true;
		return 0;
	case P_FORMAT:
		if (strcmp(v, "json") != 0 && strcmp(v, "csv") != 0)
			return -EINVAL;
		q->csv = v[0] == 'c';
		return 0;
	case P_PID:
		if (parse_id(v, INT32_MAX, &id) < 0)
			return -EINVAL;
		q->pid = (int32_t)id;
		q->has_pid = true;
		return 0;
	case P_NETNS:
		if (parse_id(v, UINT64_MAX, &id) < 0)
			return -EINVAL;
		q->netns = id;
		q->has_netns = true;
		return 0;
	case P_POD:
	case P_NAMESPACE: {
		char *dst = p == P_POD ? q->pod : q->namespace_;
		size_t n = strlen(v);
		if (n >= sizeof(q->pod))
			return -EINVAL;
		memcpy(dst, v, n + 1);
		return 0;
	}
	case P_RETRANSMITTING:
		if (strcmp(v, "true") == 0)
			q->retransmitting = CONN_RETRANSMITTING_YES;
		else if (strcmp(v, "false") == 0)
			q->retransmitting = CONN_RETRANSMITTING_NO;
		else
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Printable ASCII only, so the message can quote it as is. */
static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* No control characters; other bytes (UTF-8 program names) are fine. */
static bool no_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

int conn_query_set(struct conn_query *q, const char *key, const char *value, struct strbuf *err)
{
	int i = lookup(param_names, P_COUNT, key, strlen(key));

	if (i < 0) {
		if (printable(key) && strlen(key) <= 32)
			sb_printf(err, "unknown parameter '%s'", key);
		else
			sb_puts(err, "unknown parameter");
		return -EINVAL;
	}
	if (*value == '\0')
		return 0; /* an empty form field: no filter */
	if (!no_controls(value) || apply(q, (enum param)i, value) < 0) {
		sb_printf(err, "bad value for '%s': want %s", key, param_wants[i]);
		return -EINVAL;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes n bytes of form encoding ('+' is a space, %XX a byte) into out
 * (MAX_VALUE + 1 bytes). A NUL or control byte, or a bad escape, is an error. */
static int decode(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return -EINVAL;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f || o == MAX_VALUE)
			return -EINVAL;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int conn_query_add(struct conn_query *q, const char *key, size_t klen, const char *value,
		   size_t vlen, uint32_t *seen, struct strbuf *err)
{
	char k[MAX_VALUE + 1], v[MAX_VALUE + 1];
	int i;

	if (klen > MAX_VALUE || vlen > MAX_VALUE || decode(key, klen, k) < 0 ||
	    decode(value ? value : "", value ? vlen : 0, v) < 0) {
		sb_puts(err, "bad query string: invalid percent-encoding, control character or "
			     "over-long value");
		return -EINVAL;
	}
	i = lookup(param_names, P_COUNT, k, strlen(k));
	if (i >= 0 && (*seen & (1u << i))) {
		sb_printf(err, "parameter '%s' given twice", k);
		return -EINVAL;
	}
	if (i >= 0)
		*seen |= 1u << i;
	return conn_query_set(q, k, v, err);
}

int conn_query_parse(struct conn_query *q, const char *raw, struct strbuf *err)
{
	uint32_t seen = 0;
	int ret = 0;

	conn_query_init(q);
	if (raw == NULL)
		goto out;
	if (strlen(raw) > CONN_QUERY_MAX_LEN) {
		sb_printf(err, "query string longer than %d bytes", CONN_QUERY_MAX_LEN);
		ret = -EINVAL;
		goto out;
	}
	while (*raw) {
		size_t len = strcspn(raw, "&"), klen;
		const char *eq = memchr(raw, '=', len);

		if (len > 0) {
			klen = eq ? (size_t)(eq - raw) : len;
			ret = conn_query_add(q, raw, klen, eq ? eq + 1 : NULL,
					     eq ? len - klen - 1 : 0, &seen, err);
			if (ret < 0)
				goto out;
		}
		raw += len;
		if (*raw)
			raw++;
	}
out:
	return ret;
}
