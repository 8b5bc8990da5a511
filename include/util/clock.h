/* util/clock: the project's one monotonic clock.
 *
 * Seconds since an arbitrary start, as a double: what deadlines, ages and
 * durations are measured with. Code whose policy depends on time takes a
 * clock as an argument (a function pointer of this type) so tests can fake it. */
#ifndef NETSTAT_UTIL_CLOCK_H
#define NETSTAT_UTIL_CLOCK_H

typedef double (*util_clock_fn)(void);

/* CLOCK_MONOTONIC in seconds. */
double util_mono_now(void);

#endif
