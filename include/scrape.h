/* scrape: runs the enabled collectors and shares the result.
 *
 * Collections run on a thread of their own, never on the caller's: a scrape
 * is a waiter (struct scrape_waiter) that is told when its result is ready,
 * so an HTTP front end can park the request (libmicrohttpd's suspend/resume)
 * and keep serving others meanwhile.
 *
 * Single-flight: one collection runs at a time. A waiter that arrives while a
 * collection is running shares that collection's result; one that arrives
 * when none is running starts one. So N concurrent scrapes cost one
 * collection, and collector state is only touched by the collection thread,
 * without locks.
 *
 * Deadline: when a waiter's deadline passes while its collection is inside a
 * collector, the collection is published as it stands: the collectors that
 * finished are in it, that collector and those not run yet are failed
 * (netstat_exporter_collector_success 0), and that collector's
 * netstat_exporter_collector_timeouts_total goes up. Every waiter of that
 * collection gets this result. The collector is left to finish on the
 * collection's thread, which then exits; until it returns it is busy: later
 * collections (on a new thread) run the others and report it failed without
 * starting it, and when it is stuck inside a provider's pass of the socket
 * stream, that provider and every consumer it feeds wait with it (their state is in
 * use). One log line when it is left, one when it returns. A waiter whose
 * collection is not inside a collector at its deadline (not started yet) is
 * told -ETIMEDOUT. A timed-out scrape never gets an older result passed off
 * as new.
 *
 * A collection, in phases (collector.h): the socket stream's consumers
 * prepare(), its providers run their passes (the exporter's own namespace
 * first), each feeding every consumer still in, then every collector's
 * collect(), each into a set of its own merged only on success (collector.h
 * says who owns which families, success and time; a family whose name
 * another collector owns is left out alone). The exporter's own process_*
 * families are read at the start of a collection, outside the lock.
 *
 * Shutdown: scrape_close() tells every waiter -ECANCELED at once; scrape_free()
 * then waits a bounded time for a running collection, and if a collector is
 * stuck (a read that never returns) it leaves it running and returns anyway,
 * so the process can exit. */
#ifndef NETSTAT_SCRAPE_H
#define NETSTAT_SCRAPE_H

#include <stddef.h>

#include "collectors/collector.h"
#include "cli/config.h"
#include "expo/expo.h"
#include "util/strbuf.h"

/* How long scrape_free() waits for a running collection before leaving it. */
#define SCRAPE_STOP_GRACE_SECONDS 2.0

struct scrape;
struct scrape_result; /* refcounted, immutable once published */

/* A scrape waiting for a collection. Owned by the caller, who must keep it
 * valid from scrape_submit() until done() has been called. */
struct scrape_waiter {
	/* Set by the caller before scrape_submit(). */
	void (*done)(struct scrape_waiter *w); /* called once, from a scrape thread;
						* must not block nor call into the scrape */
	double deadline;                /* util_mono_now() seconds; INFINITY for none */
	/* Set by the scrape before done(). */
	int status;                     /* 0, -ETIMEDOUT, -ECANCELED (closing) or
					 * -ENOMEM (the collection ran out of memory) */
	struct scrape_result *result;   /* with status 0; the caller puts it */
	const char *stuck;              /* with -ETIMEDOUT: the collector still running */
	/* Private to the scrape. */
	unsigned long gen;
	struct scrape_waiter *next;
};

/* Initialises every enabled collector and starts the collection thread. On a
 * bad collector option returns -EINVAL with one line in err. cfg must outlive
 * the scrape. */
int scrape_new(const struct config *cfg, struct scrape **out, struct strbuf *err);
/* The same over another list of collectors (tests); cfg->enabled is indexed
 * like that list. The list must outlive the scrape. */
int scrape_new_with(const struct config *cfg, const struct collector_ops *const *collectors,
		    size_t ncollectors, struct scrape **out, struct strbuf *err);
/* Closes (see scrape_close()), stops the collection thread and frees. If a
 * collection is still running after SCRAPE_STOP_GRACE_SECONDS, logs which
 * collector is stuck and returns without freeing what that collection uses
 * (the process is exiting). Accepts NULL. */
void scrape_free(struct scrape *s);

/* Queues w for the running collection, or for a new one. 0: done() will be
 * called exactly once. -ECANCELED after scrape_close(): done() is not called. */
int scrape_submit(struct scrape *s, struct scrape_waiter *w);
/* Tells every waiter -ECANCELED and refuses new ones; returns once the last
 * done() has returned. Idempotent; not concurrently with itself. */
void scrape_close(struct scrape *s);

/* scrape_submit() and wait: 0 with *out (release with scrape_result_put()),
 * or a waiter status (see above). timeout in seconds, INFINITY for none. */
int scrape_get(struct scrape *s, double timeout, struct scrape_result **out);
void scrape_result_put(struct scrape_result *r);
const struct expo *scrape_result_expo(const struct scrape_result *r);

#endif
