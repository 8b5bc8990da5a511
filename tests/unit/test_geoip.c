/* geoip over small MaxMind DB files (tests/fixtures/geoip): both record
 * layouts told apart by their metadata, IPv4 and IPv6, the ASN database,
 * the cache, start-up errors, reopening a replaced file, keeping the last
 * good one when it goes away, is truncated, rewritten in place or replaced
 * by a corrupt file, each failed version tried once, the SIGHUP flag; and
 * the census's country family and peer labels with a database. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "collectors/sockets.h"
#include "geoip/geoip.h"
#include <maxminddb.h>
#include "sockdiag/census.h"
#include "fixture_tree.h"

#define FIX FIXTURES_DIR "/geoip/"

/* Every MMDB_open of the library under test comes here first: the test
 * binary's definition wins over libmaxminddb's, which it then calls. */
static unsigned mmdb_opens;

int MMDB_open(const char *const filename, uint32_t flags, MMDB_s *const mmdb)
{
	int (*real)(const char *, uint32_t, MMDB_s *);

	*(void **)&real = dlsym(RTLD_NEXT, "MMDB_open");
	assert_non_null(real);
	mmdb_opens++;
	return real(filename, flags, mmdb);
}

static unsigned cc_of(const struct geoip *g, const char *addr)
{
	uint8_t a[16];
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;

	assert_int_equal(inet_pton(fam, addr, a), 1);
	return geoip_country(g, (uint8_t)fam, a);
}

static const char *cc_str(const struct geoip *g, const char *addr)
{
	static char out[3];

	geoip_cc_name(cc_of(g, addr), out);
	return out;
}

static struct geoip *open_ok(const char *country, const char *asn)
{
	struct strbuf err;
	struct geoip *g = NULL;

	sb_init(&err);
	if (geoip_open(country, asn, &g, &err) != 0)
		fail_msg("geoip_open %s: %s", country, err.buf ? err.buf : "?");
	sb_fini(&err);
	return g;
}

static void test_layouts(void **st)
{
	static const char *const files[] = {FIX "maxmind.mmdb", FIX "cc0.mmdb"};

	(void)st;
	for (size_t i = 0; i < 2; i++) {
		struct geoip *g = open_ok(files[i], NULL);

		assert_string_equal(cc_str(g, "192.0.2.77"), "DE");
		assert_string_equal(cc_str(g, "198.51.100.1"), "FR");
		assert_string_equal(cc_str(g, "203.0.113.255"), "JP");
		assert_string_equal(cc_str(g, "2001:db8::1"), "NL");
		assert_string_equal(cc_str(g, "2001:db8:ffff::1"), "NL");
		/* Outside the mapped ranges. */
		assert_int_equal(cc_of(g, "192.0.3.1"), GEOIP_CC_NONE);
		assert_int_equal(cc_of(g, "2001:db9::1"), GEOIP_CC_NONE);
		assert_int_equal(cc_of(g, "8.8.8.8"), GEOIP_CC_NONE);
		assert_false(geoip_has_asn(g));
		geoip_free(g);
	}
}

static void test_asn(void **st)
{
	struct geoip *g = open_ok(FIX "cc0.mmdb", FIX "asn.mmdb");
	uint8_t a[16];
	uint32_t asn;
	char org[8];

	(void)st;
	assert_true(geoip_has_asn(g));
	inet_pton(AF_INET, "203.0.113.9", a);
	geoip_asn(g, AF_INET, a, &asn, org, sizeof(org));
	assert_int_equal(asn, 64498);
	assert_string_equal(org, "Documen"); /* cut to the buffer, NUL-terminated */
	inet_pton(AF_INET6, "2001:db8::7", a);
	geoip_asn(g, AF_INET6, a, &asn, org, sizeof(org));
	assert_int_equal(asn, 64499);
	inet_pton(AF_INET, "10.0.0.1", a);
	geoip_asn(g, AF_INET, a, &asn, org, sizeof(org));
	assert_int_equal(asn, 0);
	assert_string_equal(org, "");
	geoip_free(g);
}

