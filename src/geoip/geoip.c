/* geoip: remote-address geography from MaxMind DB files. See geoip/geoip.h. */
#include "geoip/geoip.h"

#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "log.h"

enum layout {
	LAYOUT_MAXMIND = 0, /* country.iso_code */
	LAYOUT_CC0,         /* country_code */
	LAYOUT_ASN,         /* autonomous_system_number / _organization */
	LAYOUT_COUNT
};

struct db {
	const char *path;   /* borrowed from the config */
	MMDB_s mmdb;
	bool open;
	enum layout layout;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	bool warned;        /* a failed reopen was logged */
};

struct geoip {
	struct db country, asn;
	unsigned seen_reload; /* reload_requests when last refreshed */
	unsigned generation;
};

/* The SIGHUP flag: bumped by main(), read by every refresh. */
static atomic_uint reload_requests;

void geoip_request_reload(void)
{
	atomic_fetch_add(&reload_requests, 1);
}

static bool has_prefix(const char *s, const char *p)
{
	return s && strncmp(s, p, strlen(p)) == 0;
}

static enum layout detect(const MMDB_s *m, bool want_asn)
{
	const char *t = m->metadata.database_type;

	if (want_asn)
		return LAYOUT_ASN;
	if (has_prefix(t, "GeoIP2-") || has_prefix(t, "GeoLite2-") || has_prefix(t, "DBIP-") ||
	    has_prefix(t, "GeoIP-"))
		return LAYOUT_MAXMIND;
	return LAYOUT_CC0;
}

/* Opens path into m and checks its metadata. 0 or -EINVAL with err. */
static int open_one(const char *path, bool want_asn, MMDB_s *m, enum layout *layout,
		    struct stat *st, struct strbuf *err)
{
	int status;

	if (stat(path, st) < 0) {
		sb_printf(err, "cannot open GeoIP database %s: %s", path, strerror(errno));
		return -EINVAL;
	}
	status = MMDB_open(path, MMDB_MODE_MMAP, m);
	if (status != MMDB_SUCCESS) {
		sb_printf(err, "cannot open GeoIP database %s: %s", path, MMDB_strerror(status));
		if (status == MMDB_IO_ERROR && errno)
			sb_printf(err, " (%s)", strerror(errno));
		return -EINVAL;
	}
	*layout = detect(m, want_asn);
	return 0;
}

static void set_stat(struct db *d, const struct stat *st)
{
	d->dev = st->st_dev;
	d->ino = st->st_ino;
	d->size = st->st_size;
	d->mtime = st->st_mtim;
}

static int db_open(struct db *d, const char *path, bool want_asn, struct strbuf *err)
{
	struct stat st;
	int ret;

	d->path = path;
	ret = open_one(path, want_asn, &d->mmdb, &d->layout, &st, err);
	if (ret == 0) {
		d->open = true;
		set_stat(d, &st);
	}
	return ret;
}

int geoip_open(const char *country_path, const char *asn_path, struct geoip **out,
	       struct strbuf *err)
{
	struct geoip *g = calloc(1, sizeof(*g));
	int ret = -ENOMEM;

	*out = NULL;
	if (g == NULL)
		goto out;
	g->seen_reload = atomic_load(&reload_requests);
	ret = db_open(&g->country, country_path, false, err);
	if (ret == 0 && asn_path)
		ret = db_open(&g->asn, asn_path, true, err);
	if (ret < 0)
		goto out;
	log_msg(LOG_INFO, "GeoIP database %s: %s (%s layout)%s%s", country_path,
		g->country.mmdb.metadata.database_type ? g->country.mmdb.metadata.database_type : "?",
		g->country.layout == LAYOUT_MAXMIND ? "country.iso_code" : "country_code",
		asn_path ? "; ASN database " : "", asn_path ? asn_path : "");
	*out = g;
	g = NULL;
out:
	geoip_free(g);
	return ret;
}

static void db_close(struct db *d)
{
	if (d->open)
		MMDB_close(&d->mmdb);
	d->open = false;
}

void geoip_free(struct geoip *g)
{
	if (g == NULL)
		return;
	db_close(&g->country);
	db_close(&g->asn);
	free(g);
}

/* Reopens d when forced or when its file changed. 1 when reopened. */
static int db_refresh(struct db *d, bool force, bool want_asn)
{
	struct strbuf err;
	struct stat st;
	MMDB_s m;
	enum layout layout;
	int ret = 0;

	if (!d->open)
		return 0;
	sb_init(&err);
	if (!force && stat(d->path, &st) == 0 && st.st_dev == d->dev && st.st_ino == d->ino &&
	    st.st_size == d->size && st.st_mtim.tv_sec == d->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == d->mtime.tv_nsec)
		goto out;
	if (open_one(d->path, want_asn, &m, &layout, &st, &err) < 0) {
		if (!d->warned)
			log_msg(LOG_WARN, "%s; keeping the database loaded before",
				err.buf ? err.buf : "cannot reopen GeoIP database");
		d->warned = true;
		goto out;
	}
	MMDB_close(&d->mmdb);
	d->mmdb = m;
	d->layout = layout;
	set_stat(d, &st);
	d->warned = false;
	log_msg(LOG_INFO, "GeoIP database %s reloaded", d->path);
	ret = 1;
out:
	sb_fini(&err);
	return ret;
}

