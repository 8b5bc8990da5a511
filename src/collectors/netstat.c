/* netstat collector: the kernel's protocol counters, read at scrape time from
 * net/snmp, net/netstat and net/snmp6 under --path.procfs (so in the network
 * namespace the exporter runs in). */
#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/netstat.h"
#include "log.h"
#include "procfs/reader.h"
#include "procfs/snmp_name.h"
#include "procfs/snmp_parse.h"

/* The real files are about 10 KiB; anything near this is not a counter file. */
#define NETSTAT_FILE_CAP (1u << 20)

enum netstat_file {
	NETSTAT_SNMP = 0,
	NETSTAT_NETSTAT,
	NETSTAT_SNMP6,
	NETSTAT_FILE_COUNT
};

static const char *const file_path[NETSTAT_FILE_COUNT] = {
	"net/snmp", "net/netstat", "net/snmp6",
};

/* What to do with one field of the last layout seen. */
struct entry {
	char *key;          /* nstat name "TcpExtListenOverflows", owned */
	size_t key_len;
	size_t proto_len;   /* where the protocol ends in key */
	char *metric;       /* family name, owned; NULL when filtered out or colliding */
	char *help;         /* owned */
	struct snmp_kind kind;
};

struct netstat_state {
	regex_t include, exclude;
	bool has_include, has_exclude;
	struct strbuf text[NETSTAT_FILE_COUNT]; /* file contents; stats point into them */
	struct snmp_list stats;                 /* this scrape's fields, in file order */
	/* The cache is rebuilt only when the list of fields changes (a new
	 * IcmpMsg type, a kernel upgrade seen through a fixture), so a normal
	 * scrape does no naming, no regex matching and no allocation. */
	struct entry *entries;                  /* owned, one per stat of the last layout */
	size_t nentries;
};

static const struct collector_flag netstat_flags[] = {
	{"collector.netstat.include", "REGEX", NULL,
	 "Export only fields whose nstat name (e.g. TcpExtListenOverflows) matches this "
	 "anchored POSIX extended regex (default: every field).", false},
	{"collector.netstat.exclude", "REGEX", NULL,
	 "Do not export fields whose nstat name matches this anchored POSIX extended regex "
	 "(default: none).", false},
	{NULL, NULL, NULL, NULL, false},
};

static void entries_free(struct netstat_state *st)
{
	for (size_t i = 0; i < st->nentries; i++) {
		free(st->entries[i].key);
		free(st->entries[i].metric);
		free(st->entries[i].help);
	}
	free(st->entries);
	st->entries = NULL;
	st->nentries = 0;
}

static void netstat_fini(void *state)
{
	struct netstat_state *st = state;

	if (!st)
		return;
	if (st->has_include)
		regfree(&st->include);
	if (st->has_exclude)
		regfree(&st->exclude);
	for (int i = 0; i < NETSTAT_FILE_COUNT; i++)
		sb_fini(&st->text[i]);
	snmp_list_fini(&st->stats);
	entries_free(st);
	free(st);
}

static int compile(const struct config *cfg, const char *flag, regex_t *re,
		   bool *has, struct strbuf *err)
{
	const char *v = config_get(cfg, flag, NULL);
	struct strbuf anchored;
	int rc = 0, rrc;

	if (!v || !*v)
		return 0;
	sb_init(&anchored);
	sb_printf(&anchored, "^(%s)$", v);
	if (anchored.err) {
		rc = anchored.err;
		goto out;
	}
	rrc = regcomp(re, anchored.buf, REG_EXTENDED | REG_NOSUB);
	if (rrc != 0) {
		char msg[128];

		regerror(rrc, re, msg, sizeof(msg));
		sb_printf(err, "--%s: invalid regular expression \"%s\": %s", flag, v, msg);
		rc = -EINVAL;
		goto out;
	}
	*has = true;
out:
	sb_fini(&anchored);
	return rc;
}

