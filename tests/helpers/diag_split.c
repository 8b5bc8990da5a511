/* diag_split: checks the bytecode split (diag_bc) against the running
 * kernel, through the exporter's own transport (sockdiag/transport).
 *
 *   diag_split LO HI   For IPv4 and IPv6 TCP (states 1-12 but LISTEN), dumps
 *                      every socket, then half A and half B of the split over
 *                      [LO, HI]. Fails unless the halves together are
 *                      exactly the whole (each socket in one half) and every
 *                      socket is in the half the rule in sockdiag/bytecode.h names.
 *                      Prints "ipv4 all=N a=X b=Y", the same for ipv6, and
 *                      per half and family the SYN_RECV (request) and
 *                      TIME_WAIT sockets: "ipv4 a_syn_recv=.. a_time_wait=..".
 *   diag_split bad     Sends programs the kernel must refuse; fails unless
 *                      every dump fails with EINVAL (and calls back nothing).
 *
 * The population must hold still while it runs (the test builds it first). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>

#include "sockdiag/bytecode.h"
#include "sockdiag/reply.h"
#include "sockdiag/transport.h"

#define NON_LISTEN (((NL_DIAG_STATE(DIAG_KSTATE_NEW_SYN_RECV) << 1) - 2) & ~NL_DIAG_STATE(DIAG_KSTATE_LISTEN))
#define MAX_SOCKS 200000

struct key {
	uint8_t kstate;
	uint16_t sport, dport;
	uint8_t src[16], dst[16];
};

struct set {
	struct key *k;
	size_t n;
};

static int add(const struct diag_sock *s, void *arg)
{
	struct set *set = arg;
	struct key *k;

	if (set->n == MAX_SOCKS)
		return -E2BIG;
	k = &set->k[set->n++];
	memset(k, 0, sizeof(*k));
	k->kstate = s->kstate;
	k->sport = s->sport;
	k->dport = s->dport;
	memcpy(k->src, s->src, 16);
	memcpy(k->dst, s->dst, 16);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct key));
}

static int dump(struct diag_nl *d, uint8_t family, const struct diag_bc *bc, struct set *out)
{
	int ret;

	out->n = 0;
	ret = diag_nl_dump(d, family, IPPROTO_TCP, NON_LISTEN, 0, bc, add, out);
	if (ret == -ENOENT) /* no IPv6 */
		ret = 0;
	if (ret == 0)
		qsort(out->k, out->n, sizeof(struct key), cmp);
	return ret;
}

/* The rule of sockdiag/bytecode.h, written out independently of the bytecode. */
static int in_half_a(const struct key *k, unsigned lo, unsigned hi)
{
	unsigned mid = lo + (hi - lo + 1) / 2;

	if (k->sport >= lo && k->sport <= hi)
		return k->sport < mid;
	return k->dport >= lo && k->dport < mid;
}

