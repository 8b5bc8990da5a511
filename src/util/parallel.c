/* util/parallel: a parallel-for over a few worker threads. See util/parallel.h. */
#include "util/parallel.h"

#include <pthread.h>
#include <stdatomic.h>

struct job {
	util_parallel_fn fn;
	void *arg;
	size_t nitems;
	atomic_size_t next; /* the next untaken item */
};

struct worker {
	struct job *job;
	unsigned index;
	pthread_t thread;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct job *j = w->job;

	for (;;) {
		size_t i = atomic_fetch_add(&j->next, 1);

		if (i >= j->nitems || j->fn(j->arg, w->index, i) != 0)
			break;
	}
	return NULL;
}

unsigned util_parallel_for(unsigned nworkers, size_t nitems, util_parallel_fn fn, void *arg)
{
	struct worker w[UTIL_PARALLEL_MAX_WORKERS];
	struct job j = {.fn = fn, .arg = arg, .nitems = nitems};
	unsigned n = nworkers, started;

	atomic_init(&j.next, 0);
	if (n > UTIL_PARALLEL_MAX_WORKERS)
		n = UTIL_PARALLEL_MAX_WORKERS;
	if (n > nitems)
		n = (unsigned)nitems;
	if (n == 0)
		n = 1;
	for (started = 1; started < n; started++) {
		w[started] = (struct worker){&j, started, 0};
		if (pthread_create(&w[started].thread, NULL, work, &w[started]) != 0)
			break; /* fewer workers: a slower run */
	}
	w[0] = (struct worker){&j, 0, 0};
	work(&w[0]);
	for (unsigned i = 1; i < started; i++)
		pthread_join(w[i].thread, NULL);
	return started;
}
