#include "scrape.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "self.h"

struct scrape_result {
	struct expo *expo;
	int refs; /* guarded by scrape.lock */
	struct scrape *owner;
};

struct scrape {
	const struct config *cfg;
	const struct collector_ops *const *collectors;
	size_t ncollectors;
	void *state[CONFIG_MAX_COLLECTORS];
	bool active[CONFIG_MAX_COLLECTORS];
	unsigned dropped[CONFIG_MAX_COLLECTORS]; /* families left out last collection */
	double start_time;

	pthread_mutex_t lock;
	pthread_cond_t done;
	bool running;
	unsigned long generation;      /* bumped when a collection finishes */
	struct scrape_result *latest;  /* the last finished collection */
};

int scrape_new(const struct config *cfg, struct scrape **out, struct strbuf *err)
{
	return scrape_new_with(cfg, collector_registry, collector_count, out, err);
}

/* A consumer of the socket stream without an active provider has nothing
 * to count: it is off, as the interface says (collector.h). */
static void drop_orphan_consumers(struct scrape *s)
{
	bool provided = false;

	for (size_t i = 0; i < s->ncollectors; i++)
		provided |= s->active[i] && s->collectors[i]->stream_run != NULL;
	for (size_t i = 0; i < s->ncollectors && !provided; i++) {
		if (!s->active[i] || s->collectors[i]->stream == NULL)
			continue;
		log_msg(LOG_INFO, "%s collector off: no enabled collector provides the socket "
			"stream it reads (the sockets collector does)", s->collectors[i]->name);
		s->collectors[i]->fini(s->state[i]);
		s->state[i] = NULL;
		s->active[i] = false;
	}
}

int scrape_new_with(const struct config *cfg, const struct collector_ops *const *collectors,
		    size_t ncollectors, struct scrape **out, struct strbuf *err)
{
	struct scrape *s = calloc(1, sizeof(*s));
	int rc = -ENOMEM;

	if (!s)
		goto out;
	if (ncollectors > CONFIG_MAX_COLLECTORS) {
		rc = -E2BIG;
		goto out;
	}
	s->cfg = cfg;
	s->collectors = collectors;
	s->ncollectors = ncollectors;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->done, NULL);
	if (self_start_time(&s->start_time))
		s->start_time = 0;
	for (size_t i = 0; i < s->ncollectors; i++) {
		const struct collector_ops *c = s->collectors[i];

		if (!cfg->enabled[i])
			continue;
		rc = c->init(&s->state[i], cfg, err);
		if (rc == COLLECTOR_INACTIVE)
			continue;
		if (rc)
			goto out;
		s->active[i] = true;
	}
	drop_orphan_consumers(s);
	rc = 0;
out:
	if (rc) {
		scrape_free(s);
		s = NULL;
	}
	*out = s;
	return rc;
}

static void result_unref_locked(struct scrape_result *r)
{
	if (r && --r->refs == 0) {
		expo_free(r->expo);
		free(r);
	}
}

void scrape_free(struct scrape *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncollectors; i++)
		if (s->active[i])
			s->collectors[i]->fini(s->state[i]);
	result_unref_locked(s->latest);
	pthread_cond_destroy(&s->done);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The socket stream (collector.h): every active consumer's prepare(), then
 * the provider's one dump. Times each to its collector; a consumer left
 * without data gets its error in failed[]. */
static void run_stream(struct scrape *s, const struct collect_ctx *ctx, double *secs, int *failed)
{
	struct collector_sinks sinks = {0};
	size_t who[CONFIG_MAX_COLLECTORS];
	int provider = -1, rc;
	double t0;

	for (size_t i = 0; i < s->ncollectors; i++) {
		const struct collector_stream *st = s->collectors[i]->stream;

		if (!s->active[i])
			continue;
		if (s->collectors[i]->stream_run && provider < 0)
			provider = (int)i;
		if (st == NULL)
			continue;
		t0 = now_seconds();
		rc = st->prepare ? st->prepare(s->state[i], ctx) : 0;
		secs[i] += now_seconds() - t0;
		if (rc) {
			failed[i] = rc;
			continue;
		}
		who[sinks.n] = i;
		sinks.ops[sinks.n] = st;
		sinks.state[sinks.n++] = s->state[i];
	}
	if (provider < 0 || sinks.n == 0)
		return;
	t0 = now_seconds();
	rc = s->collectors[provider]->stream_run(s->state[provider], ctx, &sinks);
	secs[provider] += now_seconds() - t0;
	for (size_t k = 0; k < sinks.n; k++)
		failed[who[k]] = sinks.rc[k] ? sinks.rc[k] : rc;
}

/* Who may use a family name (collector.h, .owns): the exporter's own
 * families and those a collector with fixed names owns are reserved; a
 * family of a collector that makes names from data which collides is left
 * out alone, said once when it starts. */
struct name_rule {
	const struct scrape *s;
	size_t who;
	bool say;
};

