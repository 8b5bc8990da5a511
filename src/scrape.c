#include "scrape.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "log.h"
#include "self.h"
#include "util/clock.h"

struct scrape_result {
	struct expo *expo;
	int refs; /* guarded by scrape.lock */
	struct scrape *owner;
};

/* One collection, as far as it got: filled by the thread running it, read
 * by the dispatcher, both under scrape.lock. */
struct run {
	struct expo *e;       /* what succeeded so far; NULL once published early */
	struct expo *self;    /* the process_* families, read at its start */
	double secs[CONFIG_MAX_COLLECTORS];
	bool good[CONFIG_MAX_COLLECTORS];
	bool stream[CONFIG_MAX_COLLECTORS]; /* in the dump now (provider, consumers) */
	bool in_stream;       /* inside the socket stream (prepare() or the dump) */
	bool in_collector;    /* inside a collector (current, since t0) */
	size_t current;
	double t0;
	bool abandoned;       /* published at a deadline: its thread exits when back */
	bool marked[CONFIG_MAX_COLLECTORS]; /* made busy by its abandonment */
};

struct scrape {
	const struct config *cfg;
	const struct collector_ops *const *collectors;
	size_t ncollectors;
	void *state[CONFIG_MAX_COLLECTORS];
	bool active[CONFIG_MAX_COLLECTORS];
	unsigned dropped[CONFIG_MAX_COLLECTORS]; /* families left out last collection */
	double start_time;
	bool self_failed;        /* /proc/self could not be read last time */

	pthread_t collector, dispatcher;
	bool threads;            /* both were started */
	bool dispatcher_joined;

	/* Guarded by lock. */
	pthread_mutex_t lock;
	pthread_cond_t want;     /* to the collection thread: a waiter or stopping */
	pthread_cond_t news;     /* to the dispatcher and scrape_free(): a waiter,
				  * a finished collection, closing, exit */
	bool closing;            /* scrape_close(): no new waiters */
	bool stopping;           /* scrape_free(): no new collections */
	bool collector_exited;
	bool running;
	const char *current;     /* the collector running now, if any */
	double started;          /* when the running collection started */
	unsigned long generation;      /* collections finished so far */
	bool failed;                   /* the last collection ran out of memory */
	unsigned long stuck_logged;    /* the collection last reported as stuck */
	struct scrape_result *latest;  /* the last finished collection */
	struct scrape_waiter *waiters; /* not told yet */
	/* Deadlines: a collector still running at a scrape's deadline is
	 * reported failed, counted, and left to finish on its collection's
	 * thread (abandoned); until it returns it is busy: no collection starts
	 * it, nor anything that shares its data (the socket stream). */
	struct run *run;               /* the running collection */
	bool busy[CONFIG_MAX_COLLECTORS];
	uint64_t timeouts[CONFIG_MAX_COLLECTORS];
	unsigned abandoned_threads;    /* still inside a collector */
	bool no_collector;             /* no collection thread to join */
};

static void *collector_main(void *arg);
static void *dispatcher_main(void *arg);

int scrape_new(const struct config *cfg, struct scrape **out, struct strbuf *err)
{
	return scrape_new_with(cfg, collector_registry, collector_count, out, err);
}

/* A consumer of the socket stream without an active provider of the
 * exporter's own namespace has nothing to count: it is off, as the interface
 * says (collector.h). */
