/* self: the exporter's own process_* metrics and build info.
 *
 * Reads /proc/self (always the real one: --path.procfs may point at a host's
 * or a fixture's procfs). /proc/self/stat is parsed by pid_parse_stat()
 * (procfs/pid_parse.h), the owner cache's parser for every /proc/PID/stat. */
#ifndef NETSTAT_SELF_H
#define NETSTAT_SELF_H

#include <stdint.h>

#include "expo/expo.h"

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
