/* sockdiag/bytecode: inet_diag bytecode that splits a TCP dump into two halves.
 *
 * Pure: builds the INET_DIAG_REQ_BYTECODE program of a SOCK_DIAG_BY_FAMILY
 * request into a caller's buffer; no I/O. The kernel runs the program for
 * every socket of the dump (full, request and TIME_WAIT sockets alike, on
 * their local and remote port in host order) and only builds a reply message
 * for the ones it accepts, so two dumps with complementary programs can run
 * on two threads and each pays for about half the sockets.
 *
 * The split: with [lo, hi] the ephemeral port range and
 * mid = lo + (hi - lo + 1) / 2, half A accepts a socket when
 *     sport in [lo, mid - 1], or
 *     sport not in [lo, hi] and dport in [lo, mid - 1];
 * half B accepts exactly the others. Both sockets of a loopback connection
 * land in the half of the client's ephemeral port. */
#ifndef NETSTAT_SOCKDIAG_BYTECODE_H
#define NETSTAT_SOCKDIAG_BYTECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of the longest program diag_bc_build() writes. */
#define DIAG_BC_MAX_LEN 48

/* The ephemeral port range, both ends included. */
struct diag_bc_range {
	uint16_t lo;
	uint16_t hi;
};

/* The range Linux uses by default (ip_local_port_range). */
#define DIAG_BC_DEFAULT_RANGE ((struct diag_bc_range){32768, 60999})

/* A built program, as diag_nl_dump() takes it. */
struct diag_bc {
	size_t len; /* bytes used in ops, 1..DIAG_BC_MAX_LEN */
	uint8_t ops[DIAG_BC_MAX_LEN];
};

/* Writes the program of half A (complement false) or half B (true) to out.
 * Returns its length in bytes (a multiple of 4, at most DIAG_BC_MAX_LEN);
 * -EINVAL when the range is empty or starts at 0; -ENOSPC when cap is too
 * small. The program passes the kernel's audit (inet_diag_bc_audit): every
 * instruction lies on the chain of `yes` jumps, every `no` jump lands on an
 * instruction of that chain, exactly at the end (accept) or 4 bytes past it
 * (reject). */
int diag_bc_build(struct diag_bc_range r, bool complement, uint8_t *out, size_t cap);

#endif