static void drop_orphan_consumers(struct scrape *s)
{
	bool provided = false;

	for (size_t i = 0; i < s->ncollectors; i++)
		provided |= s->active[i] && s->collectors[i]->provider != NULL &&
			    s->collectors[i]->provider->scope == STREAM_OWN_NETNS;
	for (size_t i = 0; i < s->ncollectors && !provided; i++) {
		if (!s->active[i] || s->collectors[i]->consumer == NULL)
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
	/* Deadlines are on the monotonic clock. */
	util_cond_init_mono(&s->want);
	util_cond_init_mono(&s->news);
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
	rc = -pthread_create(&s->collector, NULL, collector_main, s);
	if (rc)
		goto out;
	rc = -pthread_create(&s->dispatcher, NULL, dispatcher_main, s);
	if (rc) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_cond_signal(&s->want);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->collector, NULL);
		goto out;
	}
	s->threads = true;
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
	struct timespec until;
	double waited;
	bool exited = true;
	const char *stuck = NULL;

	if (!s)
		return;
	if (s->threads) {
		scrape_close(s);
		until = util_mono_timespec(util_mono_now() + SCRAPE_STOP_GRACE_SECONDS);
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_cond_signal(&s->want);
		while ((!s->collector_exited || s->abandoned_threads) &&
		       pthread_cond_timedwait(&s->news, &s->lock, &until) != ETIMEDOUT)
			;
		exited = s->collector_exited && !s->abandoned_threads;
		stuck = s->current;
		waited = util_mono_now() - s->started;
		pthread_mutex_unlock(&s->lock);
		if (!exited) {
			/* It uses s and the collectors' state: leave them to it. */
			log_msg(LOG_WARN, "exiting while collector %s has been running for %.0f s",
				stuck ? stuck : "(none)", waited);
			if (!s->no_collector)
				pthread_detach(s->collector);
			return;
		}
		if (!s->no_collector)
			pthread_join(s->collector, NULL);
	}
	for (size_t i = 0; i < s->ncollectors; i++)
		if (s->active[i])
			s->collectors[i]->fini(s->state[i]);
	result_unref_locked(s->latest);
	pthread_cond_destroy(&s->want);
	pthread_cond_destroy(&s->news);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Collector i of run r starts (for the stuck report and the deadline). */
static void set_current(struct scrape *s, struct run *r, size_t i)
{
	pthread_mutex_lock(&s->lock);
	s->current = s->collectors[i]->name;
	r->current = i;
	r->in_collector = true;
	r->t0 = util_mono_now();
	pthread_mutex_unlock(&s->lock);
}

/* Back from a collector: whether the run was abandoned meanwhile. */
static bool collector_returned(struct scrape *s, struct run *r)
{
	bool abandoned;

	pthread_mutex_lock(&s->lock);
	r->in_collector = false;
	abandoned = r->abandoned;
	pthread_mutex_unlock(&s->lock);
	return abandoned;
}

static bool busy(struct scrape *s, size_t i)
{
	bool b;

	pthread_mutex_lock(&s->lock);
	b = s->busy[i];
	pthread_mutex_unlock(&s->lock);
	return b;
}

/* The exporter's own families for a collection: a collector that did not
 * succeed (failed, skipped as busy, or not finished at the deadline) is 0 in
 * netstat_exporter_collector_success. Called with the lock held. */
static void add_meta_locked(struct scrape *s, struct run *r, struct expo *e)
{
	struct expo_family *dur, *ok, *drop, *tmo;

	dur = expo_family(e, "netstat_exporter_collector_duration_seconds", EXPO_GAUGE,
			  "Time a collector took in the last scrape (until its deadline when it "
			  "did not finish).");
	for (size_t i = 0; i < s->ncollectors; i++)
		if (s->active[i])
			expo_add_f64(dur, r->in_collector && r->current == i
					  ? r->secs[i] + util_mono_now() - r->t0 : r->secs[i],
				     EXPO_LABELS({"collector", s->collectors[i]->name}));
	ok = expo_family(e, "netstat_exporter_collector_success", EXPO_GAUGE,
			 "Whether a collector succeeded in the last scrape (1) or failed (0).");
	for (size_t i = 0; i < s->ncollectors; i++)
		if (s->active[i])
			expo_add_u64(ok, r->good[i],
				     EXPO_LABELS({"collector", s->collectors[i]->name}));
	drop = expo_family(e, "netstat_exporter_collector_dropped_families", EXPO_GAUGE,
			   "Families a collector made in the last scrape that were left out because "
			   "another collector or the exporter owns the name.");
	for (size_t i = 0; i < s->ncollectors; i++)
		if (s->active[i])
			expo_add_u64(drop, r->good[i] ? s->dropped[i] : 0,
				     EXPO_LABELS({"collector", s->collectors[i]->name}));
	tmo = expo_family(e, "netstat_exporter_collector_timeouts", EXPO_COUNTER,
			  "Scrapes whose deadline passed while the collector was running: it was "
			  "reported failed then, and not started again until it returned.");
	for (size_t i = 0; i < s->ncollectors; i++)
		if (s->active[i])
			expo_add_u64(tmo, s->timeouts[i],
				     EXPO_LABELS({"collector", s->collectors[i]->name}));
	if (r->self)
		(void)expo_merge(e, r->self, NULL, NULL); /* in memory: no I/O under the lock */
}