static int netstat_init(void **state, const struct config *cfg, struct strbuf *err)
{
	struct netstat_state *st = calloc(1, sizeof(*st));
	int rc = -ENOMEM;

	if (!st)
		goto out;
	for (int i = 0; i < NETSTAT_FILE_COUNT; i++)
		sb_init(&st->text[i]);
	snmp_list_init(&st->stats);
	rc = compile(cfg, "collector.netstat.include", &st->include, &st->has_include, err);
	if (rc == 0)
		rc = compile(cfg, "collector.netstat.exclude", &st->exclude, &st->has_exclude, err);
out:
	if (rc < 0) {
		netstat_fini(st);
		st = NULL;
	}
	*state = st;
	return rc;
}

static bool layout_matches(const struct netstat_state *st)
{
	if (st->nentries != st->stats.len || !st->entries)
		return false;
	for (size_t i = 0; i < st->stats.len; i++) {
		const struct snmp_stat *s = &st->stats.v[i];
		const struct entry *en = &st->entries[i];

		/* Lengths first: memcmp must not run past the cached key. */
		if (en->proto_len != s->proto_len || en->key_len != s->proto_len + s->field_len ||
		    memcmp(en->key, s->proto, s->proto_len) != 0 ||
		    memcmp(en->key + s->proto_len, s->field, s->field_len) != 0)
			return false;
	}
	return true;
}

static int by_metric(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a;
	const struct entry *y = *(const struct entry *const *)b;
	int c = strcmp(x->metric, y->metric);

	/* Equal names keep file order, so the first field wins. */
	return c ? c : (x < y ? -1 : x > y);
}

/* Two fields whose names map to one metric would be a duplicate family: keep
 * the first in file order, drop the others, and say so once. */
static int drop_collisions(struct netstat_state *st)
{
	struct entry **sorted = malloc((st->nentries + 1) * sizeof(*sorted));
	size_t n = 0;

	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < st->nentries; i++)
		if (st->entries[i].metric)
			sorted[n++] = &st->entries[i];
	qsort(sorted, n, sizeof(*sorted), by_metric);
	for (size_t i = 1, keep = 0; i < n; i++) {
		if (strcmp(sorted[keep]->metric, sorted[i]->metric) != 0) {
			keep = i;
			continue;
		}
		log_msg(LOG_WARN, "netstat: %s and %s both map to %s; exporting only %s",
			sorted[keep]->key, sorted[i]->key, sorted[i]->metric, sorted[keep]->key);
		free(sorted[i]->metric);
		sorted[i]->metric = NULL;
	}
	free(sorted);
	return 0;
}

/* The buffer's string, or NULL when an append failed. */
static char *take(struct strbuf *sb)
{
	if (sb->err) {
		sb_fini(sb);
		return NULL;
	}
	return sb_steal(sb, NULL);
}

static int rebuild(struct netstat_state *st, const size_t file_end[NETSTAT_FILE_COUNT])
{
	struct strbuf sb;
	size_t f = 0;
	int rc = 0;

	entries_free(st);
	sb_init(&sb);
	st->entries = calloc(st->stats.len + 1, sizeof(*st->entries));
	if (!st->entries) {
		rc = -ENOMEM;
		goto out;
	}
	st->nentries = st->stats.len;
	for (size_t i = 0; i < st->stats.len; i++) {
		const struct snmp_stat *s = &st->stats.v[i];
		struct entry *en = &st->entries[i];
		bool wanted;

		while (i >= file_end[f])
			f++;
		en->proto_len = s->proto_len;
		snmp_name_kind(s->proto, s->proto_len, s->field, s->field_len, &en->kind);
		sb_reset(&sb);
		sb_put(&sb, s->proto, s->proto_len);
		sb_put(&sb, s->field, s->field_len);
		en->key_len = sb.len;
		en->key = take(&sb);
		if (!en->key) {
			rc = -ENOMEM;
			goto out;
		}
		wanted = (!st->has_include || regexec(&st->include, en->key, 0, NULL, 0) == 0) &&
			 !(st->has_exclude && regexec(&st->exclude, en->key, 0, NULL, 0) == 0);
		if (!wanted)
			continue;
		snmp_name_metric(s->proto, s->proto_len, s->field, s->field_len, &sb);
		en->metric = take(&sb);
		sb_printf(&sb, "%s from /proc/%s%s.", en->key, file_path[f],
			  en->kind.ms_to_seconds ? ", converted from milliseconds" : "");
		en->help = take(&sb);
		if (!en->metric || !en->help) {
			rc = -ENOMEM;
			goto out;
		}
	}
	rc = drop_collisions(st);
out:
	sb_fini(&sb);
	if (rc < 0)
		entries_free(st);
	return rc;
}

