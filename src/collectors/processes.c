/* collectors/processes: per-process socket attribution. A consumer of the socket
 * stream (collector.h): before the dump it refreshes the inode -> process
 * cache from /proc/PID/fd, during it tallies every socket by owner, after it
 * adds the per-process families and the cache's own. */
#include "collectors/processes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "owners/tally.h"
#include "log.h"
#include "owners/cache.h"
#include "util/clock.h"
#include "procfs/reader.h"
#include "sockdiag/dump.h"

_Static_assert(TALLY_MAX_WORKERS >= DIAG_DUMP_MAX_WORKERS, "the tally takes every dump worker");

enum flag {
	FLAG_EXE = 0,
	FLAG_USER,
	FLAG_PID,
	FLAG_RESCAN,
	FLAG_COUNT
};

static const struct collector_flag flags[FLAG_COUNT + 1] = {
	[FLAG_EXE] = {"collector.processes.exe", NULL, "false",
	 "Add an exe label (executable path) to the per-process families.", false},
	[FLAG_USER] = {"collector.processes.user", NULL, "false",
	 "Add a user label (effective user of the process) to the per-process families.", false},
	[FLAG_PID] = {"collector.processes.pid", NULL, "false",
	 "Add a pid label to the per-process families (one series set per process).", false},
	[FLAG_RESCAN] = {"collector.processes.rescan-interval", "DURATION", "5m",
	 "Longest time between two re-reads of one fd table, spread over the scrapes (e.g. 30s, 5m, 1h; 0 = every table every scrape).", false},
	[FLAG_COUNT] = {NULL, NULL, NULL, NULL, false},
};

/* The owner cache's own families. */
enum cache_metric {
	CACHE_METRIC_PROCESSES = 0,
	CACHE_METRIC_SOCKETS,
	CACHE_METRIC_UNREADABLE_FD_TABLES,
	CACHE_METRIC_FD_TABLE_READS,
	CACHE_METRIC_FULL_RESCANS,
	CACHE_METRIC_COUNT
};

static const struct expo_desc cache_metrics[CACHE_METRIC_COUNT] = {
	[CACHE_METRIC_PROCESSES] = {"netstat_process_cache_processes", EXPO_GAUGE,
		"Processes in the socket owner cache."},
	[CACHE_METRIC_SOCKETS] = {"netstat_process_cache_sockets", EXPO_GAUGE,
		"Socket inodes the owner cache attributes to a process."},
	[CACHE_METRIC_UNREADABLE_FD_TABLES] = {"netstat_process_unreadable_fd_tables", EXPO_GAUGE,
		"Processes whose fd table the exporter may not read (their sockets "
		"count as not_found)."},
	[CACHE_METRIC_FD_TABLE_READS] = {"netstat_process_fd_table_reads", EXPO_COUNTER,
		"Reads of a /proc/PID/fd table by the owner cache."},
	[CACHE_METRIC_FULL_RESCANS] = {"netstat_process_full_rescans", EXPO_COUNTER,
		"Refreshes of the owner cache that re-read every fd table."},
};

/* The per-process families (the tally fills them). */
static const struct expo_desc tally_metrics[TALLY_METRIC_COUNT] = {
	[TALLY_METRIC_PROCESS_SOCKETS] = {"netstat_process_sockets", EXPO_GAUGE,
		"Sockets held by processes, by process name, protocol and state; "
		"a socket several processes hold counts once for each distinct owner, "
		"never twice for one."},
	[TALLY_METRIC_LISTENER] = {"netstat_listener", EXPO_INFO,
		"Which processes own each listening TCP socket and unconnected UDP socket "
		"(each distinct owner of a shared one), by local address and port."},
	[TALLY_METRIC_UNATTRIBUTED_SOCKETS] = {"netstat_unattributed_sockets", EXPO_GAUGE,
		"Sockets no visible process holds, by protocol, state and reason: kernel "
		"(no inode: time_wait, syn_recv, orphans) or not_found."},
};

/* Owned by the collector, reused from scrape to scrape. */
struct processes {
	struct owners *owners;
	struct tally *tally;
	bool warned_unreadable;
};

static void processes_fini(void *state)
{
	struct processes *p = state;

	if (p == NULL)
		return;
	tally_free(p->tally);
	owners_free(p->owners);
	free(p);
}

