/* sockdiag/dump: one scrape's sock_diag dumps, spread over worker threads.
 *
 * Each worker owns a netlink socket (opened by diag_dump_init(), so the fd
 * count does not depend on which threads got a job; kept open between
 * scrapes) and takes the next unstarted job until none is left (a
 * util_parallel_for(), util/parallel.h); worker 0 is the calling thread.
 * The consumer gets every socket with the index of the
 * worker that dumped it, so it can keep one aggregate per worker and merge
 * them afterwards. */
#ifndef NETSTAT_SOCKDIAG_DUMP_H
#define NETSTAT_SOCKDIAG_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "sockdiag/reply.h"
#include "sockdiag/transport.h"

#define DIAG_DUMP_MAX_WORKERS 4

/* One dump: family (AF_INET, AF_INET6), protocol, kernel state mask, an
 * optional bytecode filter (NULL: every socket; borrowed, must outlive
 * diag_dump_run()), and the extensions to request (NL_DIAG_EXT_*, 0: none). */
struct diag_dump_job {
	uint8_t family;
	uint8_t protocol;
	uint32_t states;
	const struct diag_bc *filter;
	uint8_t ext;
};

/* Called for every socket. Calls with the same worker index never overlap;
 * calls with different ones may run concurrently. Non-zero stops that job. */
typedef int (*diag_dump_fn)(void *arg, unsigned worker, const struct diag_sock *s);

struct diag_dump {
	unsigned nworkers;
	struct diag_nl nl[DIAG_DUMP_MAX_WORKERS]; /* owned */
};

/* nworkers in 1..DIAG_DUMP_MAX_WORKERS. 0, -EINVAL or -ENOMEM. */
int diag_dump_init(struct diag_dump *sc, unsigned nworkers);
void diag_dump_fini(struct diag_dump *sc);

/* Runs every job once on at most min(nworkers, sc->nworkers, njobs) workers.
 * Returns 0; -EINTR when a dump came back flagged inconsistent (every job
 * still ran to its end: the caller may reset and run again); or the first
 * other error (a job's errno or fn's return). A worker thread that fails to
 * start leaves its jobs to the others. */
int diag_dump_run(struct diag_dump *sc, unsigned nworkers, const struct diag_dump_job *jobs,
		 size_t njobs, diag_dump_fn fn, void *arg);

#endif
