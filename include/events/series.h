/* events/series: turns readings of the BPF counts map into the bounded,
 * monotonic series the events collector exports. Pure: no I/O.
 *
 * The kernel map holds one cumulative counter per (netns, port, kind,
 * direction, reason); it is an LRU map, so a key may vanish under pressure
 * and come back from 0. Each reading is compared with the previous one and
 * only the increase is added to an exported series, so the exported counters
 * never go down whatever the map does.
 *
 * Ports are bounded as the census bounds them: allowlisted ports always have
 * their own series; up to `top` other ports get theirs, chosen by their event
 * count (census_rank_ports()) and kept once chosen, so a counter never moves
 * between series; events of every other port add to port="other". At most
 * EVENTS_SERIES_MAX series exist; increases that would need one more are
 * counted as dropped.
 *
 * Namespaces go away (a pod is deleted). events_series_forget() drops the
 * series of a namespace that was neither seen nor counting for a while:
 * missed by two readings in a row and for at least a given time, so a
 * namespace that one discovery missed keeps its counts. The previous map
 * reading is kept whatever is dropped, so the kernel's cumulative counters of
 * an inode reused by a new namespace count that namespace's events only, from
 * 0. */
#ifndef NETSTAT_EVENTS_SERIES_H
#define NETSTAT_EVENTS_SERIES_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events/abi.h"

#define EVENTS_SERIES_MAX 16384

/* One counter of the counts map as read. */
struct events_count {
	struct ev_key key;
	uint64_t value;
};

/* One exported series: key.port is meaningless when other is set. */
struct events_serie {
	struct ev_key key; /* key.pad: 1 for port="other" */
	uint64_t value;
};

struct events_series;

/* allow: bitmap of allowlisted ports (copied). NULL on ENOMEM. */
struct events_series *events_series_new(const uint64_t allow[65536 / 64], unsigned top);
void events_series_free(struct events_series *s);

/* Adds one reading of the whole map (n counters; a key read twice counts
 * once). 0 or -ENOMEM. */
int events_series_update(struct events_series *s, const struct events_count *v, size_t n);

/* The series, sorted by kind, netns, direction, port (other last), reason.
 * *out stays valid until the next update or free. */
size_t events_series_list(struct events_series *s, const struct events_serie **out);

/* The namespaces alive at monotonic time now: seen (their inodes, any
 * order; the exporter's own among them), or with an increase in the last
 * events_series_update(). Drops every series of each namespace that was
 * neither in two calls in a row and for at least after seconds. Returns the
 * number of namespaces dropped, or -ENOMEM (nothing dropped). */
int events_series_forget(struct events_series *s, const uint32_t *seen, size_t n, double now,
			 double after);

/* Increases dropped because the series table was full. */
uint64_t events_series_dropped(const struct events_series *s);

static inline bool events_serie_other(const struct events_serie *e)
{
	return e->key.pad != 0;
}

/* The state program's runs the kernel skipped (its recursion check) less
 * those the second state program applied, as a loss count
 * (events_loader_stats()). A skipped run is counted a moment before the
 * second program applies it, so a reading between the two sees a gap that is
 * no loss: a gap counts as lost only when a reading at least
 * EVENTS_GAP_HOLD seconds after one that saw it still sees it (a vCPU the
 * host stops for a while can hold that moment for milliseconds). */
#define EVENTS_GAP_HOLD 1.0
struct events_gap {
	uint64_t gap;  /* skipped less applied at the held reading */
	double at;     /* when it was read (util_mono_now()); 0: none yet */
	uint64_t lost; /* the loss count so far: it never goes down */
};

/* One reading at time now: returns the loss count. */
uint64_t events_gap_lost(struct events_gap *g, uint64_t skipped, uint64_t applied, double now);

#endif
