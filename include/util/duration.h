/* util/duration: the project's one duration grammar, Prometheus' (as
 * model.ParseDuration in prometheus/common reads it).
 *
 *   [Ny][Nw][Nd][Nh][Nm][Ns][Nms]   or "0" alone
 *
 * N is decimal digits; each unit at most once and in that order (largest
 * first); y = 365d, w = 7d. Examples: "1m30s", "250ms", "5m", "1d12h", "0".
 * Refused: "", a bare number other than 0, fractions ("1.5s"), signs, spaces,
 * units out of order or repeated ("1s1m", "1s1s"), other units ("10us"), and
 * anything past 2^63-1 ns (about 292 years, Go's time.Duration, as Prometheus).
 * Pure: no I/O, no logging, no globals. */
#ifndef NETSTAT_UTIL_DURATION_H
#define NETSTAT_UTIL_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* The whole of s[0..n) into milliseconds. Returns 0, -EINVAL (not the
 * grammar) or -ERANGE (too long). *ms is written only on success. */
int duration_parse(const char *s, size_t n, uint64_t *ms);

/* The value of a flag documented as SECONDS: a bare number is seconds (that
 * contract predates the grammar); anything else is a duration as above, which
 * must be a whole number of seconds ("1m30s", not "1500ms"). Returns 0,
 * -EINVAL or -ERANGE; *seconds is written only on success. */
int duration_parse_seconds(const char *s, size_t n, uint64_t *seconds);

#endif