static void test_cc_names(void **st)
{
	char out[3];

	(void)st;
	assert_int_equal(geoip_cc_index("AA"), 1);
	assert_int_equal(geoip_cc_index("ZZ"), GEOIP_CC_COUNT - 1);
	assert_int_equal(geoip_cc_index("de"), GEOIP_CC_NONE);
	assert_int_equal(geoip_cc_index("DEU"), GEOIP_CC_NONE);
	assert_int_equal(geoip_cc_index("D"), GEOIP_CC_NONE);
	for (unsigned i = 1; i < GEOIP_CC_COUNT; i++) {
		geoip_cc_name(i, out);
		assert_int_equal(geoip_cc_index(out), i);
	}
	geoip_cc_name(GEOIP_CC_NONE, out);
	assert_string_equal(out, "");
	geoip_cc_name(GEOIP_CC_COUNT, out);
	assert_string_equal(out, "");
}

static void test_cache(void **st)
{
	struct geoip *g = open_ok(FIX "maxmind.mmdb", NULL);
	struct geoip_cache *c = geoip_cache_new();

	(void)st;
	assert_non_null(c);
	/* Many addresses, so slots are reused: every answer still right. */
	for (int round = 0; round < 3; round++) {
		for (unsigned i = 0; i < 5000; i++) {
			uint8_t a[4] = {i % 2 ? 198 : 192, i % 2 ? 51 : 0, i % 2 ? 100 : 2, (uint8_t)i};
			uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					 (uint8_t)(i >> 8), (uint8_t)i};
			unsigned want = geoip_cc_index(i % 2 ? "FR" : "DE");
			assert_int_equal(geoip_country_cached(g, c, AF_INET, a), want);
			assert_int_equal(geoip_country_cached(g, c, AF_INET6, b), geoip_cc_index("NL"));
		}
	}
	geoip_cache_free(c);
	geoip_free(g);
}

static void test_open_errors(void **st)
{
	static const struct {
		const char *country, *asn, *want;
	} cases[] = {
		{FIX "absent.mmdb", NULL, "cannot open GeoIP database " FIX "absent.mmdb: No such file"},
		{FIX "corrupt.mmdb", NULL, "cannot open GeoIP database " FIX "corrupt.mmdb: "},
		{FIX "README", NULL, "cannot open GeoIP database " FIX "README: "},
		{FIX "maxmind.mmdb", FIX "absent.mmdb", "cannot open GeoIP database " FIX "absent.mmdb"},
	};
	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf err;
		struct geoip *g = (struct geoip *)1;

		sb_init(&err);
		assert_int_equal(geoip_open(cases[i].country, cases[i].asn, &g, &err), -EINVAL);
		assert_null(g);
		assert_non_null(err.buf);
		if (strncmp(err.buf, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("got '%s', want '%s...'", err.buf, cases[i].want);
		sb_fini(&err);
	}
}

static void copy(const char *from, const char *to)
{
	char buf[4096];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* A scratch directory (tests/unit/fixture_tree.h) with room for two
 * database files and a new one to rename over them. */
struct scratch {
	struct fixture_tree ft;
	char a[128], b[128], tmp[128];
};

static void scratch_make(struct scratch *s)
{
	ftree_init(&s->ft);
	ftree_path(&s->ft, s->a, sizeof(s->a), "a.mmdb");
	ftree_path(&s->ft, s->b, sizeof(s->b), "b.mmdb");
	ftree_path(&s->ft, s->tmp, sizeof(s->tmp), "new.mmdb");
}

/* scratch_make, with a copy of fixture as s->a, opened. */
static struct geoip *scratch_open(struct scratch *s, const char *fixture)
{
	scratch_make(s);
	copy(fixture, s->a);
	return open_ok(s->a, NULL);
}

static void scratch_remove(struct scratch *s)
{
	ftree_fini(&s->ft);
}

/* A file replaced by rename is reopened; a removed one keeps the last good
 * database; the reload flag forces a reopen of an unchanged file. */
static void test_reload(void **st)
{
	struct scratch s;
	const char *path = s.a, *tmp = s.tmp;
	struct geoip *g;
	unsigned gen;

	(void)st;
	g = scratch_open(&s, FIX "maxmind.mmdb");
	gen = geoip_generation(g);
	geoip_refresh(g); /* unchanged: nothing */
	assert_int_equal(geoip_generation(g), gen);
	assert_string_equal(cc_str(g, "198.51.100.1"), "FR");

	copy(FIX "maxmind-alt.mmdb", tmp);
	assert_int_equal(rename(tmp, path), 0);
	geoip_refresh(g);
	assert_int_equal(geoip_generation(g), gen + 1);
	assert_string_equal(cc_str(g, "198.51.100.1"), "IT");

	/* The reload flag: reopened although nothing changed. */
	geoip_request_reload();
	geoip_refresh(g);
	assert_int_equal(geoip_generation(g), gen + 2);
	geoip_refresh(g);
	assert_int_equal(geoip_generation(g), gen + 2);

	/* Gone, then corrupt: the last good one answers. */
	assert_int_equal(unlink(path), 0);
	geoip_refresh(g);
	geoip_refresh(g);
	assert_int_equal(geoip_generation(g), gen + 2);
	assert_string_equal(cc_str(g, "198.51.100.1"), "IT");
	copy(FIX "corrupt.mmdb", tmp);
	assert_int_equal(rename(tmp, path), 0);
	geoip_refresh(g);
	assert_string_equal(cc_str(g, "198.51.100.1"), "IT");
	/* And back. */
	copy(FIX "maxmind.mmdb", tmp);
	assert_int_equal(rename(tmp, path), 0);
	geoip_refresh(g);
	assert_int_equal(geoip_generation(g), gen + 3);
	assert_string_equal(cc_str(g, "198.51.100.1"), "FR");
	geoip_free(g);
	scratch_remove(&s);
}

/* Overwrites path in place (same inode) with n bytes of c from offset off;
 * n 0: truncates to off. */
static void scribble(const char *path, off_t off, size_t n, int c)
{
	char buf[4096];
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	if (n == 0)
		assert_int_equal(ftruncate(fd, off), 0);
	memset(buf, c, sizeof(buf));
	assert_int_equal(lseek(fd, off, SEEK_SET), off);
	while (n > 0) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);
		assert_int_equal(write(fd, buf, k), (ssize_t)k);
		n -= k;
	}
	assert_int_equal(close(fd), 0);
}

