/* log: leveled one-line messages to stderr, logfmt style.
 *
 * The level is set once by main() before any thread starts and only read
 * afterwards; it is the one piece of process-wide state we keep. */
#ifndef NETSTAT_LOG_H
#define NETSTAT_LOG_H

enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
	LOG_LEVEL_COUNT
};

void log_set_level(enum log_level level);
int log_parse_level(const char *s, enum log_level *out); /* 0 or -EINVAL */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
