/* sockdiag/transport: the sock_diag netlink transport.
 *
 * One NETLINK_SOCK_DIAG socket (libmnl, MNL_SOCKET_AUTOPID) and a receive
 * buffer; diag_nl_dump() sends one SOCK_DIAG_BY_FAMILY dump request with a
 * state mask, optionally a bytecode filter (sockdiag/bytecode.h), the
 * extensions asked for (idiag_ext: NL_DIAG_EXT_*),
 * and hands every socket of the reply to a callback while it streams
 * (diag_parse_batch() does the message walk). Not thread-safe: use one
 * struct diag_nl per thread. */
#ifndef NETSTAT_SOCKDIAG_TRANSPORT_H
#define NETSTAT_SOCKDIAG_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "sockdiag/bytecode.h"
#include "sockdiag/reply.h"

/* Per recvmsg: the kernel builds dump replies of at most 32 KiB. */
#define NL_DIAG_BUF_SIZE 65536

struct mnl_socket;

struct diag_nl {
	struct mnl_socket *nl; /* owned; NULL until opened, or after a failure */
	uint32_t portid;
	uint32_t seq;          /* last request's sequence number */
	uint8_t *buf;          /* NL_DIAG_BUF_SIZE bytes: owned after diag_nl_init(); a
				* caller that only adopts (many sockets, one buffer per
				* thread) may lend one for each dump instead */
	bool adopted;          /* the socket came from diag_nl_adopt(): never reopened here */
};

/* Allocates the buffer; the socket is opened lazily. 0 or -ENOMEM. */
int diag_nl_init(struct diag_nl *d);
void diag_nl_fini(struct diag_nl *d);

/* Opens the socket now unless it is open: diag_nl_dump() does it when
 * needed. An adopted socket that failed is not replaced: -ENOTCONN. 0 or a
 * negative errno. */
int diag_nl_open(struct diag_nl *d);

/* Takes over fd, a NETLINK_SOCK_DIAG socket created elsewhere (e.g. inside
 * another network namespace: a netlink socket stays bound to the namespace
 * it was created in), binds it and uses it for later dumps. Once the socket
 * fails it is closed and never replaced by one opened here: dumps then
 * return -ENOTCONN. fd is owned by d even on failure. 0 or a negative errno. */
int diag_nl_adopt(struct diag_nl *d, int fd);

/* Mask bit of a kernel TCP state number (enum diag_kstate). */
#define NL_DIAG_STATE(k) (1u << (k))
#define NL_DIAG_ALL_STATES 0xffffffffu

/* idiag_ext bits: attributes the kernel adds to each reply message. */
#define NL_DIAG_EXT(attr) ((uint8_t)(1u << ((attr) - 1)))
#define NL_DIAG_EXT_INFO 0x02u       /* NL_DIAG_EXT(INET_DIAG_INFO): struct tcp_info (full TCP sockets) */
#define NL_DIAG_EXT_SKMEMINFO 0x40u  /* NL_DIAG_EXT(INET_DIAG_SKMEMINFO): socket memory and drops */

/* Dumps the sockets of one family (AF_INET, AF_INET6) and protocol
 * (IPPROTO_TCP, IPPROTO_UDP) whose state is in `states` and, when bc is not
 * NULL, that its program accepts (borrowed for the call; sent as
 * INET_DIAG_REQ_BYTECODE; the kernel audits it and fails the request with
 * -EINVAL when it refuses it; a bc->len of 0 or above DIAG_BC_MAX_LEN is
 * -EINVAL here), calling fn for each. ext is the request's idiag_ext (0:
 * no attributes).
 * Returns 0; -EINTR when the kernel flagged the dump inconsistent
 * (NLM_F_DUMP_INTR: every record was still delivered, the caller decides
 * whether to start over); the first non-zero return of fn; or another
 * negative errno (socket, transport or a kernel error carried in the reply).
 * The reply is always read to its end (or the socket closed), so the next
 * dump starts clean. */
int diag_nl_dump(struct diag_nl *d, uint8_t family, uint8_t protocol,
		 uint32_t states, uint8_t ext, const struct diag_bc *bc, diag_sock_fn fn, void *arg);

#endif
