/* events/kernel: what the running kernel offers the event layer, read from
 * its BTF: which tracepoints exist and with which arguments, and the reason
 * enums (names as label values, and the values the programs test for).
 * Debian 12's 6.1 has every tracepoint but passes no reset reason (and does
 * not trace resets sent without a socket: they are counted from the drops of
 * the segments they answer), and its drop reasons lack TCP_LISTEN_OVERFLOW
 * and SKB_CONSUMED: docs/events.md, "Kernels".
 *
 * Only built with NETSTAT_EVENTS (libbpf). */
#ifndef NETSTAT_EVENTS_KERNEL_H
#define NETSTAT_EVENTS_KERNEL_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "events/abi.h"
#include "events/reasons.h"
#include "util/strbuf.h"

struct btf;

struct events_kernel {
	bool tp[EV_PROG_COUNT]; /* the program's tracepoint exists (cgroup, iterator: true) */
	bool rst_reason;        /* tcp_send_reset passes enum sk_rst_reason (6.10 on) */
	bool rst_nosk;          /* and fires for resets without a socket (6.10 on too) */
	bool retransmit_err;    /* tcp_retransmit_skb passes err */
	/* Values of enum skb_drop_reason's SKB_CONSUMED, NO_SOCKET,
	 * TCP_LISTEN_OVERFLOW and QUEUE_PURGE; -1 where the kernel has none. */
	int64_t consumed, no_socket, listen_overflow, queue_purge;
	struct events_reasons rst, drop; /* names by value; owned */
};

/* Reads k (storage the caller owns; events_kernel_fini() after, whatever
 * the result) from btf, and appends to lacks, "; " between items, what the
 * kernel lacks and what that costs. 0 or -ENOMEM. */
int events_kernel_read(const struct btf *btf, struct events_kernel *k, struct strbuf *lacks);
void events_kernel_fini(struct events_kernel *k);
/* Appends one item (at most 511 bytes) to lacks, "; " after the others. */
void events_lack(struct strbuf *lacks, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