/* ---- one collection: consumers prepare, providers feed them, families ----
 *
 * The socket stream (collector.h) runs in phases: every consumer's
 * prepare(), then every provider's pass (the exporter's own namespace
 * first), then every collector's collect(). What each phase leaves for the
 * next is in struct outcome: a collector that failed (and whether the cause
 * was said already) takes no further part. */

struct outcome {
	int failed[CONFIG_MAX_COLLECTORS];
	bool explained[CONFIG_MAX_COLLECTORS]; /* the failure was said already */
};

/* Time since t0 goes to collector i. */
static void charge(struct scrape *s, struct run *r, size_t i, double t0)
{
	pthread_mutex_lock(&s->lock);
	r->secs[i] += util_mono_now() - t0;
	pthread_mutex_unlock(&s->lock);
}

/* A pass starts: the provider and the consumers it feeds (whose state the
 * dump touches) are inside it until unmark_stream(). */
static void mark_stream(struct scrape *s, struct run *r, size_t provider, const size_t *who,
			size_t n)
{
	pthread_mutex_lock(&s->lock);
	r->in_stream = true;
	r->stream[provider] = true;
	for (size_t k = 0; k < n; k++)
		r->stream[who[k]] = true;
	pthread_mutex_unlock(&s->lock);
}

static void unmark_stream(struct scrape *s, struct run *r)
{
	pthread_mutex_lock(&s->lock);
	r->in_stream = false;
	memset(r->stream, 0, sizeof(r->stream));
	pthread_mutex_unlock(&s->lock);
}

/* Phase 1: every active consumer's prepare(), timed to it. A busy one (still
 * inside an abandoned collection) or one that fails takes no part. */
static bool prepare_consumers(struct scrape *s, struct run *r, const struct collect_ctx *ctx,
			      struct outcome *o)
{
	for (size_t i = 0; i < s->ncollectors; i++) {
		const struct collector_consumer *c = s->collectors[i]->consumer;
		unsigned long said;
		double t0;
		int rc;

		if (!s->active[i] || c == NULL)
			continue;
		if (busy(s, i)) {
			o->failed[i] = -EBUSY;
			o->explained[i] = true;
			continue;
		}
		set_current(s, r, i);
		t0 = util_mono_now();
		said = log_said();
		log_mute(ctx->procfs_fd < 0); /* as in collect_families() */
		rc = c->prepare ? c->prepare(s->state[i], ctx) : 0;
		log_mute(false);
		if (collector_returned(s, r))
			return false;
		charge(s, r, i, t0);
		if (rc) {
			o->failed[i] = rc;
			o->explained[i] = ctx->procfs_fd >= 0 && log_said() != said;
		}
	}
	return true;
}

/* Phase 2, one provider: its pass feeds every consumer still in. A consumer
 * whose begin() fails fails alone; without the pass of the exporter's own
 * namespace (the provider failed or is busy), every consumer it would have
 * fed fails too. */
static bool run_provider(struct scrape *s, struct run *r, const struct collect_ctx *ctx,
			 size_t i, struct outcome *o)
{
	const struct collector_provider *p = s->collectors[i]->provider;
	struct stream_out out = {.pass = {.scope = p->scope}};
	size_t who[CONFIG_MAX_COLLECTORS];
	bool own = p->scope == STREAM_OWN_NETNS;
	unsigned long said;
	double t0;
	int rc;

	for (size_t k = 0; k < s->ncollectors; k++) {
		if (!s->active[k] || s->collectors[k]->consumer == NULL || o->failed[k])
			continue;
		who[out.n] = k;
		out.ops[out.n] = s->collectors[k]->consumer;
		out.state[out.n++] = s->state[k];
	}
	if (busy(s, i)) { /* its last pass is still running: no data */
		o->failed[i] = -EBUSY;
		o->explained[i] = true;
		for (size_t k = 0; own && k < out.n; k++) {
			o->failed[who[k]] = -EBUSY;
			o->explained[who[k]] = true;
		}
		return true;
	}
	mark_stream(s, r, i, who, out.n);
	set_current(s, r, i);
	t0 = util_mono_now();
	said = log_said();
	rc = p->run(s->state[i], ctx, &out);
	if (collector_returned(s, r))
		return false;
	unmark_stream(s, r);
	charge(s, r, i, t0);
	if (rc) {
		o->failed[i] = rc;
		o->explained[i] = log_said() != said;
	}
	for (size_t k = 0; k < out.n; k++) {
		if (out.rc[k]) {
			o->failed[who[k]] = out.rc[k];
		} else if (rc && own) {
			o->failed[who[k]] = rc;
			o->explained[who[k]] = log_said() != said;
		}
	}
	return true;
}

