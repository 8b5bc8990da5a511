/* geoip: remote-address geography from MaxMind DB files. See geoip/geoip.h. */
#include "geoip/geoip.h"

#include <errno.h>
#include <fcntl.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

enum layout {
	LAYOUT_MAXMIND = 0, /* country.iso_code */
	LAYOUT_CC0,         /* country_code */
	LAYOUT_ASN,         /* autonomous_system_number / _organization */
	LAYOUT_COUNT
};

/* What identifies a version of a file: a rename changes the inode, an
 * in-place rewrite the size or the mtime. */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/* A private copy of a database file: a sealed memfd that nobody can change,
 * so a mapping of it never faults and never changes under a lookup. Shared
 * by the readers that loaded the same version of the same file (the sockets
 * collector and the connections explorer each have a struct geoip), so its
 * memory is paid once. */
struct image {
	struct file_id id;
	int fd;
	unsigned refs;       /* guarded by images_lock */
	struct image *next;  /* guarded by images_lock */
};

static pthread_mutex_t images_lock = PTHREAD_MUTEX_INITIALIZER;
static struct image *images; /* guarded by images_lock */

struct db {
	const char *path;   /* borrowed from the config */
	MMDB_s mmdb;        /* maps img */
	bool open;
	enum layout layout;
	struct image *img;  /* a reference, when open */
	struct file_id failed; /* the last version that could not be loaded */
	bool has_failed;
	bool warned;        /* a failed reload was logged */
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

static void file_id_of(const struct stat *st, struct file_id *id)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
}

static bool file_id_eq(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* A reference to the loaded copy of version id, or NULL. */
static struct image *image_find(const struct file_id *id)
{
	struct image *im;

	pthread_mutex_lock(&images_lock);
	for (im = images; im; im = im->next)
		if (file_id_eq(&im->id, id))
			break;
	if (im)
		im->refs++;
	pthread_mutex_unlock(&images_lock);
	return im;
}

static void image_put(struct image *im)
{
	struct image **p;
	bool last;

	if (im == NULL)
		return;
	pthread_mutex_lock(&images_lock);
	last = --im->refs == 0;
	if (last)
		for (p = &images; *p; p = &(*p)->next)
			if (*p == im) {
				*p = im->next;
				break;
			}
	pthread_mutex_unlock(&images_lock);
	if (last) {
		close(im->fd);
		free(im);
	}
}

static void image_publish(struct image *im)
{
	pthread_mutex_lock(&images_lock);
	im->next = images;
	images = im;
	pthread_mutex_unlock(&images_lock);
}

/* Copies the open file fd (version id) into a new sealed memfd. 0;
 * -EAGAIN when the file changed while it was read; -errno. */
static int copy_file(int fd, const struct file_id *id, int *out)
{
	char buf[65536];
	struct stat st;
	struct file_id now;
	off_t total = 0;
	ssize_t n;
	int mfd, ret;

	*out = -1;
	mfd = memfd_create("netstat-geoip", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(mfd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				ret = -errno;
				goto out;
			}
			off += w;
		}
		total += n;
	}
	ret = -EAGAIN;
	if (fstat(fd, &st) < 0)
		goto out;
	file_id_of(&st, &now);
	if (total != id->size || !file_id_eq(&now, id))
		goto out;
	ret = 0;
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		ret = -errno;
out:
	if (ret < 0)
		close(mfd);
	else
		*out = mfd;
	return ret;
}

/* Whether every record of the search tree points where a record may: a tree
 * that passes answers every lookup from inside the file. */
static bool tree_ok(const MMDB_s *m)
{
	MMDB_search_node_s node;

	for (uint32_t i = 0; i < m->metadata.node_count; i++)
		if (MMDB_read_node(m, i, &node) != MMDB_SUCCESS ||
		    node.left_record_type == MMDB_RECORD_TYPE_INVALID ||
		    node.right_record_type == MMDB_RECORD_TYPE_INVALID)
			return false;
	return true;
}

/* A new, unpublished image of the open file fd (version id), refs 1. 0;
 * -EAGAIN when the file changed while it was read; -errno. */