void geoip_refresh(struct geoip *g)
{
	unsigned req = atomic_load(&reload_requests);
	bool force = req != g->seen_reload;
	int n;

	g->seen_reload = req;
	n = db_refresh(&g->country, force, false) + db_refresh(&g->asn, force, true);
	if (n > 0)
		g->generation++;
}

bool geoip_has_asn(const struct geoip *g)
{
	return g->asn.open;
}

unsigned geoip_generation(const struct geoip *g)
{
	return g->generation;
}

/* The entry of an address, false when none. */
static bool lookup(const struct db *d, uint8_t addr_family, const uint8_t *addr,
		   MMDB_lookup_result_s *r)
{
	struct sockaddr_storage ss;
	int mmdb_err = 0;

	memset(&ss, 0, sizeof(ss));
	if (addr_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, addr, 16);
	}
	*r = MMDB_lookup_sockaddr(&d->mmdb, (struct sockaddr *)&ss, &mmdb_err);
	/* An IPv6 address in an IPv4-only database is simply not there. */
	return mmdb_err == MMDB_SUCCESS && r->found_entry;
}

unsigned geoip_cc_index(const char *s)
{
	if (s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' || s[2] != '\0')
		return GEOIP_CC_NONE;
	return 1u + (unsigned)(s[0] - 'A') * 26u + (unsigned)(s[1] - 'A');
}

void geoip_cc_name(unsigned cc, char out[3])
{
	if (cc == GEOIP_CC_NONE || cc >= GEOIP_CC_COUNT) {
		out[0] = '\0';
		return;
	}
	out[0] = (char)('A' + (cc - 1) / 26);
	out[1] = (char)('A' + (cc - 1) % 26);
	out[2] = '\0';
}

unsigned geoip_country(const struct geoip *g, uint8_t addr_family, const uint8_t *addr)
{
	MMDB_lookup_result_s r;
	MMDB_entry_data_s v;
	char cc[3];
	int status;

	if (!lookup(&g->country, addr_family, addr, &r))
		return GEOIP_CC_NONE;
	if (g->country.layout == LAYOUT_MAXMIND)
		status = MMDB_get_value(&r.entry, &v, "country", "iso_code", NULL);
	else
		status = MMDB_get_value(&r.entry, &v, "country_code", NULL);
	if (status != MMDB_SUCCESS || !v.has_data || v.type != MMDB_DATA_TYPE_UTF8_STRING ||
	    v.data_size != 2)
		return GEOIP_CC_NONE;
	cc[0] = v.utf8_string[0];
	cc[1] = v.utf8_string[1];
	cc[2] = '\0';
	return geoip_cc_index(cc);
}

void geoip_asn(const struct geoip *g, uint8_t addr_family, const uint8_t *addr,
	       uint32_t *asn, char *org, size_t orglen)
{
	MMDB_lookup_result_s r;
	MMDB_entry_data_s v;

	*asn = 0;
	if (orglen)
		org[0] = '\0';
	if (!g->asn.open || !lookup(&g->asn, addr_family, addr, &r))
		return;
	if (MMDB_get_value(&r.entry, &v, "autonomous_system_number", NULL) == MMDB_SUCCESS &&
	    v.has_data) {
		if (v.type == MMDB_DATA_TYPE_UINT32)
			*asn = v.uint32;
		else if (v.type == MMDB_DATA_TYPE_UINT16)
			*asn = v.uint16;
		else if (v.type == MMDB_DATA_TYPE_UINT64 && v.uint64 <= UINT32_MAX)
			*asn = (uint32_t)v.uint64;
	}
	if (orglen && MMDB_get_value(&r.entry, &v, "autonomous_system_organization", NULL) ==
	    MMDB_SUCCESS && v.has_data && v.type == MMDB_DATA_TYPE_UTF8_STRING) {
		size_t n = v.data_size < orglen - 1 ? v.data_size : orglen - 1;
		memcpy(org, v.utf8_string, n);
		org[n] = '\0';
	}
}

#define CACHE_SLOTS 2048 /* a power of two */

struct cache_slot {
	uint8_t fam;       /* 0: empty */
	uint8_t addr[16];
	uint16_t cc;
	unsigned gen;
};

struct geoip_cache {
	struct cache_slot s[CACHE_SLOTS];
};

struct geoip_cache *geoip_cache_new(void)
{
	return calloc(1, sizeof(struct geoip_cache));
}

void geoip_cache_free(struct geoip_cache *c)
{
	free(c);
}

unsigned geoip_country_cached(const struct geoip *g, struct geoip_cache *c,
			      uint8_t addr_family, const uint8_t *addr)
{
	size_t len = addr_family == AF_INET ? 4 : 16;
	uint64_t h = 0xcbf29ce484222325ull;
	struct cache_slot *s;

	for (size_t i = 0; i < len; i++)
		h = (h ^ addr[i]) * 0x100000001b3ull;
	s = &c->s[h & (CACHE_SLOTS - 1)];
	if (s->fam == addr_family && s->gen == g->generation && memcmp(s->addr, addr, len) == 0)
		return s->cc;
	s->fam = addr_family;
	s->gen = g->generation;
	memcpy(s->addr, addr, len);
	s->cc = (uint16_t)geoip_country(g, addr_family, addr);
	return s->cc;
}
