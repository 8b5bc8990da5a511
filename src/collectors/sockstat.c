/* sockstat collector: net/sockstat and net/sockstat6 as gauges.
 *
 * Where the kernel counts per address family (inuse, FRAG memory) the series
 * carry family="ipv4|ipv6"; where it counts both families together (TCP
 * orphan, tw, alloc, mem; UDP mem; sockets used) there is no family label.
 * Memory the kernel prints in pages is exported in bytes. Keys this table
 * does not know (a newer kernel) are skipped; every key it knows is checked. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/sockstat.h"
#include "log.h"
#include "procfs/reader.h"
#include "procfs/sockstat_parse.h"

#define SOCKSTAT_FILE_CAP (64u * 1024)

enum sockstat_fam {
	FAM_SOCKETS_USED = 0,
	FAM_TCP_INUSE,
	FAM_TCP_ORPHAN,
	FAM_TCP_TW,
	FAM_TCP_ALLOC,
	FAM_TCP_MEM,
	FAM_UDP_INUSE,
	FAM_UDP_MEM,
	FAM_UDPLITE_INUSE,
	FAM_RAW_INUSE,
	FAM_FRAG_INUSE,
	FAM_FRAG_MEMORY,
	FAM_COUNT
};

struct fam_def {
	const char *name;
	const char *help;
	bool pages; /* the kernel prints pages; we export bytes */
};

static const struct fam_def fams[FAM_COUNT] = {
	[FAM_SOCKETS_USED] = {"netstat_sockstat_sockets_used",
		"Sockets of all kinds in use (sockstat \"sockets: used\").", false},
	[FAM_TCP_INUSE] = {"netstat_sockstat_tcp_inuse",
		"TCP sockets in use, by address family (sockstat TCP/TCP6 inuse).", false},
	[FAM_TCP_ORPHAN] = {"netstat_sockstat_tcp_orphan",
		"Orphaned TCP sockets, both families (sockstat TCP orphan).", false},
	[FAM_TCP_TW] = {"netstat_sockstat_tcp_tw",
		"TCP sockets in TIME_WAIT, both families (sockstat TCP tw).", false},
	[FAM_TCP_ALLOC] = {"netstat_sockstat_tcp_alloc",
		"TCP sockets allocated, both families (sockstat TCP alloc).", false},
	[FAM_TCP_MEM] = {"netstat_sockstat_tcp_mem_bytes",
		"Memory used by TCP buffers, both families (sockstat TCP mem, pages times page size).", true},
	[FAM_UDP_INUSE] = {"netstat_sockstat_udp_inuse",
		"UDP sockets in use, by address family (sockstat UDP/UDP6 inuse).", false},
	[FAM_UDP_MEM] = {"netstat_sockstat_udp_mem_bytes",
		"Memory used by UDP buffers, both families (sockstat UDP mem, pages times page size).", true},
	[FAM_UDPLITE_INUSE] = {"netstat_sockstat_udplite_inuse",
		"UDP-Lite sockets in use, by address family (sockstat UDPLITE/UDPLITE6 inuse).", false},
	[FAM_RAW_INUSE] = {"netstat_sockstat_raw_inuse",
		"Raw sockets in use, by address family (sockstat RAW/RAW6 inuse).", false},
	[FAM_FRAG_INUSE] = {"netstat_sockstat_frag_inuse",
		"IP fragment reassembly queues in use, by address family (sockstat FRAG/FRAG6 inuse).", false},
	[FAM_FRAG_MEMORY] = {"netstat_sockstat_frag_memory_bytes",
		"Memory used by IP fragment reassembly, by address family (sockstat FRAG/FRAG6 memory).", false},
};

struct row {
	const char *proto;
	const char *key;
	enum sockstat_fam fam;
	const char *family; /* label value, or NULL for no label */
};

