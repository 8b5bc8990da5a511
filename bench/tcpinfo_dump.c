/* tcpinfo_dump: what asking for tcp_info costs the kernel dump, and which way
 * of asking is cheaper. One thread, the exporter's own transport
 * (diag_nl_dump), IPv4 and IPv6 non-listening TCP sockets, nothing done per
 * socket but counting it and its tcp_info attributes. Variants, interleaved
 * run by run:
 *   off    one dump per family, no extension (the scrape without tcp-info);
 *   whole  one dump per family with INET_DIAG_INFO on every socket;
 *   split  per family, a dump of ESTABLISHED with INET_DIAG_INFO plus a dump
 *          of the other states without.
 * Prints the median wall time of RUNS of each, and the counts.
 *
 *   tcpinfo_dump [RUNS] */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "sockdiag/transport.h"

/* Kernel states 1..12 but LISTEN, as the sockets collector asks. */
#define NON_LISTEN (((1u << 13) - 2) & ~NL_DIAG_STATE(DIAG_KSTATE_LISTEN))
#define EST NL_DIAG_STATE(DIAG_KSTATE_ESTABLISHED)

struct counts {
	uint64_t sockets, with_info;
};

static int count(const struct diag_sock *s, void *arg)
{
	struct counts *c = arg;

	c->sockets++;
	c->with_info += (s->have & DIAG_HAVE_TCP_INFO) != 0;
	return 0;
}

enum variant { OFF = 0, WHOLE, SPLIT, VARIANT_COUNT };
static const char *const names[VARIANT_COUNT] = {"off", "whole", "split"};

static int run(struct diag_nl *d, enum variant v, struct counts *c)
{
	static const uint8_t fams[] = {AF_INET, AF_INET6};
	int ret = 0;

	for (size_t f = 0; f < sizeof(fams) && ret == 0; f++) {
		if (v == OFF)
			ret = diag_nl_dump(d, fams[f], IPPROTO_TCP, NON_LISTEN, 0, NULL, count, c);
		else if (v == WHOLE)
			ret = diag_nl_dump(d, fams[f], IPPROTO_TCP, NON_LISTEN, NL_DIAG_EXT_INFO, NULL, count, c);
		else if ((ret = diag_nl_dump(d, fams[f], IPPROTO_TCP, EST, NL_DIAG_EXT_INFO, NULL, count, c)) == 0)
			ret = diag_nl_dump(d, fams[f], IPPROTO_TCP, NON_LISTEN & ~EST, 0, NULL, count, c);
	}
	return ret;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 11;
	double *t[VARIANT_COUNT];
	struct counts c[VARIANT_COUNT];
	struct diag_nl d;

	if (runs < 1 || diag_nl_init(&d) < 0)
		return 1;
	for (int v = 0; v < VARIANT_COUNT; v++) {
		t[v] = calloc((size_t)runs, sizeof(double));
		if (t[v] == NULL)
			return 1;
	}
	for (int r = 0; r < runs; r++) {
		for (int v = 0; v < VARIANT_COUNT; v++) {
			struct timespec a, b;
			int ret;
			memset(&c[v], 0, sizeof(c[v]));
			clock_gettime(CLOCK_MONOTONIC, &a);
			ret = run(&d, v, &c[v]);
			clock_gettime(CLOCK_MONOTONIC, &b);
			if (ret < 0 && ret != -EINTR) { /* -EINTR: inconsistent, still counted */
				fprintf(stderr, "tcpinfo_dump: %s: %s\n", names[v], strerror(-ret));
				return 1;
			}
			t[v][r] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		}
	}
	for (int v = 0; v < VARIANT_COUNT; v++) {
		qsort(t[v], (size_t)runs, sizeof(double), cmp);
		printf("%s_ms=%.3f sockets=%llu with_info=%llu\n", names[v], t[v][runs / 2],
		       (unsigned long long)c[v].sockets, (unsigned long long)c[v].with_info);
		free(t[v]);
	}
	diag_nl_fini(&d);
	return 0;
}
