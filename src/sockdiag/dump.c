/* sockdiag/dump: one scrape's sock_diag dumps over worker threads. See sockdiag/dump.h. */
#include "sockdiag/dump.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

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
	size_t njobs;
	atomic_size_t next; /* index of the next unstarted job */
	diag_dump_fn fn;
	void *arg;
};

struct worker {
	struct run *run;
	unsigned index;
	int ret;        /* first error; else -EINTR if a dump was interrupted; else 0 */
	pthread_t thread;
};

static int relay(const struct diag_sock *s, void *arg)
{
	struct worker *w = arg;
	return w->run->fn(w->run->arg, w->index, s);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;

	for (;;) {
		size_t j = atomic_fetch_add(&r->next, 1);
		int ret;

		if (j >= r->njobs)
			break;
		ret = diag_nl_dump(&r->sc->nl[w->index], r->jobs[j].family, r->jobs[j].protocol,
				   r->jobs[j].states, r->jobs[j].ext, r->jobs[j].filter, relay, w);
		/* No handler for this family or protocol (e.g. IPv6 disabled):
		 * then there are no such sockets either. */
		if (ret == -ENOENT)
			ret = 0;
		if (ret == -EINTR && w->ret == 0)
			w->ret = ret;
		else if (ret < 0 && ret != -EINTR) {
			w->ret = ret;
			break;
		}
	}
	return NULL;
}

int diag_dump_run(struct diag_dump *sc, unsigned nworkers, const struct diag_dump_job *jobs,
		 size_t njobs, diag_dump_fn fn, void *arg)
{
	struct worker w[DIAG_DUMP_MAX_WORKERS];
	struct run r = {.sc = sc, .jobs = jobs, .njobs = njobs, .fn = fn, .arg = arg};
	unsigned n = nworkers, started;
	int ret = 0;

	atomic_init(&r.next, 0);
	if (n > sc->nworkers)
		n = sc->nworkers;
	if (n > njobs)
		n = (unsigned)njobs;
	if (n == 0)
		n = 1;
	memset(w, 0, sizeof(w));
	for (started = 1; started < n; started++) {
		w[started].run = &r;
		w[started].index = started;
		if (pthread_create(&w[started].thread, NULL, work, &w[started]) != 0) {
			/* Fewer workers just means a slower scrape. */
			break;
		}
	}
	w[0].run = &r;
	w[0].index = 0;
	work(&w[0]);
	for (unsigned i = 1; i < started; i++)
		pthread_join(w[i].thread, NULL);
	for (unsigned i = 0; i < started; i++) {
		if (w[i].ret < 0 && w[i].ret != -EINTR) {
			ret = w[i].ret;
			break;
		}
		if (w[i].ret == -EINTR)
			ret = -EINTR;
	}
	return ret;
}