static int processes_init(void **state, const struct config *cfg, struct strbuf *err)
{
	struct processes *p = calloc(1, sizeof(*p));
	struct tally_opts opts = {0};
	unsigned want = 0;
	double rescan;
	int ret = 0;

	if (p == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	if ((ret = collector_flag_duration(cfg, &flags[FLAG_RESCAN], &rescan, err)) < 0)
		goto out;
	opts.exe = collector_flag_bool(cfg, &flags[FLAG_EXE]);
	opts.user = collector_flag_bool(cfg, &flags[FLAG_USER]);
	opts.pid = collector_flag_bool(cfg, &flags[FLAG_PID]);
	want = (opts.exe ? OWNERS_WANT_EXE : 0) | (opts.user ? OWNERS_WANT_UID : 0);
	p->owners = owners_new(want, (uint64_t)(rescan * 1000.0 + 0.5));
	p->tally = p->owners ? tally_new(p->owners, &opts, tally_metrics) : NULL;
	if (p->tally == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	*state = p;
	p = NULL;
out:
	processes_fini(p);
	return ret;
}

static void emit_cache(struct expo *e, const struct owners_stats *st)
{
	const uint64_t v[CACHE_METRIC_COUNT] = {
		[CACHE_METRIC_PROCESSES] = st->processes,
		[CACHE_METRIC_SOCKETS] = st->sockets,
		[CACHE_METRIC_UNREADABLE_FD_TABLES] = st->unreadable,
		[CACHE_METRIC_FD_TABLE_READS] = st->fd_table_reads,
		[CACHE_METRIC_FULL_RESCANS] = st->full_rescans,
	};

	for (int m = 0; m < CACHE_METRIC_COUNT; m++)
		expo_add_u64(expo_family(e, cache_metrics[m].name, cache_metrics[m].type,
					 cache_metrics[m].help), v[m], EXPO_NOLABELS);
}

/* Says why fd tables could not be read, from what was refused and where:
 * in another user namespace our capabilities do not apply; in ours, say which
 * of the two capabilities we lack, or, holding both, that something else
 * (a security module, Yama's ptrace_scope, hidepid) refuses; a process that
 * exited while it was read is not counted at all. */
static void warn_unreadable(const struct owners_stats *st)
{
	static const struct {
		int bit;
		const char *name;
	} need[] = {{2, "CAP_DAC_READ_SEARCH"}, {19, "CAP_SYS_PTRACE"}};
	uint64_t here = st->unreadable - st->unreadable_userns, caps = 0;
	int e = st->unreadable_errno;
	struct strbuf sb, status;
	bool known;

	sb_init(&sb);
	sb_init(&status);
	sb_printf(&sb, "processes: cannot read the fd tables of %llu processes; their sockets "
		  "count as not_found.", (unsigned long long)st->unreadable);
	if (st->unreadable_userns > 0)
		sb_printf(&sb, " %llu are in another user namespace than the exporter, where its "
			  "capabilities do not apply (run it in the host's user namespace).",
			  (unsigned long long)st->unreadable_userns);
	if (here > 0 && e != EACCES && e != EPERM) {
		sb_printf(&sb, " %llu: %s.", (unsigned long long)here, strerror(e));
	} else if (here > 0) {
		known = procfs_read(AT_FDCWD, "/proc/self/status", 64 * 1024, &status) == 0 &&
			pid_parse_status_capeff(status.buf, status.len, &caps) == 0;
		sb_printf(&sb, " %llu refused (%s; e.g. PID %d, %s): listing /proc/PID/fd of other "
			  "users needs CAP_DAC_READ_SEARCH, reading its links CAP_SYS_PTRACE",
			  (unsigned long long)here, strerror(e), st->unreadable_pid,
			  st->unreadable_comm);
		if (known && (caps >> need[0].bit & caps >> need[1].bit & 1)) {
			sb_puts(&sb, "; the exporter has both, so something else refuses (a security "
				     "module such as AppArmor, SELinux or Landlock, Yama's ptrace_scope, or "
				     "procfs hidepid)");
		} else if (known) {
			sb_puts(&sb, "; the exporter lacks");
			for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
				if (!(caps >> need[i].bit & 1))
					sb_printf(&sb, " %s", need[i].name);
		}
		sb_putc(&sb, '.');
	}
	log_msg(LOG_WARN, "%s", sb.err ? "processes: cannot read some fd tables" : sb.buf);
	sb_fini(&sb);
	sb_fini(&status);
}

/* Before the dump: the owners its sockets are looked up in. */
static int processes_prepare(void *state, const struct collect_ctx *ctx)
{
	struct processes *p = state;
	struct owners_stats st;
	int ret;

	ret = owners_refresh(p->owners, ctx->procfs_fd, util_mono_ms());
	if (ret < 0) {
		log_msg(LOG_WARN, "processes: cannot list processes: %s",
			strerror(-ret));
		goto out;
	}
	owners_get_stats(p->owners, &st);
	if (st.unreadable > 0 && !p->warned_unreadable) {
		warn_unreadable(&st);
		p->warned_unreadable = true;
	}
out:
	return ret;
}

/* A pass starts: the host's sockets and other namespaces' are tallied
 * apart (the latter carry a netns label). */
static int processes_begin(void *state, const struct stream_pass *pass)
{
	struct processes *p = state;

	if (pass->scope == STREAM_OWN_NETNS)
		return tally_begin(p->tally, pass->nworkers);
	return tally_begin_netns(p->tally, pass->nworkers);
}

static void processes_add(void *state, unsigned worker, const struct diag_sock *s, uint64_t netns)
{
	struct processes *p = state;

	if (netns == 0)
		tally_add(p->tally, worker, s);
	else
		tally_add_netns(p->tally, worker, s, netns);
}

/* After a complete dump. */
static int processes_collect(void *state, const struct collect_ctx *ctx, struct expo *e)
{
	struct processes *p = state;
	struct owners_stats st;

	(void)ctx;
	owners_get_stats(p->owners, &st);
	emit_cache(e, &st);
	return tally_emit(p->tally, e);
}

static const struct collector_consumer processes_consumer = {
	.prepare = processes_prepare,
	.begin = processes_begin,
	.add = processes_add,
};

static bool processes_owns(const char *family)
{
	for (int m = 0; m < CACHE_METRIC_COUNT; m++)
		if (strcmp(family, cache_metrics[m].name) == 0)
			return true;
	for (int m = 0; m < TALLY_METRIC_COUNT; m++)
		if (strcmp(family, tally_metrics[m].name) == 0)
			return true;
	return false;
}

const struct collector_ops processes_collector = {
	.name = "processes",
	.help = "Per-process socket attribution from /proc/PID/fd: sockets per program and state, listener owners.",
	.default_enabled = true,
	.flags = flags,
	.init = processes_init,
	.collect = processes_collect,
	.fini = processes_fini,
	.owns = processes_owns,
	.consumer = &processes_consumer,
};