/* Phase 2: every provider, those of the exporter's own namespace first. */
static bool run_providers(struct scrape *s, struct run *r, const struct collect_ctx *ctx,
			  struct outcome *o)
{
	for (int scope = 0; scope < STREAM_SCOPE_COUNT; scope++)
		for (size_t i = 0; i < s->ncollectors; i++)
			if (s->active[i] && s->collectors[i]->provider &&
			    s->collectors[i]->provider->scope == (enum stream_scope)scope &&
			    !run_provider(s, r, ctx, i, o))
				return false;
	return true;
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

/* Phase 3: every active collector's collect() that has not failed (nor is
 * busy) into r->e. A collector's families land in a private set first and
 * are merged (under the lock, so the dispatcher may publish r->e at a
 * deadline) only when it succeeds, so a failing collector cannot leave half
 * a family behind or poison the others. */
static bool collect_families(struct scrape *s, struct run *r, const struct collect_ctx *ctx,
			     struct outcome *o)
{
	for (size_t i = 0; i < s->ncollectors; i++) {
		const struct collector_ops *c = s->collectors[i];
		struct expo *mine;
		unsigned long said;
		double t0;
		int rc;

		if (!s->active[i])
			continue;
		if (busy(s, i))
			continue; /* reported failed; said when it was left */
		set_current(s, r, i);
		t0 = util_mono_now();
		mine = expo_new();
		rc = o->failed[i];
		if (rc == 0) {
			said = log_said();
			/* Without procfs, what collectors would say (EBADF) is
			 * not the cause: that was said in collect_run(). */
			log_mute(ctx->procfs_fd < 0);
			rc = mine ? c->collect(s->state[i], ctx, mine) : -ENOMEM;
			log_mute(false);
			o->explained[i] = rc && ctx->procfs_fd >= 0 && log_said() != said;
		}
		if (collector_returned(s, r)) {
			expo_free(mine);
			return false;
		}
		if (rc == 0 && expo_error(mine))
			rc = expo_error(mine);
		if (rc == 0) {
			struct name_rule rule = {s, i, s->dropped[i] == 0};

			pthread_mutex_lock(&s->lock);
			rc = expo_merge(r->e, mine, keep_family, &rule);
			pthread_mutex_unlock(&s->lock);
			s->dropped[i] = rc > 0 ? (unsigned)rc : 0;
			rc = rc > 0 ? 0 : rc;
		}
		/* One line per failure: the collector's own, if it said why. */
		if (rc && !o->explained[i] && !(ctx->procfs_fd < 0 && rc == -EBADF))
			log_msg(LOG_WARN, "collector %s failed: %s", c->name, strerror(-rc));
		expo_free(mine);
		pthread_mutex_lock(&s->lock);
		r->secs[i] += util_mono_now() - t0;
		r->good[i] = rc == 0;
		pthread_mutex_unlock(&s->lock);
	}
	return true;
}

/* The exporter's process_* families, read before any collector runs and
 * outside the lock (they are merged, in memory, by add_meta_locked()). A
 * failure to read /proc/self is said when it starts and when it ends. */
static void collect_self(struct scrape *s, struct run *r)
{
	int rc = r->self ? self_collect(r->self, s->start_time) : -ENOMEM;

	if (rc && !s->self_failed)
		log_msg(LOG_WARN, "cannot read the exporter's own /proc/self: %s; process_* "
			"metrics are incomplete until it can", strerror(-rc));
	else if (!rc && s->self_failed)
		log_msg(LOG_INFO, "the exporter's own /proc/self is readable again");
	s->self_failed = rc != 0;
}

/* One collection into r: providers → consumers → families. Returns false
 * when it was abandoned at a deadline: the caller's thread then has nothing
 * more to do. */
static bool collect_run(struct scrape *s, struct run *r)
{
	struct outcome o = {0};
	struct collect_ctx ctx;
	bool alive;

	collect_self(s, r);
	ctx.procfs_fd = open(s->cfg->procfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctx.procfs_fd < 0)
		log_msg(LOG_ERROR, "cannot open --path.procfs %s: %s; the collectors that read it "
			"fail until it opens", s->cfg->procfs, strerror(errno));
	alive = prepare_consumers(s, r, &ctx, &o) && run_providers(s, r, &ctx, &o) &&
		collect_families(s, r, &ctx, &o);
	if (ctx.procfs_fd >= 0)
		close(ctx.procfs_fd);
	return alive;
}

/* A result made of set e (taken). NULL means ENOMEM (e is freed). */
static struct scrape_result *result_new(struct scrape *s, struct expo *e)
{
	struct scrape_result *res = e ? calloc(1, sizeof(*res)) : NULL;

