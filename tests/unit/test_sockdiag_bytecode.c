/* diag_bc: the exact bytes of a known split, the jump structure the kernel's
 * audit wants (checked without running the program), what the two halves
 * accept (a small evaluator over boundary ports), and the errors. The real
 * kernel runs the programs in tests/integration/sockets_split.sh. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/inet_diag.h>

#include <cmocka.h>

#include "sockdiag/bytecode.h"

#define OP(code, yes, no) {(code), (yes), (no)}
#define PORT(p) {0, 0, (p)}

/* [40000, 40099]: mid 40050, half A takes local ports 40000-40049. */
static const struct inet_diag_bc_op want_a[] = {
	/*  0 */ OP(INET_DIAG_BC_S_GE, 8, 28), PORT(40000), /* else to the dport test at 28 */
	/*  8 */ OP(INET_DIAG_BC_S_LE, 8, 20), PORT(40099), /* else to 28 */
	/* 16 */ OP(INET_DIAG_BC_S_LE, 8, 32), PORT(40049), /* else 48 = end + 4: reject */
	/* 24 */ OP(INET_DIAG_BC_JMP, 4, 20),               /* 44 = end: accept */
	/* 28 */ OP(INET_DIAG_BC_D_GE, 8, 20), PORT(40000), /* else reject */
	/* 36 */ OP(INET_DIAG_BC_D_LE, 8, 12), PORT(40049), /* yes: end, accept; else reject */
};

static void test_known_bytes(void **state)
{
	uint8_t out[DIAG_BC_MAX_LEN + 8];
	struct inet_diag_bc_op want_b[sizeof(want_a) / sizeof(want_a[0]) + 1];
	const struct diag_bc_range r = {40000, 40099};
	int n;

	(void)state;
	memset(out, 0xaa, sizeof(out));
	n = diag_bc_build(r, false, out, sizeof(out));
	assert_int_equal(n, sizeof(want_a));
	assert_int_equal(n, 44);
	assert_memory_equal(out, want_a, sizeof(want_a));
	assert_int_equal(out[n], 0xaa); /* nothing written past the end */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	{
		/* The layout itself: code, yes, no (host order), then the port. */
		static const uint8_t head[] = {INET_DIAG_BC_S_GE, 8, 28, 0, 0, 0, 0x40, 0x9c};
		assert_memory_equal(out, head, sizeof(head));
	}
#endif

	/* Half B: half A, then one jump past the end. */
	memcpy(want_b, want_a, sizeof(want_a));
	want_b[sizeof(want_a) / sizeof(want_a[0])] = (struct inet_diag_bc_op)OP(INET_DIAG_BC_JMP, 4, 8);
	memset(out, 0xaa, sizeof(out));
	n = diag_bc_build(r, true, out, sizeof(out));
	assert_int_equal(n, sizeof(want_b));
	assert_int_equal(n, DIAG_BC_MAX_LEN);
	assert_memory_equal(out, want_b, sizeof(want_b));
}

static const struct diag_bc_range ranges[] = {
	{40000, 40099}, {32768, 60999}, {1024, 65535}, {1, 65535}, {1, 1}, {1, 2},
	{65535, 65535}, {65534, 65535}, {2, 3}, {50000, 50000},
};
#define NRANGES (sizeof(ranges) / sizeof(ranges[0]))

static bool port_cmp(uint8_t code)
{
	return code == INET_DIAG_BC_S_GE || code == INET_DIAG_BC_S_LE ||
	       code == INET_DIAG_BC_D_GE || code == INET_DIAG_BC_D_LE;
}

/* The rules of the kernel's inet_diag_bc_audit(), for the ops we use,
 * without running anything: the `yes` chain starts at 0, visits every
 * instruction and ends exactly at the end; a comparison has its port op and
 * both its jumps skip it; every jump is a multiple of 4 and lands at most
 * 4 bytes past the end; a `no` jump short of the end lands on the chain. */
static void audit(const uint8_t *bc, int len, const char *what)
{
	bool on_chain[DIAG_BC_MAX_LEN + 1] = {false};
	int pos = 0;

	assert_true(len > 0 && len <= DIAG_BC_MAX_LEN && len % 4 == 0);
	while (pos < len) {
		on_chain[pos] = true;
		pos += ((const struct inet_diag_bc_op *)(bc + pos))->yes;
	}
	if (pos != len)
		fail_msg("%s: the yes chain ends at %d, not %d", what, pos, len);
	for (pos = 0; pos < len;) {
		struct inet_diag_bc_op op;
		int rest = len - pos, min = 4;

		memcpy(&op, bc + pos, sizeof(op));
		if (port_cmp(op.code))
			min = 8;
		else if (op.code != INET_DIAG_BC_JMP)
			fail_msg("%s: op %u at %d", what, op.code, pos);
		if (rest < min)
			fail_msg("%s: comparison at %d has no port", what, pos);
		if (op.yes < min || op.yes > rest + 4 || op.yes % 4 != 0)
			fail_msg("%s: yes %u at %d", what, op.yes, pos);
		if (op.no < min || op.no > rest + 4 || op.no % 4 != 0)
			fail_msg("%s: no %u at %d", what, op.no, pos);
		if (op.no < rest && !on_chain[pos + op.no])
			fail_msg("%s: no %u at %d lands off the chain", what, op.no, pos);
		/* Ours: yes always falls through, so every op is on the chain. */
		assert_int_equal(op.yes, min);
		pos += op.yes;
	}
}

