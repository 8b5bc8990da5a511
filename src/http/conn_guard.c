#include "http/conn_guard.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "util/clock.h"

#define WATCH_INTERVAL_SECONDS 0.25

struct conn_entry {
	int fd;
	uint8_t peer[16];  /* client address (IPv4 in the first 4 bytes) */
	unsigned pool;
	bool in_request;   /* headers complete, request not done */
	bool ended;        /* shut down by us */
	double since;      /* start, end of the previous request, or the headers */
	struct conn_entry *prev, *next; /* in start order: the oldest first */
};

struct conn_guard {
	double header_timeout, request_timeout;
	unsigned max_pending;
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t wake;
	struct conn_entry *head, *tail;
	unsigned pending[CONN_GUARD_MAX_POOLS];
	bool stopping;
	pthread_t watchdog;
	struct conn_guard_stats stats;
};

/* Ends a connection; libmicrohttpd notices and closes it. Lock held. */
static void end_locked(struct conn_guard *g, struct conn_entry *e)
{
	if (e->ended)
		return;
	e->ended = true;
	if (!e->in_request)
		g->pending[e->pool]--;
	shutdown(e->fd, SHUT_RDWR);
}

static void *watchdog_main(void *arg)
{
	struct conn_guard *g = arg;
	struct timespec until;

	pthread_mutex_lock(&g->lock);
	while (!g->stopping) {
		double now = util_mono_now();
		uint64_t hdr = g->stats.header_timeouts, req = g->stats.request_timeouts;

		for (struct conn_entry *e = g->head; e; e = e->next) {
			if (e->ended)
				continue;
			if (!e->in_request && now - e->since > g->header_timeout) {
				g->stats.header_timeouts++;
				end_locked(g, e);
			} else if (e->in_request && now - e->since > g->request_timeout) {
				g->stats.request_timeouts++;
				end_locked(g, e);
			}
		}
		if (hdr != g->stats.header_timeouts || req != g->stats.request_timeouts)
			log_msg(LOG_DEBUG, "http: ended %llu connections without headers in %.0f s, "
				"%llu requests not done in %.0f s",
				(unsigned long long)(g->stats.header_timeouts - hdr), g->header_timeout,
				(unsigned long long)(g->stats.request_timeouts - req),
				g->request_timeout);
		until = util_mono_timespec(now + WATCH_INTERVAL_SECONDS);
		pthread_cond_timedwait(&g->wake, &g->lock, &until);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct conn_guard *conn_guard_new(double header_timeout, double request_timeout,
				  unsigned max_pending)
{
	struct conn_guard *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->header_timeout = header_timeout;
	g->request_timeout = request_timeout;
	g->max_pending = max_pending ? max_pending : 1;
	pthread_mutex_init(&g->lock, NULL);
	util_cond_init_mono(&g->wake);
	if (pthread_create(&g->watchdog, NULL, watchdog_main, g)) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	return g;
}

void conn_guard_free(struct conn_guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->watchdog, NULL);
	while (g->head) {
		struct conn_entry *e = g->head;

		g->head = e->next;
		free(e);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

struct conn_entry *conn_guard_started(struct conn_guard *g, unsigned pool, int fd,
				      const struct sockaddr *peer)
{
	struct conn_entry *e;

	if (!g || pool >= CONN_GUARD_MAX_POOLS || !(e = calloc(1, sizeof(*e))))
		return NULL;
	if (peer && peer->sa_family == AF_INET)
		memcpy(e->peer, &((const struct sockaddr_in *)peer)->sin_addr, 4);
	else if (peer && peer->sa_family == AF_INET6)
		memcpy(e->peer, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
	e->fd = fd;
	e->pool = pool;
	e->since = util_mono_now();
	pthread_mutex_lock(&g->lock);
	/* Room for this one among the waiting: end the oldest waiting
	 * connection of the address that has the most of them. */
	while (g->pending[pool] >= g->max_pending) {
		struct conn_entry *victim = NULL;
		unsigned most = 0;

		for (struct conn_entry *o = g->head; o; o = o->next) {
			unsigned n = 0;

			if (o->pool != pool || o->ended || o->in_request)
				continue;
			for (struct conn_entry *q = g->head; q; q = q->next)
				n += q->pool == pool && !q->ended && !q->in_request &&
				     memcmp(q->peer, o->peer, sizeof(o->peer)) == 0;
			if (n > most) { /* strictly more: the oldest of that address */
				most = n;
				victim = o;
			}
		}
		if (!victim)
			break;
		g->stats.evicted++;
		end_locked(g, victim);
	}
	e->prev = g->tail;
	if (g->tail)
		g->tail->next = e;
	else
		g->head = e;
	g->tail = e;
	g->pending[pool]++;
	pthread_mutex_unlock(&g->lock);
	return e;
}

void conn_guard_headers(struct conn_guard *g, struct conn_entry *e)
{
	if (!g || !e)
		return;
	pthread_mutex_lock(&g->lock);
	if (!e->in_request && !e->ended) {
		e->in_request = true;
		e->since = util_mono_now();
		g->pending[e->pool]--;
	}
	pthread_mutex_unlock(&g->lock);
}

void conn_guard_request_done(struct conn_guard *g, struct conn_entry *e)
{
	if (!g || !e)
		return;
	pthread_mutex_lock(&g->lock);
	if (e->in_request && !e->ended) {
		e->in_request = false;
		e->since = util_mono_now();
		g->pending[e->pool]++;
	}
	pthread_mutex_unlock(&g->lock);
}

void conn_guard_closed(struct conn_guard *g, struct conn_entry *e)
{
	if (!g || !e)
		return;
	pthread_mutex_lock(&g->lock);
	if (!e->ended && !e->in_request)
		g->pending[e->pool]--;
	if (e->prev)
		e->prev->next = e->next;
	else
		g->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		g->tail = e->prev;
	pthread_mutex_unlock(&g->lock);
	free(e);
}

void conn_guard_get_stats(struct conn_guard *g, struct conn_guard_stats *st)
{
	pthread_mutex_lock(&g->lock);
	*st = g->stats;
	pthread_mutex_unlock(&g->lock);
}
