/* log: leveled one-line messages to stderr, logfmt style.
 *
 * The level is set once by main() before any thread starts and only read
 * afterwards.
 *
 * Warnings and errors are rate-limited by their text: a line is said the
 * first time; the very same line (same level and text) again is said at most
 * once every LOG_REPEAT_SECONDS, with repeats=N counting the times it was held
 * back meanwhile. A line that changes (another file, another errno) is a new
 * line and is said at once. The limiter remembers the last LOG_LIMIT_LINES
 * distinct lines, under a lock. */
#ifndef NETSTAT_LOG_H
#define NETSTAT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
	LOG_LEVEL_COUNT
};

#define LOG_REPEAT_SECONDS 600.0
#define LOG_LIMIT_LINES 64

void log_set_level(enum log_level level);
int log_parse_level(const char *s, enum log_level *out); /* 0 or -EINVAL */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Warnings and errors this thread has said (or had held back) so far: a
 * caller compares before and after a call to learn whether it said why it
 * failed. */
unsigned long log_said(void);
/* While on, this thread's warnings and errors go out at debug level: the
 * caller has already said their cause (the scrape, when --path.procfs cannot
 * be opened). */
void log_mute(bool on);

/* The rate limiter, exposed for its tests. */
struct log_limit_entry {
	uint64_t key;
	double last;               /* when it was last said */
	unsigned long suppressed;  /* held back since */
	bool used;
};
struct log_limit {
	struct log_limit_entry e[LOG_LIMIT_LINES];
};
/* Whether the line with this key may be said at time now (seconds); if so,
 * *repeats is how many times it was held back since it was last said. */
bool log_limit_pass(struct log_limit *l, uint64_t key, double now, unsigned long *repeats);

#endif