static off_t size_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static uint32_t asn_of(const struct geoip *g, const char *addr)
{
	uint8_t a[16];
	uint32_t asn;
	char org[64];

	assert_int_equal(inet_pton(AF_INET, addr, a), 1);
	geoip_asn(g, AF_INET, a, &asn, org, sizeof(org));
	return asn;
}

/* The private copies of database files this process holds: memfds named
 * netstat-geoip in /proc/self/fd. */
static int copies_held(void)
{
	char path[64], target[128];
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		n += strncmp(target, "/memfd:netstat-geoip", 20) == 0;
	}
	return n;
}

/* Both databases damaged under a running reader, in every way a file can
 * be: the last good answers stay (no SIGBUS, no garbage), two readers of
 * one file included; a good file written in place is taken. */
static void test_damaged(void **st)
{
	struct scratch s;
	const char *cc = s.a, *asn = s.b, *tmp = s.tmp;
	struct geoip *g, *g2;
	unsigned gen;

	(void)st;
	scratch_make(&s);
	copy(FIX "maxmind.mmdb", cc);
	copy(FIX "asn.mmdb", asn);
	g = open_ok(cc, asn);
	g2 = open_ok(cc, asn);
	assert_int_equal(copies_held(), 2); /* one per file, shared by both readers */
	gen = geoip_generation(g);
	for (int step = 0; step < 5; step++) {
		const char *path = step % 2 ? asn : cc;
		switch (step) {
		case 0: /* truncated (": > db.mmdb") */
		case 1:
			scribble(path, 0, 0, 0);
			break;
		case 2: /* its good bytes back, then garbage over them in place */
			copy(FIX "maxmind.mmdb", cc);
			scribble(cc, 0, (size_t)size_of(cc), 0x5a);
			break;
		case 3: /* the search tree smashed in place, the metadata intact */
			copy(FIX "asn.mmdb", asn);
			scribble(asn, 0, 512, 0xff);
			break;
		case 4: /* a corrupt file renamed into place */
			copy(FIX "corrupt.mmdb", tmp);
			assert_int_equal(rename(tmp, cc), 0);
			copy(FIX "maxmind.mmdb", tmp);
			scribble(tmp, 0, 512, 0xff);
			assert_int_equal(rename(tmp, asn), 0);
			break;
		}
		for (int i = 0; i < 2; i++) {
			struct geoip *r = i ? g2 : g;
			geoip_refresh(r);
			assert_int_equal(geoip_generation(r), gen);
			assert_string_equal(cc_str(r, "198.51.100.1"), "FR");
			assert_string_equal(cc_str(r, "2001:db8::1"), "NL");
			assert_int_equal(asn_of(r, "203.0.113.9"), 64498);
		}
	}
	/* A good new file written over the old one in place: taken. */
	copy(FIX "maxmind-alt.mmdb", cc);
	geoip_refresh(g);
	assert_int_equal(geoip_generation(g), gen + 1);
	assert_string_equal(cc_str(g, "198.51.100.1"), "IT");
	assert_int_equal(asn_of(g, "203.0.113.9"), 64498);
	assert_int_equal(copies_held(), 3); /* g2 still on the old country copy */
	geoip_free(g2);
	assert_int_equal(copies_held(), 2);
	geoip_free(g);
	assert_int_equal(copies_held(), 0);
	scratch_remove(&s);
}

