/* util/clock: the project's one monotonic clock.
 *
 * Seconds since an arbitrary start, as a double: what deadlines, ages and
 * durations are measured with. Code whose policy depends on time takes a
 * clock as an argument (a function pointer of this type) so tests can fake it.
 * Timed waits on a condition variable use the same clock: make the variable
 * with util_cond_init_mono() and give pthread_cond_timedwait() the deadline
 * as util_mono_timespec(util_mono_now() + seconds). */
#ifndef NETSTAT_UTIL_CLOCK_H
#define NETSTAT_UTIL_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

typedef double (*util_clock_fn)(void);

/* CLOCK_MONOTONIC in seconds. */
double util_mono_now(void);

/* CLOCK_MONOTONIC in whole milliseconds (the owners cache counts in them). */
uint64_t util_mono_ms(void);

/* The monotonic time t (seconds, as util_mono_now() counts them) as the
 * absolute timespec pthread_cond_timedwait() wants. t < 0 gives 0. */
struct timespec util_mono_timespec(double t);

/* pthread_cond_init() for a condition variable whose timed waits run on
 * CLOCK_MONOTONIC (not the wall clock, which can jump). 0 or a positive
 * errno, as pthread's. */
int util_cond_init_mono(pthread_cond_t *c);

#endif