static int image_new(int fd, const struct file_id *id, struct image **out)
{
	struct image *im = calloc(1, sizeof(*im));
	int ret;

	*out = NULL;
	if (im == NULL)
		return -ENOMEM;
	ret = copy_file(fd, id, &im->fd);
	if (ret < 0) {
		free(im);
		return ret;
	}
	im->id = *id;
	im->refs = 1;
	*out = im;
	return 0;
}

/* Loads path: a private copy (shared with the other readers of the same
 * version), opened and, when new, checked. 0; -EAGAIN (changed while read:
 * try again later) or -EINVAL, with err. *id is the version tried, all zero
 * when the file could not be opened. */
static int load(const char *path, bool want_asn, MMDB_s *m, enum layout *layout,
		struct image **out, struct file_id *id, struct strbuf *err)
{
	struct image *im = NULL;
	char proc[64];
	struct stat st;
	int fd, status, ret = -EINVAL;
	bool fresh = false;

	*out = NULL;
	memset(id, 0, sizeof(*id));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		sb_printf(err, "cannot open GeoIP database %s: %s", path, strerror(errno));
		goto out;
	}
	file_id_of(&st, id);
	if ((im = image_find(id)) == NULL) {
		int r = image_new(fd, id, &im);
		if (r < 0) {
			sb_printf(err, "cannot open GeoIP database %s: %s", path,
				  r == -EAGAIN ? "it changed while being read" : strerror(-r));
			ret = r == -EAGAIN ? r : -EINVAL;
			goto out;
		}
		fresh = true;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", im->fd);
	status = MMDB_open(proc, MMDB_MODE_MMAP, m);
	if (status != MMDB_SUCCESS) {
		sb_printf(err, "cannot open GeoIP database %s: %s", path, MMDB_strerror(status));
		if (status == MMDB_IO_ERROR && errno)
			sb_printf(err, " (%s)", strerror(errno));
		goto out;
	}
	if (fresh && !tree_ok(m)) {
		sb_printf(err, "cannot open GeoIP database %s: %s", path,
			  MMDB_strerror(MMDB_CORRUPT_SEARCH_TREE_ERROR));
		MMDB_close(m);
		goto out;
	}
	if (fresh)
		image_publish(im);
	*layout = detect(m, want_asn);
	*out = im;
	im = NULL;
	ret = 0;
out:
	image_put(im); /* an unpublished one is not on the list: freed */
	if (fd >= 0)
		close(fd);
	return ret;
}

static int db_open(struct db *d, const char *path, bool want_asn, struct strbuf *err)
{
	struct file_id id;
	int ret;

	d->path = path;
	ret = load(path, want_asn, &d->mmdb, &d->layout, &d->img, &id, err);
	if (ret == 0)
		d->open = true;
	return ret < 0 ? -EINVAL : 0;
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
	if (d->open) {
		MMDB_close(&d->mmdb);
		image_put(d->img);
	}
	d->img = NULL;
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

/* Reloads d when forced or when its file is a version not tried yet: each
 * version that fails is tried once (libmaxminddb leaks a little on every
 * failed open), the last good database stays. 1 when reloaded. */
static int db_refresh(struct db *d, bool force, bool want_asn)
{
	struct strbuf err;
	struct stat st;
	struct file_id id;
	struct image *im;
	MMDB_s m;
	enum layout layout;
	int ret = 0, r;

	if (!d->open)
		return 0;
	sb_init(&err);
	if (!force && stat(d->path, &st) == 0) {
		file_id_of(&st, &id);
		if (file_id_eq(&id, &d->img->id) || (d->has_failed && file_id_eq(&id, &d->failed)))
			goto out;
	}
	r = load(d->path, want_asn, &m, &layout, &im, &id, &err);
	if (r < 0) {
		/* Each version once; a missing file, once until it is back. */
		bool again = d->warned && (id.ino == 0 || (d->has_failed && file_id_eq(&id, &d->failed)));
		if (!again)
			log_msg(r == -EAGAIN ? LOG_DEBUG : LOG_WARN,
				"%s; keeping the database loaded before",
				err.buf ? err.buf : "cannot reopen GeoIP database");
		d->warned = r != -EAGAIN;
		d->has_failed = r == -EINVAL && id.ino != 0;
		d->failed = id;
		goto out;
	}
	db_close(d);
	d->mmdb = m;
	d->layout = layout;
	d->img = im;
	d->open = true;
	d->warned = false;
	d->has_failed = false;
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
