/* util/strbuf: a growable byte buffer with a sticky error flag.
 *
 * Appends never fail loudly: after the first allocation failure every later
 * append is a no-op and sb->err stays -ENOMEM, so a writer checks once at the
 * end instead of after every call. The buffer is always NUL-terminated when
 * err == 0 and len > 0 (or buf may be NULL when nothing was appended). */
#ifndef NETSTAT_UTIL_STRBUF_H
#define NETSTAT_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf {
	char *buf;   /* owned; free with sb_fini() or take with sb_steal() */
	size_t len;
	size_t cap;
	int err;     /* 0 or -ENOMEM, sticky */
};

void sb_init(struct strbuf *sb);
void sb_fini(struct strbuf *sb);
void sb_reset(struct strbuf *sb);        /* len = 0, keeps memory, clears err */
void sb_put(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
void sb_put_u64(struct strbuf *sb, uint64_t v);
void sb_put_i64(struct strbuf *sb, int64_t v);
void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Room for n more bytes at buf + len, without changing len; NULL on error.
 * The caller writes there and then adds what it wrote to len. */
char *sb_reserve(struct strbuf *sb, size_t n);
/* Hands the buffer to the caller (who frees it) and re-inits sb. */
char *sb_steal(struct strbuf *sb, size_t *len);

#endif
