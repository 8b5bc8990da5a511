/* self: the exporter's own process_* metrics and build info.
 *
 * Reads /proc/self (always the real one: --path.procfs may point at a host's
 * or a fixture's procfs). The parsers are pure and tested on their own. */
#ifndef NETSTAT_SELF_H
#define NETSTAT_SELF_H

#include <stdint.h>

#include "expo/expo.h"

struct self_stat {
	uint64_t utime_ticks;
	uint64_t stime_ticks;
	uint64_t starttime_ticks; /* since boot */
	uint64_t vsize_bytes;
	uint64_t rss_pages;
};

/* Parses the contents of /proc/PID/stat. 0 or -EINVAL. */
int self_parse_stat(const char *buf, struct self_stat *out);
/* Finds "btime N" in the contents of /proc/stat. 0 or -EINVAL. */
int self_parse_btime(const char *buf, uint64_t *btime);

/* The process start time in seconds since the epoch (read once: it never
 * changes). 0 or a negative errno. */
int self_start_time(double *out);

/* Adds process_* families and netstat_exporter_build_info; start_time <= 0
 * leaves process_start_time_seconds out. Returns 0 or a negative errno when
 * /proc/self could not be read (families it could fill are still added). */
int self_collect(struct expo *e, double start_time);

#endif
