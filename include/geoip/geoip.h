/* geoip: remote-address geography from MaxMind DB files (libmaxminddb).
 *
 * A country database and an optional ASN database. The record layout is
 * told by the metadata's database_type: MaxMind's (GeoIP2-*, GeoLite2-*,
 * and DB-IP's compatible DBIP-*) keep the code at country.iso_code; any
 * other type is read as the CC0 ip-location-db layout, country_code. ASN
 * databases of both kinds use autonomous_system_number and
 * autonomous_system_organization.
 *
 * A file is never mapped: it is read into a private sealed memfd (shared by
 * the struct geoips that loaded the same version of the same file), opened
 * through /proc/self/fd and checked (every search-tree record points inside
 * the file) before use, so a file truncated or rewritten under the exporter
 * cannot fault a lookup or change its answer. geoip_refresh() loads the file
 * again when geoip_request_reload() was called (SIGHUP) or its inode, size
 * or mtime changed (geoipupdate renames a new file into place); a version
 * that cannot be loaded is tried once (until it changes or a SIGHUP), the
 * last good database stays in use, and one warning is logged per version. A
 * struct geoip is used by one thread at a time for refresh; lookups between
 * refreshes may run on several threads. */
#ifndef NETSTAT_GEOIP_GEOIP_H
#define NETSTAT_GEOIP_GEOIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

/* Country codes as small integers: 0 = not in the database, else
 * 1 + (first letter * 26 + second letter). */
#define GEOIP_CC_NONE 0
#define GEOIP_CC_COUNT (1 + 26 * 26)

struct geoip;

/* Loads the databases (asn_path may be NULL). A missing, unreadable or
 * corrupt file is -EINVAL with one line in err. */
int geoip_open(const char *country_path, const char *asn_path, struct geoip **out,
	       struct strbuf *err);
void geoip_free(struct geoip *g);

/* Loads changed files again (see above). Not concurrent with lookups of
 * this struct geoip (other struct geoips may be looked up meanwhile). */
void geoip_refresh(struct geoip *g);
/* Makes every struct geoip reopen its files at its next refresh: the one
 * process-wide flag, set from the SIGHUP handling in main(). */
void geoip_request_reload(void);

bool geoip_has_asn(const struct geoip *g);
/* Bumped by every successful reopen, so callers know when cached answers
 * went stale. */
unsigned geoip_generation(const struct geoip *g);

/* Country code index of an address (addr_family AF_INET: 4 bytes,
 * AF_INET6: 16, network order); GEOIP_CC_NONE when the database has none. */
unsigned geoip_country(const struct geoip *g, uint8_t addr_family, const uint8_t *addr);
/* The two letters of an index, NUL-terminated; "" for GEOIP_CC_NONE. */
void geoip_cc_name(unsigned cc, char out[3]);
/* Index of "DE" etc.; GEOIP_CC_NONE for anything else. */
unsigned geoip_cc_index(const char *s);

/* AS number (0 when unknown) and organisation ("" when unknown) of an address. */
void geoip_asn(const struct geoip *g, uint8_t addr_family, const uint8_t *addr,
	       uint32_t *asn, char *org, size_t orglen);

/* A small direct-mapped cache of country answers, for the per-socket
 * lookups of a dump: owned by one thread. */
struct geoip_cache;
struct geoip_cache *geoip_cache_new(void);
void geoip_cache_free(struct geoip_cache *c);
unsigned geoip_country_cached(const struct geoip *g, struct geoip_cache *c,
			      uint8_t addr_family, const uint8_t *addr);

#endif