	if (!res || expo_error(e)) {
		free(res);
		expo_free(e);
		return NULL;
	}
	res->expo = e;
	res->refs = 1; /* s->latest's */
	res->owner = s;
	return res;
}

/* Whether a waiter waits for a collection that has not started. */
static bool wanted_locked(const struct scrape *s)
{
	for (const struct scrape_waiter *w = s->waiters; w; w = w->next)
		if (w->gen > s->generation)
			return true;
	return false;
}

/* The collection thread: one collection at a time, when someone waits. A
 * thread whose collection was abandoned at a deadline exits when its
 * collector returns; the dispatcher has started another meanwhile. */
static void *collector_main(void *arg)
{
	struct scrape *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct scrape_result *res = NULL;
		struct run *r;

		while (!s->stopping && !wanted_locked(s))
			pthread_cond_wait(&s->want, &s->lock);
		if (s->stopping)
			break;
		r = calloc(1, sizeof(*r));
		if (r && (!(r->e = expo_new()) || !(r->self = expo_new()))) {
			expo_free(r->e);
			free(r);
			r = NULL;
		}
		s->running = true;
		s->run = r;
		s->started = util_mono_now();
		pthread_mutex_unlock(&s->lock);

		if (r && !collect_run(s, r)) {
			/* Abandoned: its result is out; what it held is free again. */
			pthread_mutex_lock(&s->lock);
			for (size_t i = 0; i < s->ncollectors; i++)
				if (r->marked[i])
					s->busy[i] = false;
			log_msg(LOG_INFO, "collector %s returned after %.1f s; it runs again from "
				"the next scrape", s->collectors[r->current]->name, util_mono_now() - r->t0);
			expo_free(r->e);
			expo_free(r->self);
			free(r);
			s->abandoned_threads--;
			pthread_cond_broadcast(&s->news);
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}

		pthread_mutex_lock(&s->lock);
		if (r) {
			add_meta_locked(s, r, r->e);
			res = result_new(s, r->e);
			expo_free(r->self);
			free(r);
		}
		if (res) {
			result_unref_locked(s->latest);
			s->latest = res;
		}
		s->failed = !res;
		s->running = false;
		s->run = NULL;
		s->current = NULL;
		s->generation++;
		pthread_cond_broadcast(&s->news);
	}
	s->collector_exited = true;
	pthread_cond_broadcast(&s->news);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* A waiter's deadline passed while the running collection is inside a
 * collector: the collection is published as it stands (that collector and
 * those not run yet failed), and its thread is left to finish the collector
 * alone. The collector (with the whole socket stream when it is inside the
 * dump) is busy until then; a new thread takes the next collections.
 * Returns false when it could not. */
static bool abandon_locked(struct scrape *s)
{
	struct run *r = s->run;
	struct scrape_result *res;
	size_t c = r->current;
	int err;

	s->timeouts[c]++;
	add_meta_locked(s, r, r->e);
	res = result_new(s, r->e);
	r->e = NULL;
	if (!res) {
		s->timeouts[c]--;
		return false;
	}
	r->abandoned = true;
	for (size_t i = 0; i < s->ncollectors; i++)
		r->marked[i] = i == c || (r->in_stream && r->stream[i]);
	for (size_t i = 0; i < s->ncollectors; i++)
		s->busy[i] = s->busy[i] || r->marked[i];
	result_unref_locked(s->latest);
	s->latest = res;
	s->failed = false;
	s->generation++;
	s->running = false;
	s->run = NULL;
	s->current = NULL;
	s->abandoned_threads++;
	pthread_detach(s->collector);
	err = pthread_create(&s->collector, NULL, collector_main, s);
	if (err) {
		/* No new thread: no collection will run; waiters time out. */
		log_msg(LOG_ERROR, "cannot start a collection thread: %s", strerror(err));
		s->collector_exited = true;
		s->no_collector = true;
	}
	log_msg(LOG_WARN, "collector %s still running at a scrape's deadline after %.1f s: "
		"reported failed, and not started again until it returns",
		s->collectors[c]->name, util_mono_now() - r->t0);
	return true;
}

/* Takes off s->waiters those whose answer is known, filled in; returns them
 * as a list and sets *next to the earliest deadline of the others. */
static struct scrape_waiter *take_ready_locked(struct scrape *s, double now, double *next)
{
	struct scrape_waiter *ready = NULL, **pp = &s->waiters;

