/* util/parallel: a parallel-for over a few worker threads.
 *
 * The project's one fan-out (the sock_diag dumps of the host and of every
 * other network namespace): nitems items are taken, in order, by up to
 * nworkers workers, each taking the next untaken item until none is left.
 * Worker 0 is the calling thread; the others are threads started for the
 * call and joined before it returns. A thread that fails to start leaves its
 * items to the others (a slower run, not a failed one). */
#ifndef NETSTAT_UTIL_PARALLEL_H
#define NETSTAT_UTIL_PARALLEL_H

#include <stddef.h>

#define UTIL_PARALLEL_MAX_WORKERS 8

/* Called for item on worker (< the number returned). Calls with the same
 * worker never overlap. Non-zero: this worker takes no further item. */
typedef int (*util_parallel_fn)(void *arg, unsigned worker, size_t item);

/* Runs fn over items 0..nitems-1 on min(nworkers, nitems, MAX) workers (at
 * least 1). Returns how many workers ran (each index below it ran, with or
 * without items). */
unsigned util_parallel_for(unsigned nworkers, size_t nitems, util_parallel_fn fn, void *arg);

#endif
