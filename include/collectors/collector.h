/* collectors/collector: the interface every collector implements, and the registry.
 *
 * A collector runs at scrape time. Scrapes are serialised by the scrape module,
 * so collect() is never called concurrently with itself and may keep caches in
 * its state without locking. A collect() that fails returns a negative errno:
 * the scrape records netstat_exporter_collector_success{collector}=0 and goes
 * on without any of its families: collect() writes into a set of its own,
 * which the scrape merges only when collect() succeeded (and the set has no
 * error), so a failing collector never leaves a family, complete or not. */
#ifndef NETSTAT_COLLECTORS_COLLECTOR_H
#define NETSTAT_COLLECTORS_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/config.h"
#include "expo/expo.h"
#include "util/strbuf.h"

#define COLLECTOR_INACTIVE 1

/* A collector's own command-line option: --collector.<collector>.<option>. */
struct collector_flag {
	const char *name;    /* full name without "--", e.g. "collector.sockets.top-ports" */
	const char *metavar; /* NULL for a boolean (also accepts --no-NAME) */
	const char *def;     /* the default: shown by --help, used by the code; NULL when none */
	const char *help;
	bool repeatable;
};

/* An option's value: the last one given, else f->def. Collectors read their
 * options through these, so the default is written once, in the flag table. */
const char *collector_flag_value(const struct config *cfg, const struct collector_flag *f);
bool collector_flag_bool(const struct config *cfg, const struct collector_flag *f);
/* A DURATION option (util/duration.h's grammar: "250ms", "1m30s", "0") in
 * seconds. 0, or -EINVAL with err saying so. */
int collector_flag_duration(const struct config *cfg, const struct collector_flag *f,
			    double *seconds, struct strbuf *err);

/* What a scrape hands every collector. */
struct collect_ctx {
	int procfs_fd;  /* O_DIRECTORY fd of --path.procfs, owned by the scrape module */
};

/* The socket stream: sockets flow from any number of providers to any number
 * of consumers, each socket tagged with its network namespace (the inode of
 * /proc/PID/ns/net; 0: the exporter's own). A provider is a collector with
 * .provider (the host's sock_diag dump: `sockets`; the other namespaces'
 * dumps: `netns`); a consumer is one with .consumer (`sockets` itself,
 * `processes`). Neither knows the other: the scrape module connects them.
 *
 * Per scrape (scrape.c), in three phases:
 *  1. every active consumer's prepare();
 *  2. every provider's run(), those of the exporter's own namespace
 *     (STREAM_OWN_NETNS) first: run() calls stream_begin() (begin() of every
 *     consumer still in), then stream_add() for every socket (their add());
 *  3. the collect() of every collector that has not failed.
 * So nothing is kept per socket, and:
 *  - a consumer's families, success and duration are its own: its prepare()
 *    and collect() are timed to it; a provider's run, with the consumers'
 *    begin() and add() (which must be cheap), is timed to the provider;
 *  - a consumer whose prepare() or begin() fails is left out of every later
 *    pass and fails alone;
 *  - a consumer has no data without the pass of the exporter's own
 *    namespace: when that provider fails (or is busy, see scrape.h), every
 *    consumer fails; a provider of other namespaces failing fails only
 *    itself (its consumers go on without those sockets);
 *  - a provider's own collect() failing fails only the provider;
 *  - without an active provider of the exporter's own namespace, a consumer
 *    is off (logged at start);
 *  - a provider whose dump the kernel interrupted (NLM_F_DUMP_INTR) calls
 *    stream_begin() again and runs it once more (STYLE.md), so consumers
 *    never count a socket twice. */
struct diag_sock;

/* Which sockets a provider's pass carries. A consumer's begin() forgets
 * what it counted of the pass's scope, so each scope has one provider today
 * (sockets, netns); a second provider of one scope would need consumers that
 * keep what each provider fed apart. */
enum stream_scope {
	STREAM_OWN_NETNS = 0, /* the exporter's own namespace: netns == 0 */
	STREAM_OTHER_NETNS,   /* other namespaces: netns != 0 */
	STREAM_SCOPE_COUNT
};

/* One provider's pass over its sockets, as its consumers' begin() sees it. */
struct stream_pass {
	enum stream_scope scope;
	unsigned nworkers; /* add() gets worker < nworkers */
};

/* A consumer of the socket stream. */
struct collector_consumer {
	/* Before any pass, once per scrape (e.g. refresh a cache add() reads);
	 * NULL when there is nothing to do. 0 or a negative errno. */
	int (*prepare)(void *state, const struct collect_ctx *ctx);
	/* A pass of p->scope starts, or restarts after the kernel interrupted
	 * a dump: forget what add() counted of that scope this scrape. 0 or a
	 * negative errno (the consumer then fails, and gets no more). */
	int (*begin)(void *state, const struct stream_pass *p);
	/* One socket of namespace netns (0: the exporter's own). Called by a
	 * provider's worker threads at once, each with its own worker index;
	 * must not block. A consumer that wants only some sockets (one scope)
	 * returns at once for the others. */
	void (*add)(void *state, unsigned worker, const struct diag_sock *s, uint64_t netns);
};

/* The consumers one pass feeds: built by the scrape module, handed to the
 * provider's run(). */
struct stream_out {
	struct stream_pass pass;
	size_t n;
	const struct collector_consumer *ops[CONFIG_MAX_COLLECTORS];
	void *state[CONFIG_MAX_COLLECTORS];
	int rc[CONFIG_MAX_COLLECTORS]; /* a consumer's begin() failure; it gets no more */
};

/* A provider of the socket stream. */
struct collector_provider {
	enum stream_scope scope;
	/* One pass: stream_begin(out, nworkers), then stream_add() for every
	 * socket (from up to nworkers threads at once). Called once per scrape,
	 * also when out has no consumer (a provider may count for itself). 0 or
	 * a negative errno (the dump failed). */
	int (*run)(void *state, const struct collect_ctx *ctx, struct stream_out *out);
};

/* For a provider: (re)starts the pass with nworkers, calling begin() on
 * every consumer still in. */
void stream_begin(struct stream_out *out, unsigned nworkers);
/* For a provider's dump workers: add() on every consumer still in. */
void stream_add(const struct stream_out *out, unsigned worker, const struct diag_sock *s,
		uint64_t netns);

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
	/* Whether name is one of the families this collector emits, for a
	 * collector whose names are fixed (in its tables); those names are
	 * reserved. NULL for a collector that makes names from data (netstat
	 * from kernel fields): its family whose name another collector owns,
	 * or that another collector already added, is left out alone (one log
	 * line, netstat_exporter_collector_dropped_families), so a new kernel
	 * field cannot take down a whole collector. */
	bool (*owns)(const char *family);
	/* A consumer of the socket stream, or NULL. */
	const struct collector_consumer *consumer;
	/* A provider of the socket stream, or NULL. */
	const struct collector_provider *provider;
};

/* All collectors, in the order they run. */
extern const struct collector_ops *const collector_registry[];
extern const size_t collector_count;

/* Index of a collector by name, or -1. */
int collector_index(const char *name);

#endif