/* A version of the file that fails is opened once, however many refreshes
 * see it (libmaxminddb leaks on each failed open); another version, or the
 * SIGHUP flag, tries again. */
static void test_failed_once(void **st)
{
	struct scratch s;
	const char *path = s.a, *tmp = s.tmp;
	struct geoip *g;
	unsigned before;

	(void)st;
	g = scratch_open(&s, FIX "cc0.mmdb");
	before = mmdb_opens;
	for (int i = 0; i < 10; i++)
		geoip_refresh(g);
	assert_int_equal(mmdb_opens, before); /* unchanged: not opened */

	copy(FIX "corrupt.mmdb", tmp);
	assert_int_equal(rename(tmp, path), 0);
	for (int i = 0; i < 100; i++)
		geoip_refresh(g);
	assert_int_equal(mmdb_opens, before + 1);
	assert_string_equal(cc_str(g, "198.51.100.1"), "FR");

	copy(FIX "corrupt.mmdb", tmp); /* another corrupt file */
	assert_int_equal(rename(tmp, path), 0);
	for (int i = 0; i < 100; i++)
		geoip_refresh(g);
	assert_int_equal(mmdb_opens, before + 2);

	geoip_request_reload();
	for (int i = 0; i < 100; i++)
		geoip_refresh(g);
	assert_int_equal(mmdb_opens, before + 3);
	assert_string_equal(cc_str(g, "198.51.100.1"), "FR");
	geoip_free(g);
	scratch_remove(&s);
}

static struct diag_sock est(const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	struct diag_sock s;

	memset(&s, 0, sizeof(s));
	s.family = strchr(src, ':') ? AF_INET6 : AF_INET;
	s.addr_family = s.family;
	s.protocol = IPPROTO_TCP;
	s.kstate = DIAG_KSTATE_ESTABLISHED;
	s.sport = sport;
	s.dport = dport;
	assert_int_equal(inet_pton(s.addr_family, src, s.src), 1);
	assert_int_equal(inet_pton(s.addr_family, dst, s.dst), 1);
	return s;
}

static void must_have(const char *text, const char *line)
{
	const char *p = strstr(text, line);

	if (p == NULL || (p != text && p[-1] != '\n') || p[strlen(line)] != '\n')
		fail_msg("missing line: %s\n--- got:\n%s", line, text);
}

/* The census with a database: the country family (top N, "other", "",
 * "unknown") and the top peers' labels. */
