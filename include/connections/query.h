/* connections/query: the query string of /connections and /api/v1/connections.
 *
 * Pure: bytes in, a struct conn_query out, or one line saying what is wrong
 * (the HTTP front answers 400 with it). Parameters:
 *   state=S[,S...]   TCP states as in netstat_tcp_sockets ("syn_recv"), and
 *                    "unconnected"/"connected" for UDP; any case, '-' for '_'
 *                    ("SYN_RECV", "syn-recv")
 *   proto=tcp|udp    protocol
 *   direction=D[,D]  listen, inbound, outbound, local
 *   port=N           local port
 *   rport=N          remote port
 *   remote=ADDR[/LEN] remote address or CIDR prefix (IPv4 or IPv6)
 *   program=TEXT     part of the program as shown ("sshd", "sshd (listener)"),
 *                    of any of a shared socket's holders, or "none" for
 *                    sockets without one
 *   pid=N            a process id: sockets it holds (alone or shared), and
 *                    request and TIME_WAIT sockets given to its listener
 *   country=CC       remote country (ISO 3166 alpha-2), "unknown" or "none"
 *   sort=COLUMN      any column of a row (see conn_column_name); default local
 *   order=asc|desc   default asc
 *   limit=N          rows (or groups) returned; default CONN_LIMIT_DEFAULT,
 *                    at most CONN_LIMIT_MAX
 *   asn=N            remote AS number (needs the ASN database)
 *   netns=INODE      network namespace (its inode, as the netns label)
 *   pod=NAME         pod name, exactly; "none" for sockets outside a pod
 *   namespace=NAME   Kubernetes namespace, exactly; "none" likewise
 *   group=remote|program|port|country|asn|prefix|state|rport|pod|namespace
 *                    the grouped view instead of rows
 *   format=json|csv  the answer's format; default json
 *   retransmitting=true|false  TCP sockets retransmitting now (or not), as
 *                    tcp_info says; sockets without tcp_info match neither
 * An empty parameter value means "no filter". Unknown or repeated
 * parameters, bad values, bad percent-encoding and control characters are
 * errors. */
#ifndef NETSTAT_CONNECTIONS_QUERY_H
#define NETSTAT_CONNECTIONS_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "util/strbuf.h"

#define CONN_LIMIT_DEFAULT 100
#define CONN_LIMIT_MAX 5000
#define CONN_QUERY_MAX_LEN 2048 /* raw query string bytes */
#define CONN_COMM_MAX 16        /* a process name (TASK_COMM_LEN - 1) */
#define CONN_LISTENER_SUFFIX " (listener)"
#define CONN_PROGRAM_MAX (CONN_COMM_MAX + 11) /* a comm and CONN_LISTENER_SUFFIX */

/* A socket's state key: the eleven TCP states of enum diag_tcp_state, then
 * the two UDP ones. */
enum conn_state {
	CONN_STATE_UDP_UNCONNECTED = 11,
	CONN_STATE_UDP_CONNECTED = 12,
	CONN_STATE_COUNT = 13
};
const char *conn_state_name(unsigned st);

/* How the census classifies a socket; local: both ends on this host (the
 * remote address is a loopback address). */
enum conn_direction {
	CONN_DIR_LISTEN = 0,
	CONN_DIR_INBOUND,
	CONN_DIR_OUTBOUND,
	CONN_DIR_LOCAL,
	CONN_DIR_COUNT
};
const char *conn_direction_name(enum conn_direction d);

enum conn_column {
	CONN_COL_LOCAL = 0,  /* local address, then port */
	CONN_COL_PORT,       /* local port */
	CONN_COL_REMOTE,     /* remote address, then port */
	CONN_COL_RPORT,
	CONN_COL_PROTO,
	CONN_COL_STATE,
	CONN_COL_DIRECTION,
	CONN_COL_RQUEUE,
	CONN_COL_WQUEUE,
	CONN_COL_PROGRAM,
	CONN_COL_PID,
	CONN_COL_UID,
	CONN_COL_COUNTRY,
	CONN_COL_RTT,
	CONN_COL_RETRANS,
	CONN_COL_PROBLEMS,   /* problems first: syn_recv, close_wait, retransmitting, full queues */
	CONN_COL_COUNT
};
const char *conn_column_name(enum conn_column c);

enum conn_group {
	CONN_GROUP_NONE = 0,
	CONN_GROUP_REMOTE,
	CONN_GROUP_PROGRAM,
	CONN_GROUP_PORT,
	CONN_GROUP_COUNTRY,
	CONN_GROUP_ASN,      /* the remote address's AS (needs the ASN database) */
	CONN_GROUP_PREFIX,   /* the remote /24 (IPv4) or /48 (IPv6) */
	CONN_GROUP_STATE,
	CONN_GROUP_RPORT,
	CONN_GROUP_POD,       /* the network namespace (a pod, a container, or the exporter's own) */
	CONN_GROUP_NAMESPACE, /* the Kubernetes namespace of the pod */
	CONN_GROUP_COUNT
};
const char *conn_group_name(enum conn_group g);

#define CONN_PROTO_TCP 1u
#define CONN_PROTO_UDP 2u

/* conn_query.retransmitting */
#define CONN_RETRANSMITTING_ANY 0
#define CONN_RETRANSMITTING_YES 1
#define CONN_RETRANSMITTING_NO 2

struct conn_query {
	uint32_t states;     /* bit per enum conn_state; 0: any */
	uint8_t protos;      /* CONN_PROTO_* bits; 0: any */
	uint8_t directions;  /* bit per enum conn_direction; 0: any */
	bool has_port, has_rport, has_remote, has_program, has_country, has_asn, has_pid;
	int32_t pid;         /* has_pid: a holder's process id */
	uint32_t asn;        /* has_asn: the remote address's AS number */
	bool csv;            /* format=csv: the answer as CSV instead of JSON */
	uint16_t port, rport;
	uint8_t remote_family; /* AF_INET or AF_INET6 */
	uint8_t remote_len;    /* prefix length in bits */
	uint8_t remote[16];    /* network order, bits past remote_len zero */
	char program[CONN_PROGRAM_MAX + 1]; /* a substring of the shown program, or "none" */
	char country[8];       /* "DE", "unknown" or "none" */
	uint8_t retransmitting; /* CONN_RETRANSMITTING_* */
	enum conn_column sort;
	bool desc;
	unsigned limit;
	enum conn_group group;
	bool has_netns;
	uint64_t netns;        /* has_netns: the namespace's inode */
	char pod[256];         /* "": any; "none": outside a pod */
	char namespace_[256];  /* "": any; "none": outside a pod */
};

void conn_query_init(struct conn_query *q);
/* Applies one decoded parameter. 0, or -EINVAL with one line in err. */
int conn_query_set(struct conn_query *q, const char *key, const char *value, struct strbuf *err);
/* Applies one raw (still form-encoded) parameter: key of klen bytes, value
 * of vlen bytes or NULL. seen (0 before the first) catches repeats. 0, or
 * -EINVAL with one line in err. */
int conn_query_add(struct conn_query *q, const char *key, size_t klen, const char *value,
		   size_t vlen, uint32_t *seen, struct strbuf *err);
/* Parses a raw query string (without '?'; NULL or "" is no parameter) into
 * q, starting from the defaults. 0, or -EINVAL with one line in err. */
int conn_query_parse(struct conn_query *q, const char *raw, struct strbuf *err);

/* Whether a remote address matches the query's prefix (addr_family
 * AF_INET: 4 bytes, AF_INET6: 16). */
bool conn_query_remote_match(const struct conn_query *q, uint8_t addr_family, const uint8_t *addr);

#endif
