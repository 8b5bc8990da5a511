/* sockdiag/bytecode: inet_diag bytecode that splits a TCP dump. See sockdiag/bytecode.h. */
#include "sockdiag/bytecode.h"

#include <errno.h>
#include <string.h>
#include <linux/inet_diag.h>

/* Jump targets, resolved when the program's length is known. */
enum target {
	TO_DPORT = 0, /* the test of the remote port */
	TO_ACCEPT,    /* the end of the program */
	TO_REJECT,    /* 4 bytes past the end */
	TO_COUNT
};

struct insn {
	uint8_t code;
	enum target no; /* yes always falls through to the next instruction */
};

/* Half A. A port comparison takes two ops (the port rides in the second
 * op's `no`), a jump one. */
static const struct insn half_a[] = {
	/* 0 */ {INET_DIAG_BC_S_GE, TO_DPORT},   /* sport >= lo, else not ephemeral */
	/* 1 */ {INET_DIAG_BC_S_LE, TO_DPORT},   /* sport <= hi, else not ephemeral */
	/* 2 */ {INET_DIAG_BC_S_LE, TO_REJECT},  /* sport <= mid - 1, else half B */
	/* 3 */ {INET_DIAG_BC_JMP, TO_ACCEPT},   /* sport in [lo, mid - 1] */
	/* 4 */ {INET_DIAG_BC_D_GE, TO_REJECT},  /* dport >= lo */
	/* 5 */ {INET_DIAG_BC_D_LE, TO_REJECT},  /* dport <= mid - 1; falls off the end: accept */
};
#define NINSN (sizeof(half_a) / sizeof(half_a[0]))
#define DPORT_INSN 4

static size_t insn_len(uint8_t code)
{
	return code == INET_DIAG_BC_JMP ? sizeof(struct inet_diag_bc_op)
					 : 2 * sizeof(struct inet_diag_bc_op);
}

int diag_bc_build(struct diag_bc_range r, bool complement, uint8_t *out, size_t cap)
{
	uint16_t port[NINSN];
	size_t at[NINSN + 1], len, target[TO_COUNT];
	uint16_t mid;
	int ret;

	if (r.lo == 0 || r.hi < r.lo) {
		ret = -EINVAL;
		goto out;
	}
	mid = (uint16_t)(r.lo + ((unsigned)r.hi - r.lo + 1) / 2); /* lo <= mid <= hi */
	port[0] = r.lo;
	port[1] = r.hi;
	port[2] = (uint16_t)(mid - 1);
	port[3] = 0; /* a jump has none */
	port[4] = r.lo;
	port[5] = (uint16_t)(mid - 1);

	at[0] = 0;
	for (size_t i = 0; i < NINSN; i++)
		at[i + 1] = at[i] + insn_len(half_a[i].code);
	/* Half B is half A followed by one jump past the end: what A accepted
	 * lands on it and is rejected, what A rejected (end + 4) is now the
	 * end and accepted. */
	len = at[NINSN] + (complement ? sizeof(struct inet_diag_bc_op) : 0);
	if (len > cap) {
		ret = -ENOSPC;
		goto out;
	}
	target[TO_DPORT] = at[DPORT_INSN];
	target[TO_ACCEPT] = at[NINSN];
	target[TO_REJECT] = at[NINSN] + sizeof(struct inet_diag_bc_op);

	for (size_t i = 0; i < NINSN; i++) {
		struct inet_diag_bc_op op[2];
		size_t n = insn_len(half_a[i].code);

		memset(op, 0, sizeof(op));
		op[0].code = half_a[i].code;
		op[0].yes = (uint8_t)n;
		op[0].no = (uint16_t)(target[half_a[i].no] - at[i]);
		op[1].no = port[i];
		memcpy(out + at[i], op, n);
	}
	if (complement) {
		struct inet_diag_bc_op jmp = {INET_DIAG_BC_JMP, sizeof(jmp), 2 * sizeof(jmp)};
		memcpy(out + at[NINSN], &jmp, sizeof(jmp));
	}
	ret = (int)len;
out:
	return ret;
}
