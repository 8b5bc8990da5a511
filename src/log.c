#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

static enum log_level min_level = LOG_INFO;

static const char *const level_names[LOG_LEVEL_COUNT] = {
	"debug", "info", "warn", "error",
};

/* The lines said recently, for the rate limit; guarded by limit_lock. */
static struct log_limit recent;
static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;

/* Per thread: see log_said() and log_mute(). */
static _Thread_local unsigned long said;
static _Thread_local bool muted;

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

bool log_limit_pass(struct log_limit *l, uint64_t key, double now, unsigned long *repeats)
{
	struct log_limit_entry *e = NULL, *oldest = &l->e[0];

	for (size_t i = 0; i < LOG_LIMIT_LINES; i++) {
		if (l->e[i].used && l->e[i].key == key) {
			e = &l->e[i];
			break;
		}
		if (!l->e[i].used || (oldest->used && l->e[i].last < oldest->last))
			oldest = &l->e[i];
	}
	*repeats = 0;
	if (e && now - e->last < LOG_REPEAT_SECONDS) {
		e->suppressed++;
		return false;
	}
	if (e) {
		*repeats = e->suppressed;
	} else {
		e = oldest; /* forgets the line said longest ago */
		e->used = true;
		e->key = key;
	}
	e->last = now;
	e->suppressed = 0;
	return true;
}

/* FNV-1a over the level and the text. */
static uint64_t line_key(enum log_level level, const char *msg)
{
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)level;

	for (const char *p = msg; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ULL;
	}
	return h;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char msg[1024], quoted[2048], stamp[32], tail[40] = "";
	size_t q = 0;
	struct timespec ts;
	unsigned long repeats = 0;
	struct tm tm;
	va_list ap;
	bool pass;

	if (level >= LOG_WARN && level < LOG_LEVEL_COUNT) {
		said++;
		if (muted)
			level = LOG_DEBUG;
	}
	if (level < min_level || level >= LOG_LEVEL_COUNT)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (level >= LOG_WARN) {
		double now = util_mono_now();

		pthread_mutex_lock(&limit_lock);
		pass = log_limit_pass(&recent, line_key(level, msg), now, &repeats);
		pthread_mutex_unlock(&limit_lock);
		if (!pass)
			return;
		if (repeats)
			snprintf(tail, sizeof(tail), " repeats=%lu", repeats);
	}
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
	fprintf(stderr, "ts=%s.%03ldZ level=%s msg=\"%s\"%s\n", stamp,
		ts.tv_nsec / 1000000, level_names[level], quoted, tail);
}

unsigned long log_said(void)
{
	return said;
}

void log_mute(bool on)
{
	muted = on;
}
