#include "procfs/pid_parse.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "util/numbers.h"

int pid_parse_stat(const char *stat, size_t len, struct pid_stat *out)
{
	const char *p = NULL, *end = stat + len;
	uint64_t v[21];

	/* comm (field 2) may hold spaces and parentheses: fields resume after
	 * the last ')'. */
	for (size_t i = len; i > 0 && !p; i--)
		if (stat[i - 1] == ')')
			p = stat + i;
	if (!p)
		return -EINVAL;
	/* Fields 3 .. 24: state, ppid, ..., rss. State is a letter; skip it. */
	while (p < end && *p == ' ')
		p++;
	if (p == end || *p == '\n')
		return -EINVAL;
	p++;
	for (int n = 0; n < 21; n++) {
		size_t used;

		if (p == end || *p != ' ')
			return -EINVAL;
		p++;
		if (p < end && *p == '-') /* a few fields are signed; we read none of those */
			p++;
		if (num_parse_u64_prefix(p, (size_t)(end - p), &v[n], &used) < 0 || used == 0)
			return -EINVAL;
		p += used;
	}
	/* v[0] is field 4 (ppid); field k is v[k - 4]. */
	out->utime_ticks = v[14 - 4];
	out->stime_ticks = v[15 - 4];
	out->starttime_ticks = v[22 - 4];
	out->vsize_bytes = v[23 - 4];
	out->rss_pages = v[24 - 4];
	return 0;
}

int pid_parse_socket_link(const char *link, size_t len, uint32_t *inode)
{
	static const char prefix[] = "socket:[";
	const size_t plen = sizeof(prefix) - 1;
	uint64_t v;

	if (len < plen + 2 || memcmp(link, prefix, plen) != 0 || link[len - 1] != ']' ||
	    num_parse_u64(link + plen, len - plen - 1, &v) < 0 ||
	    v > UINT32_MAX) /* sock_diag reports 32-bit inodes */
		return -EINVAL;
	*inode = (uint32_t)v;
	return 0;
}

int pid_parse_pid(const char *name)
{
	uint64_t v;

	if (name[0] < '1' || name[0] > '9' || num_parse_u64(name, strlen(name), &v) < 0 ||
	    v > INT_MAX)
		return -EINVAL;
	return (int)v;
}

int pid_parse_comm(const char *stat, size_t len, char out[PROC_COMM_MAX + 1])
{
	const char *open = memchr(stat, '(', len);
	const char *close = NULL;
	size_t n;

	/* The last ')' ends it: a comm may itself contain ") ". */
	for (size_t i = len; i > 0; i--)
		if (stat[i - 1] == ')') {
			close = stat + i - 1;
			break;
		}
	if (open == NULL || close == NULL || close < open)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n > PROC_COMM_MAX)
		n = PROC_COMM_MAX;
	memcpy(out, open + 1, n);
	out[n] = '\0';
	pid_clean_name(out);
	return 0;
}

int pid_parse_status_euid(const char *status, size_t len, uint32_t *uid)
{
	const char *p = status, *end = status + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q;
		uint64_t v = 0;
		int field = 0;

		if (eol == NULL)
			eol = end;
		if (eol - p < 4 || memcmp(p, "Uid:", 4) != 0) {
			p = eol + 1;
			continue;
		}
		/* Skip the real uid, read the effective one. */
		for (q = p + 4; q < eol && field < 2; field++) {
			size_t used;

			while (q < eol && (*q == '\t' || *q == ' '))
				q++;
			if (num_parse_u64_prefix(q, (size_t)(eol - q), &v, &used) < 0 || used == 0 ||
			    v > UINT32_MAX)
				return -EINVAL;
			q += used;
			if (q < eol && *q != '\t' && *q != ' ')
				return -EINVAL;
		}
		if (field < 2)
			return -EINVAL;
		*uid = (uint32_t)v;
		return 0;
	}
	return -EINVAL;
}

int pid_parse_status_capeff(const char *status, size_t len, uint64_t *caps)
{
	const char *p = status, *end = status + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q;
		uint64_t v = 0;
		int digits = 0;

		if (eol == NULL)
			eol = end;
		if (eol - p < 7 || memcmp(p, "CapEff:", 7) != 0) {
			p = eol + 1;
			continue;
		}
		for (q = p + 7; q < eol && (*q == '\t' || *q == ' '); q++)
			;
		for (; q < eol; q++, digits++) {
			int d = *q >= '0' && *q <= '9' ? *q - '0' :
				*q >= 'a' && *q <= 'f' ? *q - 'a' + 10 : -1;

			if (d < 0 || digits == 16)
				return -EINVAL;
			v = v << 4 | (uint64_t)d;
		}
		if (digits == 0)
			return -EINVAL;
		*caps = v;
		return 0;
	}
	return -EINVAL;
}

/* Length of the well-formed UTF-8 sequence at s (1-4), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n;
	unsigned min;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void pid_clean_name(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}