	*next = INFINITY;
	while (*pp) {
		struct scrape_waiter *w = *pp;

		w->result = NULL;
		w->stuck = NULL;
		if (w->gen <= s->generation) {
			w->status = s->failed ? -ENOMEM : 0;
			if (!s->failed) {
				w->result = s->latest;
				w->result->refs++;
			}
		} else if (s->closing) {
			w->status = -ECANCELED;
		} else if (now >= w->deadline && s->running && s->run && s->run->in_collector &&
			   w->gen == s->generation + 1 && abandon_locked(s)) {
			continue; /* the generation moved on: w is ready now, looked at again */
		} else if (now >= w->deadline) {
			w->status = -ETIMEDOUT;
			w->stuck = s->current;
		} else {
			if (w->deadline < *next)
				*next = w->deadline;
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		w->next = ready;
		ready = w;
	}
	return ready;
}

/* The dispatcher thread: tells waiters their result, their deadline or the
 * shutdown, while the collection thread may be stuck in a collector. */
static void *dispatcher_main(void *arg)
{
	struct scrape *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		double next, now = util_mono_now();
		struct scrape_waiter *ready = take_ready_locked(s, now, &next);
		const char *stuck = NULL;
		double ran = now - s->started;

		if (ready) {
			/* Said once per stuck collection, not once per scrape. */
			for (struct scrape_waiter *w = ready; w; w = w->next) {
				if (w->status == -ETIMEDOUT && w->stuck && s->stuck_logged != w->gen) {
					s->stuck_logged = w->gen;
					stuck = w->stuck;
				}
			}
			pthread_mutex_unlock(&s->lock);
			if (stuck)
				log_msg(LOG_WARN, "collector %s still running after %.0f s; waiting "
					"scrapes get 503", stuck, ran);
			while (ready) {
				struct scrape_waiter *w = ready;

				ready = w->next; /* w may be gone once told */
				w->next = NULL;
				w->done(w);
			}
			pthread_mutex_lock(&s->lock);
			continue;
		}
		if (s->closing)
			break;
		if (isinf(next)) {
			pthread_cond_wait(&s->news, &s->lock);
		} else {
			struct timespec until = util_mono_timespec(next);

			pthread_cond_timedwait(&s->news, &s->lock, &until);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int scrape_submit(struct scrape *s, struct scrape_waiter *w)
{
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (s->closing) {
		rc = -ECANCELED;
		goto out;
	}
	/* The running collection, or the next one. */
	w->gen = s->generation + 1;
	w->next = s->waiters;
	s->waiters = w;
	if (!s->running)
		pthread_cond_signal(&s->want);
	pthread_cond_broadcast(&s->news);
out:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void scrape_close(struct scrape *s)
{
	if (!s->threads || s->dispatcher_joined)
		return;
	pthread_mutex_lock(&s->lock);
	s->closing = true;
	pthread_cond_broadcast(&s->news);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->dispatcher, NULL);
	s->dispatcher_joined = true;
}

struct sync_waiter {
	struct scrape_waiter w; /* first */
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool told;
};

static void sync_done(struct scrape_waiter *w)
{
	struct sync_waiter *sw = (struct sync_waiter *)w;

	pthread_mutex_lock(&sw->lock);
	sw->told = true;
	pthread_cond_signal(&sw->done);
	pthread_mutex_unlock(&sw->lock);
}

int scrape_get(struct scrape *s, double timeout, struct scrape_result **out)
{
	struct sync_waiter sw = {.w = {.done = sync_done}};
	int rc;

	*out = NULL;
	pthread_mutex_init(&sw.lock, NULL);
	pthread_cond_init(&sw.done, NULL);
	sw.w.deadline = util_mono_now() + timeout;
	rc = scrape_submit(s, &sw.w);
	if (rc == 0) {
		pthread_mutex_lock(&sw.lock);
		while (!sw.told)
			pthread_cond_wait(&sw.done, &sw.lock);
		pthread_mutex_unlock(&sw.lock);
		rc = sw.w.status;
		*out = sw.w.result;
	}
	pthread_cond_destroy(&sw.done);
	pthread_mutex_destroy(&sw.lock);
	return rc;
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
