/* geoip_lookup: the cost of one country lookup, cached or not.
 *
 *   geoip_lookup DB.mmdb [N]
 *
 * Looks up N (default 150000) distinct IPv4 addresses spread over the whole
 * address space (the worst case for the per-census cache: every socket a
 * different peer), then the same N through the cache with 64 distinct
 * addresses (a few busy peers). Prints nanoseconds per lookup for both and
 * how many addresses had a country. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "geoip/geoip.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct strbuf err;
	struct geoip *g;
	struct geoip_cache *c;
	unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 10) : 150000;
	unsigned long found = 0, sink = 0;
	double t0, t1, t2;

	if (argc < 2) {
		fprintf(stderr, "usage: geoip_lookup DB.mmdb [N]\n");
		return 2;
	}
	sb_init(&err);
	if (geoip_open(argv[1], NULL, &g, &err) < 0) {
		fprintf(stderr, "%s\n", err.buf);
		return 1;
	}
	c = geoip_cache_new();
	t0 = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		/* A multiplicative walk: distinct, spread over all of IPv4. */
		uint32_t a = (uint32_t)(i * 2654435761u);
		uint8_t b[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
		found += geoip_country(g, AF_INET, b) != GEOIP_CC_NONE;
	}
	t1 = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		uint8_t b[4] = {198, 51, 100, (uint8_t)(i % 64)};
		sink += geoip_country_cached(g, c, AF_INET, b);
	}
	t2 = now_ns();
	printf("lookups=%lu uncached_ns=%.0f cached_ns=%.0f with_country=%lu (%lu)\n", n,
	       (t1 - t0) / (double)n, (t2 - t1) / (double)n, found, sink % 2);
	geoip_cache_free(c);
	geoip_free(g);
	sb_fini(&err);
	return 0;
}
