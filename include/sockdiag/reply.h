/* sockdiag/reply: pure parsing of sock_diag (inet_diag) dump replies.
 *
 * Bytes in, records out: no I/O, no logging, no globals. The netlink transport
 * (sockdiag/transport) feeds every buffer it receives to diag_parse_batch(), and unit
 * tests feed recorded or hand-built bytes the same way. */
#ifndef NETSTAT_SOCKDIAG_REPLY_H
#define NETSTAT_SOCKDIAG_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/* The kernel's TCP state numbers (include/net/tcp_states.h), as they appear
 * in inet_diag_msg.idiag_state and in the request's state mask. */
enum diag_kstate {
	DIAG_KSTATE_ESTABLISHED = 1,
	DIAG_KSTATE_SYN_SENT = 2,
	DIAG_KSTATE_SYN_RECV = 3,
	DIAG_KSTATE_FIN_WAIT1 = 4,
	DIAG_KSTATE_FIN_WAIT2 = 5,
	DIAG_KSTATE_TIME_WAIT = 6,
	DIAG_KSTATE_CLOSE = 7,
	DIAG_KSTATE_CLOSE_WAIT = 8,
	DIAG_KSTATE_LAST_ACK = 9,
	DIAG_KSTATE_LISTEN = 10,
	DIAG_KSTATE_CLOSING = 11,
	DIAG_KSTATE_NEW_SYN_RECV = 12, /* request sockets: the mask bit that dumps them
					 * (they are reported as SYN_RECV) */
};

/* The eleven TCP states we report, in exposition order. */
/* idiag_timer of a timewait socket (TIME_WAIT, or an orphaned FIN_WAIT2 the
 * kernel keeps as one); full sockets have 0, 1, 2 or 4. */
#define DIAG_TIMER_TIME_WAIT 3

enum diag_tcp_state {
	DIAG_TCP_ESTABLISHED = 0,
	DIAG_TCP_SYN_SENT,
	DIAG_TCP_SYN_RECV,
	DIAG_TCP_FIN_WAIT1,
	DIAG_TCP_FIN_WAIT2,
	DIAG_TCP_TIME_WAIT,
	DIAG_TCP_CLOSE,
	DIAG_TCP_CLOSE_WAIT,
	DIAG_TCP_LAST_ACK,
	DIAG_TCP_LISTEN,
	DIAG_TCP_CLOSING,
	DIAG_TCP_STATE_COUNT
};

/* Label value of a reported state ("established", "syn_recv", ...). */
const char *diag_tcp_state_name(enum diag_tcp_state st);
/* Reported state of a kernel state number; NEW_SYN_RECV maps to SYN_RECV.
 * -1 for a number we do not report. */
int diag_tcp_state(uint8_t kstate);

/* What a TCP socket's INET_DIAG_INFO attribute (struct tcp_info) says, for
 * the fields we use. tcp_info has grown over the years and the attribute is
 * as long as the sending kernel's struct: a field group it does not cover
 * stays 0 and its bit in `have` stays clear. */
#define DIAG_HAVE_TCP_INFO  0x1u /* ca_state .. total_retrans (104 bytes, every 2.6+ kernel) */
#define DIAG_HAVE_TCP_BYTES 0x2u /* bytes_acked, bytes_received (136 bytes, Linux 4.1+) */
#define DIAG_HAVE_DROPS     0x4u /* INET_DIAG_SKMEMINFO with SK_MEMINFO_DROPS (Linux 4.7+) */

struct diag_tcp_info {
	uint8_t ca_state;        /* tcpi_ca_state: TCP_CA_Open .. TCP_CA_Loss */
	uint32_t retrans;        /* tcpi_retrans: retransmitted segments not yet acknowledged */
	uint32_t rtt_us;         /* tcpi_rtt: smoothed RTT, microseconds */
	uint32_t total_retrans;  /* tcpi_total_retrans: segments retransmitted over the socket's life */
	uint64_t bytes_acked;    /* tcpi_bytes_acked */
	uint64_t bytes_received; /* tcpi_bytes_received */
};