static bool keep_family(const char *name, bool taken, void *arg)
{
	const struct name_rule *r = arg;
	const struct collector_ops *me = r->s->collectors[r->who];
	const char *owner = NULL;

	if (strncmp(name, "netstat_exporter_", 17) == 0 || strncmp(name, "process_", 8) == 0)
		owner = "the exporter";
	for (size_t i = 0; !owner && !me->owns && i < r->s->ncollectors; i++)
		if (i != r->who && r->s->collectors[i]->owns && r->s->collectors[i]->owns(name))
			owner = r->s->collectors[i]->name;
	if ((owner || taken) && r->say)
		log_msg(LOG_WARN, "collector %s: family %s left out: %s %s", me->name, name,
			owner ? "the name belongs to" : "another collector already added it",
			owner ? owner : "");
	return owner == NULL;
}

/* Runs every active collector into a new set. A collector's families land in
 * a private set first and are merged only when it succeeds, so a failing
 * collector cannot leave half a family behind or poison the others. */
static struct expo *collect_all(struct scrape *s)
{
	struct expo *e = expo_new();
	struct expo_family *dur, *ok, *drop;
	double secs[CONFIG_MAX_COLLECTORS] = {0};
	int failed[CONFIG_MAX_COLLECTORS] = {0};
	bool good[CONFIG_MAX_COLLECTORS] = {0};
	struct collect_ctx ctx;

	if (!e)
		return NULL;
	ctx.procfs_fd = open(s->cfg->procfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctx.procfs_fd < 0)
		log_msg(LOG_ERROR, "cannot open --path.procfs %s: %s", s->cfg->procfs,
			strerror(errno));
	run_stream(s, &ctx, secs, failed);
	for (size_t i = 0; i < s->ncollectors; i++) {
		const struct collector_ops *c = s->collectors[i];
		struct expo *mine;
		double t0;
		int rc;

		if (!s->active[i])
			continue;
		t0 = now_seconds();
		mine = expo_new();
		rc = failed[i];
		if (rc == 0)
			rc = mine ? c->collect(s->state[i], &ctx, mine) : -ENOMEM;
		if (rc == 0 && expo_error(mine))
			rc = expo_error(mine);
		if (rc == 0) {
			struct name_rule rule = {s, i, s->dropped[i] == 0};

			rc = expo_merge(e, mine, keep_family, &rule);
			s->dropped[i] = rc > 0 ? (unsigned)rc : 0;
			rc = rc > 0 ? 0 : rc;
		}
		if (rc)
			log_msg(LOG_WARN, "collector %s failed: %s", c->name, strerror(-rc));
		expo_free(mine);
		secs[i] += now_seconds() - t0;
		good[i] = rc == 0;
	}
	if (ctx.procfs_fd >= 0)
		close(ctx.procfs_fd);

	dur = expo_family(e, "netstat_exporter_collector_duration_seconds", EXPO_GAUGE,
			  "Time a collector took in the last scrape.");
	for (size_t i = 0; i < s->ncollectors; i++)
		if (s->active[i])
			expo_add_f64(dur, secs[i],
				     EXPO_LABELS({"collector", s->collectors[i]->name}));
	ok = expo_family(e, "netstat_exporter_collector_success", EXPO_GAUGE,
			 "Whether a collector succeeded in the last scrape (1) or failed (0).");
	for (size_t i = 0; i < s->ncollectors; i++)
		if (s->active[i])
			expo_add_u64(ok, good[i],
				     EXPO_LABELS({"collector", s->collectors[i]->name}));
	drop = expo_family(e, "netstat_exporter_collector_dropped_families", EXPO_GAUGE,
			   "Families a collector made in the last scrape that were left out because "
			   "another collector or the exporter owns the name.");
	for (size_t i = 0; i < s->ncollectors; i++)
		if (s->active[i])
			expo_add_u64(drop, good[i] ? s->dropped[i] : 0,
				     EXPO_LABELS({"collector", s->collectors[i]->name}));
	self_collect(e, s->start_time);
	return e;
}

struct scrape_result *scrape_get(struct scrape *s)
{
	struct scrape_result *r = NULL;
	unsigned long gen;

	pthread_mutex_lock(&s->lock);
	if (s->running) {
		/* Share the collection in flight. */
		gen = s->generation;
		while (s->generation == gen)
			pthread_cond_wait(&s->done, &s->lock);
		r = s->latest;
		if (r)
			r->refs++;
		pthread_mutex_unlock(&s->lock);
		return r;
	}
	s->running = true;
	pthread_mutex_unlock(&s->lock);

	r = calloc(1, sizeof(*r));
	if (r) {
		r->expo = collect_all(s);
		r->refs = 2; /* the caller's and s->latest's */
		r->owner = s;
		if (!r->expo) {
			free(r);
			r = NULL;
		}
	}

	pthread_mutex_lock(&s->lock);
	if (r) {
		result_unref_locked(s->latest);
		s->latest = r;
	}
	s->running = false;
	s->generation++;
	pthread_cond_broadcast(&s->done);
	pthread_mutex_unlock(&s->lock);
	return r;
}

void scrape_result_put(struct scrape_result *r)
{
	struct scrape *s;

	if (!r)
		return;
	s = r->owner;
	pthread_mutex_lock(&s->lock);
	result_unref_locked(r);
	pthread_mutex_unlock(&s->lock);
}

const struct expo *scrape_result_expo(const struct scrape_result *r)
{
	return r->expo;
}
