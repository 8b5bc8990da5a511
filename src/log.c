#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;

static const char *const level_names[LOG_LEVEL_COUNT] = {
	"debug", "info", "warn", "error",
};

void log_set_level(enum log_level level)
{
	min_level = level;
}

int log_parse_level(const char *s, enum log_level *out)
{
	for (int i = 0; i < LOG_LEVEL_COUNT; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char msg[1024], quoted[2048], stamp[32];
	size_t q = 0;
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level < min_level || level >= LOG_LEVEL_COUNT)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* logfmt: the message is one quoted value on one line. */
	for (const char *p = msg; *p && q + 2 < sizeof(quoted); p++) {
		if (*p == '"' || *p == '\\')
			quoted[q++] = '\\';
		if (*p == '\n') {
			quoted[q++] = '\\';
			quoted[q++] = 'n';
			continue;
		}
		quoted[q++] = *p;
	}
	quoted[q] = '\0';
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One fprintf call so lines from two threads do not interleave. */
	fprintf(stderr, "ts=%s.%03ldZ level=%s msg=\"%s\"\n", stamp,
		ts.tv_nsec / 1000000, level_names[level], quoted);
}
