/* sockdiag/dump: one scrape's sock_diag dumps over worker threads. See sockdiag/dump.h. */
#include "sockdiag/dump.h"

#include <errno.h>
#include <string.h>

#include "util/parallel.h"

_Static_assert(DIAG_DUMP_MAX_WORKERS <= UTIL_PARALLEL_MAX_WORKERS, "every dump worker can run");

int diag_dump_init(struct diag_dump *sc, unsigned nworkers)
{
	int ret = 0;

	memset(sc, 0, sizeof(*sc));
	if (nworkers < 1 || nworkers > DIAG_DUMP_MAX_WORKERS)
		return -EINVAL;
	for (unsigned i = 0; i < nworkers; i++) {
		ret = diag_nl_init(&sc->nl[i]);
		if (ret < 0)
			goto out;
		sc->nworkers = i + 1;
		/* Every worker's socket now: opened at its first job, it would
		 * come whenever a scrape first had a job left for that thread,
		 * and the exporter's fd count would depend on thread timing. A
		 * failure here is retried (and reported) by the first dump. */
		(void)diag_nl_open(&sc->nl[i]);
	}
out:
	if (ret < 0)
		diag_dump_fini(sc);
	return ret;
}

void diag_dump_fini(struct diag_dump *sc)
{
	if (sc == NULL)
		return;
	for (unsigned i = 0; i < sc->nworkers; i++)
		diag_nl_fini(&sc->nl[i]);
	sc->nworkers = 0;
}

/* Shared by the workers of one run. */
struct run {
	struct diag_dump *sc;
	const struct diag_dump_job *jobs;
	diag_dump_fn fn;
	void *arg;
	/* Per worker: its first error; else -EINTR if a dump was interrupted; else 0. */
	int ret[DIAG_DUMP_MAX_WORKERS];
};

struct relay_arg {
	struct run *run;
	unsigned worker;
};

static int relay(const struct diag_sock *s, void *arg)
{
	struct relay_arg *a = arg;

	return a->run->fn(a->run->arg, a->worker, s);
}

/* One job on one worker; non-zero stops the worker. */
static int work(void *arg, unsigned worker, size_t j)
{
	struct run *r = arg;
	struct relay_arg ra = {r, worker};
	int ret;

	ret = diag_nl_dump(&r->sc->nl[worker], r->jobs[j].family, r->jobs[j].protocol,
			   r->jobs[j].states, r->jobs[j].ext, r->jobs[j].filter, relay, &ra);
	/* No handler for this family or protocol (e.g. IPv6 disabled): then
	 * there are no such sockets either. */
	if (ret == -ENOENT)
		ret = 0;
	if (ret == -EINTR && r->ret[worker] == 0)
		r->ret[worker] = ret;
	else if (ret < 0 && ret != -EINTR) {
		r->ret[worker] = ret;
		return ret;
	}
	return 0;
}

int diag_dump_run(struct diag_dump *sc, unsigned nworkers, const struct diag_dump_job *jobs,
		 size_t njobs, diag_dump_fn fn, void *arg)
{
	struct run r = {.sc = sc, .jobs = jobs, .fn = fn, .arg = arg};
	unsigned n = nworkers < sc->nworkers ? nworkers : sc->nworkers, ran;
	int ret = 0;

	ran = util_parallel_for(n, njobs, work, &r);
	for (unsigned i = 0; i < ran; i++) {
		if (r.ret[i] < 0 && r.ret[i] != -EINTR) {
			ret = r.ret[i];
			break;
		}
		if (r.ret[i] == -EINTR)
			ret = -EINTR;
	}
	return ret;
}
