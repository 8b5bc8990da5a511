/* procfs/sysctl: sysctls that more than one collector reads, read and parsed in
 * one place so the collectors cannot disagree about them.
 *
 * net.ipv4.ip_local_port_range is read by `limits` (it exports the range) and
 * by `sockets` (the dump split and the ephemeral-port ratio). Each reads it
 * through sysctl_read_port_range() once per scrape: one reader, one parser,
 * the same answer, and no coupling between the two collectors. */
#ifndef NETSTAT_PROCFS_SYSCTL_H
#define NETSTAT_PROCFS_SYSCTL_H

#include <stddef.h>

#include "util/numbers.h"

struct sysctl_port_range {
	unsigned lo, hi; /* 0 <= lo <= hi <= 65535 */
};

/* ip_local_port_range text, as the kernel prints it ("32768\t60999\n"): two
 * decimal integers 0..65535, blanks (spaces, tabs) before, between and after
 * them, at most one newline at the end (a missing one is fine); lo <= hi.
 * Pure. Returns 0, or -EINVAL with err->what saying what was wrong. */
int sysctl_parse_port_range(const char *text, size_t len, struct sysctl_port_range *out,
			    struct parse_error *err);

/* Reads sys/net/ipv4/ip_local_port_range under procfs_fd and parses it.
 * Returns 0, -EINVAL (malformed: err says why), or the reader's error
 * (-ENOENT when the file does not exist). */
int sysctl_read_port_range(int procfs_fd, struct sysctl_port_range *out,
			   struct parse_error *err);

#define SYSCTL_PORT_RANGE_PATH "sys/net/ipv4/ip_local_port_range"

#endif
