/* collectors/collector: the interface every collector implements, and the registry.
 *
 * A collector runs at scrape time. Scrapes are serialised by the scrape module,
 * so collect() is never called concurrently with itself and may keep caches in
 * its state without locking. A collect() that fails returns a negative errno:
 * the scrape records netstat_exporter_collector_success{collector}=0 and goes
 * on; families it already added stay in the set only if they are complete, so
 * a collector should add families after it has gathered everything. */
#ifndef NETSTAT_COLLECTORS_COLLECTOR_H
#define NETSTAT_COLLECTORS_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/config.h"
#include "expo/expo.h"
#include "expo/strbuf.h"

#define COLLECTOR_INACTIVE 1

/* A collector's own command-line option: --collector.<collector>.<option>. */
struct collector_flag {
	const char *name;    /* full name without "--", e.g. "collector.sockets.top-ports" */
	const char *metavar; /* NULL for a boolean (also accepts --no-NAME) */
	const char *def;     /* default shown in --help; NULL when none */
	const char *help;
	bool repeatable;
};

struct tally;

/* What collectors hand each other within one scrape: zeroed by the scrape
 * before the first collector runs, forgotten after the last. */
struct collect_shared {
	/* Set by `processes` (which runs before `sockets`) to its per-process
	 * aggregator; `sockets` feeds it every socket of its dump. See tally.h. */
	struct tally *tally;
};

/* What a scrape hands every collector. */
struct collect_ctx {
	int procfs_fd;  /* O_DIRECTORY fd of --path.procfs, owned by the scrape module */
	struct collect_shared *shared; /* owned by the scrape module */
};

struct collector_ops {
	const char *name;     /* as in --collector.NAME and the collector label */
	const char *help;     /* one line for --help */
	bool default_enabled;
	const struct collector_flag *flags; /* terminated by an entry with name NULL; may be NULL */
	/* Validates options and allocates state. On a bad option value returns
	 * -EINVAL and writes one line naming the flag to err. Returns
	 * COLLECTOR_INACTIVE (allocating nothing) when the rest of the
	 * configuration leaves it nothing to do; it is then skipped. */
	int (*init)(void **state, const struct config *cfg, struct strbuf *err);
	int (*collect)(void *state, const struct collect_ctx *ctx, struct expo *e);
	void (*fini)(void *state); /* accepts NULL */
};

/* All collectors, in the order they run. */
extern const struct collector_ops *const collector_registry[];
extern const size_t collector_count;

/* Index of a collector by name, or -1. */
int collector_index(const char *name);

#endif