static void test_jump_structure(void **state)
{
	(void)state;
	for (size_t i = 0; i < NRANGES; i++) {
		uint8_t a[DIAG_BC_MAX_LEN], b[DIAG_BC_MAX_LEN];
		char what[64];
		int na = diag_bc_build(ranges[i], false, a, sizeof(a));
		int nb = diag_bc_build(ranges[i], true, b, sizeof(b));

		snprintf(what, sizeof(what), "[%u, %u]", ranges[i].lo, ranges[i].hi);
		assert_true(na > 0);
		assert_int_equal(nb, na + 4);
		audit(a, na, what);
		audit(b, nb, what);
		/* B is A plus the inverting jump. */
		assert_memory_equal(a, b, (size_t)na);
	}
}

/* The kernel's inet_diag_bc_run(), reduced to the ops we emit. */
static bool run(const uint8_t *bc, int len, uint16_t sport, uint16_t dport)
{
	while (len > 0) {
		struct inet_diag_bc_op op, arg;
		bool yes = false;

		memcpy(&op, bc, sizeof(op));
		if (port_cmp(op.code))
			memcpy(&arg, bc + sizeof(op), sizeof(arg));
		switch (op.code) {
		case INET_DIAG_BC_S_GE: yes = sport >= arg.no; break;
		case INET_DIAG_BC_S_LE: yes = sport <= arg.no; break;
		case INET_DIAG_BC_D_GE: yes = dport >= arg.no; break;
		case INET_DIAG_BC_D_LE: yes = dport <= arg.no; break;
		case INET_DIAG_BC_JMP: yes = false; break;
		default: fail_msg("op %u", op.code);
		}
		bc += yes ? op.yes : op.no;
		len -= yes ? op.yes : op.no;
	}
	return len == 0;
}

/* The rule of sockdiag/bytecode.h, written out. */
static bool rule_a(struct diag_bc_range r, unsigned sport, unsigned dport)
{
	unsigned mid = r.lo + ((unsigned)r.hi - r.lo + 1) / 2;

	if (sport >= r.lo && sport <= r.hi)
		return sport < mid;
	return dport >= r.lo && dport < mid;
}

static void test_halves_partition(void **state)
{
	(void)state;
	for (size_t i = 0; i < NRANGES; i++) {
		struct diag_bc_range r = ranges[i];
		unsigned mid = r.lo + ((unsigned)r.hi - r.lo + 1) / 2;
		const long edges[] = {0, 1, 80, r.lo - 1L, r.lo, r.lo + 1L, mid - 1L, mid, mid + 1L,
				      r.hi - 1L, r.hi, r.hi + 1L, 65534, 65535};
		uint8_t a[DIAG_BC_MAX_LEN], b[DIAG_BC_MAX_LEN];
		int na = diag_bc_build(r, false, a, sizeof(a));
		int nb = diag_bc_build(r, true, b, sizeof(b));

		for (size_t s = 0; s < sizeof(edges) / sizeof(edges[0]); s++) {
			for (size_t d = 0; d < sizeof(edges) / sizeof(edges[0]); d++) {
				uint16_t sp, dp;
				bool in_a, in_b;

				if (edges[s] < 0 || edges[s] > 65535 || edges[d] < 0 || edges[d] > 65535)
					continue;
				sp = (uint16_t)edges[s];
				dp = (uint16_t)edges[d];
				in_a = run(a, na, sp, dp);
				in_b = run(b, nb, sp, dp);
				if (in_a == in_b || in_a != rule_a(r, sp, dp))
					fail_msg("[%u, %u] sport %u dport %u: A %d B %d", r.lo, r.hi, sp, dp,
						 in_a, in_b);
			}
		}
	}
}

static void test_errors(void **state)
{
	uint8_t out[DIAG_BC_MAX_LEN];

	(void)state;
	assert_int_equal(diag_bc_build((struct diag_bc_range){0, 100}, false, out, sizeof(out)), -EINVAL);
	assert_int_equal(diag_bc_build((struct diag_bc_range){200, 100}, true, out, sizeof(out)), -EINVAL);
	assert_int_equal(diag_bc_build((struct diag_bc_range){1, 2}, false, out, 43), -ENOSPC);
	assert_int_equal(diag_bc_build((struct diag_bc_range){1, 2}, false, out, 44), 44);
	assert_int_equal(diag_bc_build((struct diag_bc_range){1, 2}, true, out, 47), -ENOSPC);
	assert_int_equal(diag_bc_build((struct diag_bc_range){1, 2}, true, out, 48), 48);
	assert_int_equal(diag_bc_build(DIAG_BC_DEFAULT_RANGE, true, out, sizeof(out)), 48);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_bytes),
		cmocka_unit_test(test_jump_structure),
		cmocka_unit_test(test_halves_partition),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