static void test_census_countries(void **st)
{
	struct geoip *g = open_ok(FIX "maxmind.mmdb", FIX "asn.mmdb");
	struct census *c = census_new();
	struct census_opts o;
	struct expo *e = expo_new();
	struct census_out co = {.e = e, .desc = sockets_metrics};
	struct diag_sock l;
	struct strbuf sb;

	(void)st;
	memset(&o, 0, sizeof(o));
	o.top_peers = 3;
	o.peer_min_sockets = 1;
	o.geo = g;
	o.top_countries = 2;
	assert_int_equal(census_set_geoip(c, g), 0);
	l = est("0.0.0.0", 443, "0.0.0.0", 0);
	l.kstate = DIAG_KSTATE_LISTEN;
	assert_int_equal(census_add(c, &l), 0);
	for (int i = 0; i < 5; i++) {
		struct diag_sock s[] = {
			est("192.0.2.1", 443, "198.51.100.7", 40000), /* inbound FR */
			est("192.0.2.1", 50000, "203.0.113.9", 443),  /* outbound JP */
		};
		for (size_t k = 0; k < 2; k++)
			assert_int_equal(census_add(c, &s[k]), 0);
	}
	for (int i = 0; i < 3; i++) {
		struct diag_sock s[] = {
			est("192.0.2.1", 443, "203.0.113.9", 40000), /* inbound JP */
			est("192.0.2.1", 443, "10.0.0.5", 40000),    /* inbound private */
		};
		for (size_t k = 0; k < 2; k++)
			assert_int_equal(census_add(c, &s[k]), 0);
	}
	{
		struct diag_sock s[] = {
			est("2001:db8::1", 443, "2001:db8::9", 40000), /* inbound NL */
			est("192.0.2.1", 443, "8.8.8.8", 40000),       /* inbound unknown */
			est("192.0.2.1", 443, "127.0.0.1", 40000),     /* inbound loopback */
		};
		struct diag_sock syn = est("192.0.2.1", 443, "198.51.100.8", 40000);
		for (size_t k = 0; k < 3; k++)
			assert_int_equal(census_add(c, &s[k]), 0);
		syn.kstate = DIAG_KSTATE_SYN_RECV; /* not established: not counted */
		assert_int_equal(census_add(c, &syn), 0);
	}
	sb_init(&sb);
	assert_int_equal(census_emit(c, &o, &co, EXPO_NOLABELS), 0);
	assert_int_equal(expo_render(e, EXPO_FMT_TEXT, &sb), 0);
	must_have(sb.buf, "netstat_tcp_peer_country_sockets{direction=\"inbound\",country=\"\",state=\"established\"} 4");
	must_have(sb.buf, "netstat_tcp_peer_country_sockets{direction=\"inbound\",country=\"FR\",state=\"established\"} 5");
	must_have(sb.buf, "netstat_tcp_peer_country_sockets{direction=\"inbound\",country=\"JP\",state=\"established\"} 3");
	must_have(sb.buf, "netstat_tcp_peer_country_sockets{direction=\"inbound\",country=\"other\",state=\"established\"} 2");
	must_have(sb.buf, "netstat_tcp_peer_country_sockets{direction=\"outbound\",country=\"\",state=\"established\"} 0");
	must_have(sb.buf, "netstat_tcp_peer_country_sockets{direction=\"outbound\",country=\"JP\",state=\"established\"} 5");
	must_have(sb.buf, "netstat_tcp_peer_country_sockets{direction=\"outbound\",country=\"other\",state=\"established\"} 0");
	must_have(sb.buf, "netstat_tcp_top_inbound_peer_sockets{state=\"established\",address=\"198.51.100.7\","
			  "country=\"FR\",asn=\"64497\",as_org=\"Documentation Net Two\"} 5");
	must_have(sb.buf, "netstat_tcp_top_inbound_peer_sockets{state=\"established\",address=\"10.0.0.5\","
			  "country=\"\",asn=\"\",as_org=\"\"} 3");
	must_have(sb.buf, "netstat_tcp_top_inbound_peer_sockets{state=\"syn_recv\",address=\"198.51.100.8\","
			  "country=\"FR\",asn=\"64497\",as_org=\"Documentation Net Two\"} 1");
	/* The request socket: by country under state="syn_recv", and in the
	 * SYN source families. */
	must_have(sb.buf, "netstat_tcp_peer_country_sockets{direction=\"inbound\",country=\"FR\",state=\"syn_recv\"} 1");
	must_have(sb.buf, "netstat_tcp_peer_country_sockets{direction=\"inbound\",country=\"\",state=\"syn_recv\"} 0");
	must_have(sb.buf, "netstat_tcp_syn_recv_top_prefix_sockets{prefix=\"198.51.100.0/24\"} 1");
	must_have(sb.buf, "netstat_tcp_syn_recv_top_asn_sockets{asn=\"64497\",as_org=\"Documentation Net Two\"} 1");
	assert_null(strstr(sb.buf, "country=\"NL\""));

	/* Merged from a second census: counts add up. */
	{
		struct census *c2 = census_new();
		struct diag_sock s = est("192.0.2.1", 443, "198.51.100.7", 40001);
		struct expo *e2 = expo_new();
		struct census_out co2 = {.e = e2, .desc = sockets_metrics};

		assert_int_equal(census_set_geoip(c2, g), 0);
		census_copy_listeners(c2, c);
		assert_int_equal(census_add(c2, &s), 0);
		assert_int_equal(census_merge(c, c2), 0);
		sb_reset(&sb);
		assert_int_equal(census_emit(c, &o, &co2, EXPO_NOLABELS), 0);
		assert_int_equal(expo_render(e2, EXPO_FMT_TEXT, &sb), 0);
		must_have(sb.buf, "netstat_tcp_peer_country_sockets{direction=\"inbound\",country=\"FR\",state=\"established\"} 6");
		expo_free(e2);
		census_free(c2);
	}
	sb_fini(&sb);
	expo_free(e);
	census_free(c);
	geoip_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_asn),
		cmocka_unit_test(test_cc_names),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_failed_once),
		cmocka_unit_test(test_census_countries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