static const struct row rows[] = {
	{"sockets", "used", FAM_SOCKETS_USED, NULL},
	{"TCP", "inuse", FAM_TCP_INUSE, "ipv4"},
	{"TCP", "orphan", FAM_TCP_ORPHAN, NULL},
	{"TCP", "tw", FAM_TCP_TW, NULL},
	{"TCP", "alloc", FAM_TCP_ALLOC, NULL},
	{"TCP", "mem", FAM_TCP_MEM, NULL},
	{"UDP", "inuse", FAM_UDP_INUSE, "ipv4"},
	{"UDP", "mem", FAM_UDP_MEM, NULL},
	{"UDPLITE", "inuse", FAM_UDPLITE_INUSE, "ipv4"},
	{"RAW", "inuse", FAM_RAW_INUSE, "ipv4"},
	{"FRAG", "inuse", FAM_FRAG_INUSE, "ipv4"},
	{"FRAG", "memory", FAM_FRAG_MEMORY, "ipv4"},
	{"TCP6", "inuse", FAM_TCP_INUSE, "ipv6"},
	{"UDP6", "inuse", FAM_UDP_INUSE, "ipv6"},
	{"UDPLITE6", "inuse", FAM_UDPLITE_INUSE, "ipv6"},
	{"RAW6", "inuse", FAM_RAW_INUSE, "ipv6"},
	{"FRAG6", "inuse", FAM_FRAG_INUSE, "ipv6"},
	{"FRAG6", "memory", FAM_FRAG_MEMORY, "ipv6"},
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static const char *const file_path[] = {"net/sockstat", "net/sockstat6"};
#define NFILES (sizeof(file_path) / sizeof(file_path[0]))

struct sockstat_state {
	uint64_t page_size;
	struct strbuf text[NFILES];  /* file contents; stats point into them */
	struct sockstat_list stats;
};

static void sockstat_fini(void *state)
{
	struct sockstat_state *st = state;

	if (!st)
		return;
	for (size_t i = 0; i < NFILES; i++)
		sb_fini(&st->text[i]);
	sockstat_list_fini(&st->stats);
	free(st);
}

static int sockstat_init(void **state, const struct config *cfg, struct strbuf *err)
{
	struct sockstat_state *st = calloc(1, sizeof(*st));
	long ps = sysconf(_SC_PAGESIZE);

	(void)cfg;
	(void)err;
	*state = st;
	if (!st)
		return -ENOMEM;
	st->page_size = ps > 0 ? (uint64_t)ps : 4096;
	for (size_t i = 0; i < NFILES; i++)
		sb_init(&st->text[i]);
	sockstat_list_init(&st->stats);
	return 0;
}

static bool eq(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

static int sockstat_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	struct sockstat_state *st = state;
	uint64_t value[NROWS];
	bool seen[NROWS] = {false};
	int rc = 0;

	st->stats.len = 0;
	for (size_t i = 0; i < NFILES; i++) {
		struct parse_error perr = {0, NULL};

		rc = procfs_read(ctx->procfs_fd, file_path[i], SOCKSTAT_FILE_CAP, &st->text[i]);
		if (rc == -ENOENT) { /* no IPv6: those series are absent */
			rc = 0;
			continue;
		}
		if (rc < 0) {
			log_msg(LOG_WARN, "sockstat: cannot read %s: %s", file_path[i], procfs_strerror(rc));
			goto out;
		}
		rc = sockstat_parse(st->text[i].buf, st->text[i].len, &st->stats, &perr);
		if (rc == -EINVAL)
			log_msg(LOG_WARN, "sockstat: malformed %s line %zu: %s", file_path[i],
				perr.line, perr.what);
		if (rc < 0)
			goto out;
	}
	for (size_t i = 0; i < st->stats.len; i++) {
		const struct sockstat_stat *s = &st->stats.v[i];

		for (size_t r = 0; r < NROWS; r++) {
			if (!eq(s->proto, s->proto_len, rows[r].proto) ||
			    !eq(s->key, s->key_len, rows[r].key))
				continue;
			if (seen[r]) {
				log_msg(LOG_WARN, "sockstat: %s %s appears twice", rows[r].proto,
					rows[r].key);
				rc = -EINVAL;
				goto out;
			}
			value[r] = s->value;
			if (fams[rows[r].fam].pages) {
				if (value[r] > UINT64_MAX / st->page_size) {
					log_msg(LOG_WARN, "sockstat: %s %s = %llu pages overflows bytes",
						rows[r].proto, rows[r].key,
						(unsigned long long)s->value);
					rc = -EINVAL;
					goto out;
				}
				value[r] *= st->page_size;
			}
			seen[r] = true;
			break;
		}
	}
	/* One family at a time, with its ipv4 and ipv6 samples together. */
	for (int f = 0; f < FAM_COUNT; f++) {
		struct expo_family *fam = NULL;

		for (size_t r = 0; r < NROWS; r++) {
			if (rows[r].fam != (enum sockstat_fam)f || !seen[r])
				continue;
			if (!fam)
				fam = expo_family(e, fams[f].name, EXPO_GAUGE, fams[f].help);
			if (rows[r].family)
				expo_add_u64(fam, value[r], EXPO_LABELS({"family", rows[r].family}));
			else
				expo_add_u64(fam, value[r], EXPO_NOLABELS);
		}
	}
	rc = expo_error(e);
out:
	return rc;
}

static bool sockstat_owns(const char *family)
{
	for (int f = 0; f < FAM_COUNT; f++)
		if (strcmp(family, fams[f].name) == 0)
			return true;
	return false;
}

const struct collector_ops sockstat_collector = {
	.name = "sockstat",
	.help = "Socket counts and socket memory from net/sockstat and net/sockstat6.",
	.default_enabled = true,
	.flags = NULL,
	.init = sockstat_init,
	.collect = sockstat_collect,
	.fini = sockstat_fini,
	.owns = sockstat_owns,
};
