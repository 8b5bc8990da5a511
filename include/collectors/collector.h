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

/* What a scrape hands every collector. */
struct collect_ctx {
	int procfs_fd;  /* O_DIRECTORY fd of --path.procfs, owned by the scrape module */
};

/* The socket stream: the one sock_diag dump a scrape makes (TCP and UDP,
 * IPv4 and IPv6; every TCP listener before any other TCP socket). One
 * collector provides it (.stream_run); every collector that reads it declares
 * .stream. Per scrape, the scrape module calls each active consumer's
 * prepare(), then the provider's stream_run(), which calls begin() and, for
 * every socket, add() of every consumer still in; then the collect() of every
 * collector that has not failed. So nothing is kept per socket, and:
 *  - a consumer's families, success and duration are its own: its prepare()
 *    and collect() are timed to it; the dump, with the consumers' begin() and
 *    add() (which must be cheap), is timed to the provider;
 *  - a consumer whose prepare() or begin() fails is left out and fails alone;
 *  - when the dump fails, every consumer fails (it has no data);
 *  - the provider's own collect() failing fails only the provider;
 *  - without an active provider, a consumer is off (logged at start). */
struct diag_sock;

struct collector_stream {
	/* Before the dump, once per scrape (e.g. refresh a cache add() reads);
	 * NULL when there is nothing to do. 0 or a negative errno. */
	int (*prepare)(void *state, const struct collect_ctx *ctx);
	/* A dump starts, or restarts after the kernel interrupted it: forget
	 * what add() counted. add() will get worker < nworkers. */
	int (*begin)(void *state, unsigned nworkers);
	/* One socket. Called by the dump's worker threads at once, each with
	 * its own worker index; must not block. */
	void (*add)(void *state, unsigned worker, const struct diag_sock *s);
	/* Sockets of other network namespaces (the netns collector's dumps,
	 * after the host's), tagged with the namespace's inode; both NULL when
	 * the consumer does not take them. begin_netns() starts them as begin()
	 * does the host's; add_netns() is called like add(). */
	int (*begin_netns)(void *state, unsigned nworkers);
	void (*add_netns)(void *state, unsigned worker, const struct diag_sock *s, uint64_t netns);
};

/* The consumers of one scrape's stream, handed to the provider. */
struct collector_sinks {
	size_t n;
	const struct collector_stream *ops[CONFIG_MAX_COLLECTORS];
	void *state[CONFIG_MAX_COLLECTORS];
	int rc[CONFIG_MAX_COLLECTORS]; /* a consumer's begin() failure; it gets no more */
};

/* For the provider: begin() on every consumer still in. */
void collector_sinks_begin(struct collector_sinks *k, unsigned nworkers);
/* For the provider's dump workers: add() on every consumer still in. */
void collector_sinks_add(const struct collector_sinks *k, unsigned worker,
			 const struct diag_sock *s);
/* The same for the other namespaces' provider (begin_netns, add_netns). */
void collector_sinks_begin_netns(struct collector_sinks *k, unsigned nworkers);
void collector_sinks_add_netns(const struct collector_sinks *k, unsigned worker,
			       const struct diag_sock *s, uint64_t netns);

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
	const struct collector_stream *stream;
	/* The provider of the socket stream (one collector), or NULL: runs the
	 * dump once, feeding sinks (collector_sinks_begin/_add). 0 or a
	 * negative errno (the dump failed). */
	int (*stream_run)(void *state, const struct collect_ctx *ctx, struct collector_sinks *sinks);
	/* The provider of the other network namespaces' sockets (the netns
	 * collector), or NULL: runs after the host's stream and before any
	 * collect(), feeding the consumers that take them (their host dump
	 * having succeeded) through collector_sinks_begin_netns/_add_netns; its
	 * collect() then adds its families. Timed to it; 0 or a negative errno
	 * (it fails alone). */
	int (*stream_netns_run)(void *state, const struct collect_ctx *ctx, struct collector_sinks *sinks);
};

/* All collectors, in the order they run. */
extern const struct collector_ops *const collector_registry[];
extern const size_t collector_count;

/* Index of a collector by name, or -1. */
int collector_index(const char *name);

#endif
