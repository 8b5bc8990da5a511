/* util/numbers: the one home of number and line parsing (unsigned, signed, sysctl lists).
 *
 * Pure: no I/O, no logging, no globals. The parsers built on these report a
 * problem as a negative errno plus a struct parse_error naming the line and
 * what was wrong, and the caller (a collector) decides how to log it. */
#ifndef NETSTAT_UTIL_NUMBERS_H
#define NETSTAT_UTIL_NUMBERS_H

#include <stddef.h>
#include <stdint.h>

struct parse_error {
	size_t line;      /* 1-based line of the problem, 0 when not tied to one */
	const char *what; /* static text, e.g. "non-numeric value" */
};

/* The project's one unsigned decimal parser: the digits at the start of
 * p[0..n), as many as there are. *used gets their count (0 when p does not
 * start with a digit; *out is then 0). Returns 0, or -ERANGE past 2^64-1. */
int num_parse_u64_prefix(const char *p, size_t n, uint64_t *out, size_t *used);

/* Decimal digits only, the whole of p[0..n): 0 .. 2^64-1.
 * Returns 0, or -EINVAL (empty or not a digit) or -ERANGE. */
int num_parse_u64(const char *p, size_t n, uint64_t *out);

/* Like num_parse_u64 with an optional leading '-': -2^63 .. 2^63-1. */
int num_parse_i64(const char *p, size_t n, int64_t *out);

/* A sysctl file: exactly n whitespace-separated signed integers, then one
 * newline and nothing else (ip_local_port_range, tcp_mem, somaxconn...).
 * Returns 0 or -EINVAL with err filled. */
int num_parse_i64_list(const char *text, size_t len, int64_t *out, size_t n,
		   struct parse_error *err);

#endif