/* The congestion-avoidance states of tcpi_ca_state (linux/tcp.h). */
#define DIAG_TCP_CA_RECOVERY 3
#define DIAG_TCP_CA_LOSS 4

/* Whether a socket is retransmitting now: in loss recovery (ca_state
 * Recovery or Loss) or with retransmitted segments not yet acknowledged
 * (tcpi_retrans; ss -ti's retrans:N/ with N > 0). The health families and the
 * connections explorer use this one rule. */
bool diag_tcp_retransmitting(const struct diag_tcp_info *i);

/* One socket as the dump reports it. Addresses are in network byte order;
 * an IPv4 address (also an IPv4-mapped one from an AF_INET6 socket) fills
 * the first 4 bytes and addr_family says AF_INET, so consumers classify
 * peers by what they really are while `family` keeps the socket's own. */
struct diag_sock {
	uint8_t family;      /* AF_INET or AF_INET6: the socket's family */
	uint8_t addr_family; /* AF_INET or AF_INET6: the addresses' family after un-mapping */
	uint8_t protocol;    /* IPPROTO_TCP or IPPROTO_UDP, as dumped */
	uint8_t kstate;      /* kernel state number, see enum diag_kstate */
	uint16_t sport;      /* host byte order */
	uint16_t dport;      /* host byte order */
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t inode;
	uint32_t uid;
	uint32_t rqueue;     /* LISTEN: accept queue length; else bytes */
	uint32_t wqueue;     /* LISTEN: configured backlog; else bytes */
	uint32_t have;       /* DIAG_HAVE_* bits: which of the attribute fields below are set */
	uint32_t drops;      /* SK_MEMINFO_DROPS: packets dropped before the socket queued them */
	uint8_t timer;       /* idiag_timer: DIAG_TIMER_TIME_WAIT for a timewait socket */
	struct diag_tcp_info info;
};

/* Parses one SOCK_DIAG_BY_FAMILY message (header included, nlmsg_len bytes,
 * already checked to fit the buffer). Of the attributes after inet_diag_msg,
 * INET_DIAG_INFO and INET_DIAG_SKMEMINFO are read as far as their length
 * covers our fields (shorter ones leave their `have` bits clear); others are
 * skipped. Returns 0, or -EBADMSG when the payload is shorter than
 * inet_diag_msg, the family is neither AF_INET nor AF_INET6, or an attribute
 * header is malformed or runs past the message. */
int diag_parse_msg(const struct nlmsghdr *nlh, uint8_t protocol, struct diag_sock *out);

/* Called for every socket of a dump; a non-zero return stops the batch and
 * is returned by diag_parse_batch(). */
typedef int (*diag_sock_fn)(const struct diag_sock *s, void *arg);

/* Which replies a batch belongs to, and what it found. */
struct diag_batch {
	uint32_t seq;        /* the request's sequence number */
	uint32_t portid;     /* our netlink port id */
	uint8_t protocol;    /* copied into every record */
	bool interrupted;    /* set when a reply carried NLM_F_DUMP_INTR */
	uint64_t sockets;    /* records handed to the callback so far */
};

/* Walks the netlink messages of one received buffer. Messages of another
 * sequence number or port id (left over from an abandoned dump) and message
 * types other than SOCK_DIAG_BY_FAMILY, NLMSG_DONE and NLMSG_ERROR are
 * skipped. Returns 1 when the dump is complete (NLMSG_DONE, or an NLMSG_ERROR
 * carrying 0), 0 when more buffers are to come, the negative errno carried by
 * NLMSG_ERROR or NLMSG_DONE, -EBADMSG for a truncated message, or the first
 * non-zero return of fn. */
int diag_parse_batch(const void *buf, size_t len, struct diag_batch *b,
		     diag_sock_fn fn, void *arg);

#endif
