#include "http/negotiate.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* One element of a comma-separated header list, as [start, end). */
struct span {
	const char *p;
	size_t n;
};

static struct span trim(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	return (struct span){p, (size_t)(end - p)};
}

static bool span_is(struct span s, const char *word)
{
	return s.n == strlen(word) && strncasecmp(s.p, word, s.n) == 0;
}

/* RFC 9110 qvalue: "0", "0.ddd", "1", "1.000". Returns -1 when malformed. */
static int parse_q(struct span v)
{
	int q = 0, digits = 0;

	if (v.n == 0 || v.n > 5 || (v.p[0] != '0' && v.p[0] != '1'))
		return -1;
	q = (v.p[0] - '0') * 1000;
	if (v.n == 1)
		return q;
	if (v.p[1] != '.')
		return -1;
	for (size_t i = 2; i < v.n; i++) {
		if (!isdigit((unsigned char)v.p[i]))
			return -1;
		q += (v.p[i] - '0') * (i == 2 ? 100 : i == 3 ? 10 : 1);
		digits++;
	}
	return q > 1000 ? -1 : q;
}

/* Splits one element into its value and parameters; reports q (in 1/1000)
 * and the version parameter. Returns false when a parameter is malformed. */
static bool parse_element(struct span el, struct span *value, int *q,
			  struct span *version)
{
	const char *end = el.p + el.n;
	const char *semi = memchr(el.p, ';', el.n);

	*q = 1000;
	*version = (struct span){NULL, 0};
	*value = trim(el.p, semi ? semi : end);
	while (semi) {
		const char *p = semi + 1, *eq, *next;
		struct span key, val;

		next = memchr(p, ';', (size_t)(end - p));
		semi = next;
		if (!next)
			next = end;
		eq = memchr(p, '=', (size_t)(next - p));
		if (!eq) {
			if (trim(p, next).n == 0)
				continue; /* tolerate "a/b;" */
			return false;
		}
		key = trim(p, eq);
		val = trim(eq + 1, next);
		if (val.n >= 2 && val.p[0] == '"' && val.p[val.n - 1] == '"')
			val = (struct span){val.p + 1, val.n - 2};
		if (span_is(key, "q")) {
			*q = parse_q(val);
			if (*q < 0)
				return false;
		} else if (span_is(key, "version")) {
			*version = val;
		}
	}
	return true;
}

enum expo_format neg_format(const char *accept)
{
	int q_om = 0, q_text = 0;
	const char *p, *end;

	if (!accept)
		return EXPO_FMT_TEXT;
	end = accept + strlen(accept);
	for (p = accept; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		struct span value, version;
		int q;

		if (parse_element(trim(p, stop), &value, &q, &version)) {
			if (span_is(value, "application/openmetrics-text")) {
				if ((version.n == 0 || span_is(version, "1.0.0")) && q > q_om)
					q_om = q;
			} else if (span_is(value, "text/plain")) {
				if ((version.n == 0 || span_is(version, "0.0.4")) && q > q_text)
					q_text = q;
			} else if (span_is(value, "text/*") || span_is(value, "*/*")) {
				if (q > q_text)
					q_text = q;
			}
		}
		p = stop + 1;
	}
	return q_om > 0 && q_om >= q_text ? EXPO_FMT_OPENMETRICS : EXPO_FMT_TEXT;
}

bool neg_gzip(const char *accept_encoding)
{
	const char *p, *end;
	int q_gzip = -1, q_star = -1;

	if (!accept_encoding)
		return false;
	end = accept_encoding + strlen(accept_encoding);
	for (p = accept_encoding; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		struct span value, version;
		int q;

		if (parse_element(trim(p, stop), &value, &q, &version)) {
			if (span_is(value, "gzip") || span_is(value, "x-gzip"))
				q_gzip = q;
			else if (span_is(value, "*"))
				q_star = q;
		}
		p = stop + 1;
	}
	/* An explicit gzip entry wins over the wildcard. */
	return q_gzip >= 0 ? q_gzip > 0 : q_star > 0;
}

double neg_scrape_timeout(const char *header, double cap)
{
	double v;
	char *end;

	if (!header)
		return cap;
	errno = 0;
	v = strtod(header, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	/* strtod also takes "inf", "nan", hex and exponents: only plain decimals. */
	if (errno || *end || end == header || !(v > 0) || v > 1e6 ||
	    strspn(header, " \t0123456789.") != strlen(header))
		return cap;
	v *= 0.9;
	return v < cap ? v : cap;
}