static int check_family(struct diag_nl *d, uint8_t family, const char *name,
			const struct diag_bc half[2], unsigned lo, unsigned hi)
{
	static struct set all, h[2];
	unsigned syn[2] = {0, 0}, tw[2] = {0, 0};
	size_t i, j;
	int ret;

	if (all.k == NULL) {
		all.k = calloc(MAX_SOCKS, sizeof(struct key));
		h[0].k = calloc(MAX_SOCKS, sizeof(struct key));
		h[1].k = calloc(MAX_SOCKS, sizeof(struct key));
		if (all.k == NULL || h[0].k == NULL || h[1].k == NULL)
			return -ENOMEM;
	}
	if ((ret = dump(d, family, NULL, &all)) < 0 || (ret = dump(d, family, &half[0], &h[0])) < 0 ||
	    (ret = dump(d, family, &half[1], &h[1])) < 0) {
		fprintf(stderr, "%s: dump failed: %s\n", name, strerror(-ret));
		return ret;
	}
	for (int x = 0; x < 2; x++) {
		for (i = 0; i < h[x].n; i++) {
			const struct key *k = &h[x].k[i];
			if (in_half_a(k, lo, hi) != (x == 0)) {
				fprintf(stderr, "%s: socket %u -> %u state %u in half %c\n", name,
					k->sport, k->dport, k->kstate, 'A' + x);
				return -EPROTO;
			}
			syn[x] += k->kstate == DIAG_KSTATE_SYN_RECV || k->kstate == DIAG_KSTATE_NEW_SYN_RECV;
			tw[x] += k->kstate == DIAG_KSTATE_TIME_WAIT;
		}
	}
	/* Merge the two sorted halves and compare with the whole. */
	if (h[0].n + h[1].n != all.n) {
		fprintf(stderr, "%s: all=%zu but a=%zu b=%zu\n", name, all.n, h[0].n, h[1].n);
		return -EPROTO;
	}
	for (i = 0, j = 0; i + j < all.n;) {
		const struct key *k;
		if (j == h[1].n || (i < h[0].n && cmp(&h[0].k[i], &h[1].k[j]) <= 0))
			k = &h[0].k[i++];
		else
			k = &h[1].k[j++];
		if (cmp(k, &all.k[i + j - 1]) != 0) {
			fprintf(stderr, "%s: the halves differ from the whole dump\n", name);
			return -EPROTO;
		}
	}
	printf("%s all=%zu a=%zu b=%zu\n", name, all.n, h[0].n, h[1].n);
	printf("%s a_syn_recv=%u b_syn_recv=%u a_time_wait=%u b_time_wait=%u\n", name, syn[0], syn[1],
	       tw[0], tw[1]);
	return 0;
}

static int never(const struct diag_sock *s, void *arg)
{
	(void)s;
	++*(unsigned *)arg;
	return 0;
}

/* Programs inet_diag_bc_audit() refuses: a jump not a multiple of 4, a jump
 * past end + 4, a port comparison missing its port op. */
static int check_bad(struct diag_nl *d)
{
	static const struct inet_diag_bc_op bad[][2] = {
		{{INET_DIAG_BC_JMP, 4, 6}, {INET_DIAG_BC_NOP, 4, 0}},
		{{INET_DIAG_BC_JMP, 4, 16}, {INET_DIAG_BC_NOP, 4, 0}},
		{{INET_DIAG_BC_NOP, 4, 0}, {INET_DIAG_BC_S_GE, 4, 8}},
	};
	int ret = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct diag_bc bc = {.len = sizeof(bad[i])};
		unsigned seen = 0;
		int r;

		memcpy(bc.ops, bad[i], sizeof(bad[i]));
		r = diag_nl_dump(d, AF_INET, IPPROTO_TCP, NON_LISTEN, 0, &bc, never, &seen);
		printf("bad program %zu: %s, %u sockets\n", i, r < 0 ? strerror(-r) : "accepted", seen);
		if (r != -EINVAL || seen != 0)
			ret = -EPROTO;
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct diag_nl d;
	struct diag_bc half[2];
	unsigned long lo = 0, hi = 0;
	int ret;

	if (argc == 2 && strcmp(argv[1], "bad") == 0) {
		if (diag_nl_init(&d) < 0)
			return 1;
		ret = check_bad(&d);
		diag_nl_fini(&d);
		return ret < 0;
	}
	if (argc != 3 || (lo = strtoul(argv[1], NULL, 10)) < 1 || (hi = strtoul(argv[2], NULL, 10)) < lo ||
	    hi > 65535) {
		fprintf(stderr, "usage: diag_split LO HI | diag_split bad\n");
		return 2;
	}
	for (int h = 0; h < 2; h++) {
		ret = diag_bc_build((struct diag_bc_range){(uint16_t)lo, (uint16_t)hi}, h == 1, half[h].ops,
				    sizeof(half[h].ops));
		if (ret < 0)
			return 1;
		half[h].len = (size_t)ret;
	}
	if (diag_nl_init(&d) < 0)
		return 1;
	ret = check_family(&d, AF_INET, "ipv4", half, (unsigned)lo, (unsigned)hi);
	if (ret == 0)
		ret = check_family(&d, AF_INET6, "ipv6", half, (unsigned)lo, (unsigned)hi);
	diag_nl_fini(&d);
	return ret < 0;
}
