/* util/numbers: the one home of number and line parsing (unsigned, signed, sysctl lists). */
#include <errno.h>
#include <string.h>

#include "util/numbers.h"

int num_parse_u64_prefix(const char *p, size_t n, uint64_t *out, size_t *used)
{
	uint64_t v = 0;
	size_t i = 0;
	int rc = 0;

	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (v > (UINT64_MAX - d) / 10) {
			rc = -ERANGE;
			break;
		}
		v = v * 10 + d;
	}
	*out = v;
	*used = i;
	return rc;
}

int num_parse_u64(const char *p, size_t n, uint64_t *out)
{
	uint64_t v;
	size_t used;
	int rc = num_parse_u64_prefix(p, n, &v, &used);

	if (rc == 0 && (n == 0 || used != n))
		rc = -EINVAL;
	if (rc == 0)
		*out = v;
	return rc;
}

int num_parse_i64(const char *p, size_t n, int64_t *out)
{
	uint64_t mag;
	int neg = n > 0 && p[0] == '-';
	int rc = num_parse_u64(p + neg, n - (size_t)neg, &mag);

	if (rc < 0)
		return rc;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		/* -(2^63) has no positive int64 twin: negate in unsigned. */
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return -ERANGE;
		*out = (int64_t)mag;
	}
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int num_parse_i64_list(const char *text, size_t len, int64_t *out, size_t n,
		   struct parse_error *err)
{
	size_t i = 0, got = 0;
	int rc = -EINVAL;

	err->line = 1;
	if (len == 0 || text[len - 1] != '\n') {
		err->what = len == 0 ? "empty file" : "truncated line (no newline at end)";
		goto out;
	}
	len--; /* the final newline */
	if (memchr(text, '\n', len)) {
		err->what = "more than one line";
		goto out;
	}
	for (;;) {
		size_t start;
		int nrc;

		while (i < len && is_blank(text[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_blank(text[i]))
			i++;
		if (got == n) {
			err->what = "more values than expected";
			goto out;
		}
		nrc = num_parse_i64(text + start, i - start, &out[got]);
		if (nrc < 0) {
			err->what = nrc == -ERANGE ? "value out of range" : "non-numeric value";
			goto out;
		}
		got++;
	}
	if (got != n) {
		err->what = "fewer values than expected";
		goto out;
	}
	rc = 0;
out:
	return rc;
}