static int read_all(struct netstat_state *st, int dirfd, size_t file_end[NETSTAT_FILE_COUNT])
{
	int rc = 0;

	st->stats.len = 0;
	for (int i = 0; i < NETSTAT_FILE_COUNT; i++) {
		struct parse_error perr = {0, NULL};
		struct strbuf *t = &st->text[i];

		rc = procfs_read(dirfd, file_path[i], NETSTAT_FILE_CAP, t);
		if (rc == -ENOENT) { /* no IPv6: those series are absent */
			rc = 0;
		} else if (rc < 0) {
			log_msg(LOG_WARN, "netstat: cannot read %s: %s", file_path[i], procfs_strerror(rc));
			goto out;
		} else if (i == NETSTAT_SNMP6) {
			rc = snmp_parse_flat(t->buf, t->len, &st->stats, &perr);
		} else {
			rc = snmp_parse_pairs(t->buf, t->len, &st->stats, &perr);
		}
		if (rc == -EINVAL) {
			log_msg(LOG_WARN, "netstat: malformed %s line %zu: %s", file_path[i],
				perr.line, perr.what);
			goto out;
		}
		if (rc < 0)
			goto out;
		file_end[i] = st->stats.len;
	}
out:
	return rc;
}

static int netstat_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	struct netstat_state *st = state;
	size_t file_end[NETSTAT_FILE_COUNT];
	int rc;

	rc = read_all(st, ctx->procfs_fd, file_end);
	if (rc < 0)
		goto out;
	if (!layout_matches(st) && (rc = rebuild(st, file_end)) < 0)
		goto out;
	/* Check everything before adding anything: a bad value fails the
	 * collector instead of exporting a wrong number. */
	for (size_t i = 0; i < st->stats.len; i++) {
		const struct snmp_stat *s = &st->stats.v[i];

		if (s->negative && !st->entries[i].kind.may_be_negative) {
			log_msg(LOG_WARN, "netstat: %s is negative (%lld) but is a counter",
				st->entries[i].key, (long long)(int64_t)s->value);
			rc = -EINVAL;
			goto out;
		}
	}
	for (size_t i = 0; i < st->stats.len; i++) {
		const struct snmp_stat *s = &st->stats.v[i];
		const struct entry *en = &st->entries[i];
		struct expo_family *fam;

		if (!en->metric)
			continue;
		fam = expo_family(e, en->metric, en->kind.type, en->help);
		if (en->kind.ms_to_seconds && s->value % 1000 == 0)
			expo_add_u64(fam, s->value / 1000, EXPO_NOLABELS);
		else if (en->kind.ms_to_seconds)
			expo_add_f64(fam, (double)s->value / 1000.0, EXPO_NOLABELS);
		else if (s->negative)
			expo_add_i64(fam, (int64_t)s->value, EXPO_NOLABELS);
		else
			expo_add_u64(fam, s->value, EXPO_NOLABELS);
	}
	rc = expo_error(e);
out:
	return rc;
}

const struct collector_ops netstat_collector = {
	.name = "netstat",
	.help = "Kernel protocol counters from net/snmp, net/netstat, net/snmp6 (netstat -s, nstat).",
	.default_enabled = true,
	.flags = netstat_flags,
	.init = netstat_init,
	.collect = netstat_collect,
	.fini = netstat_fini,
};
