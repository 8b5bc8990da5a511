/* util/duration: the one duration grammar (Prometheus'). */
#include "util/duration.h"

#include <errno.h>

#include "util/numbers.h"

#define MS_PER_DAY (24ull * 3600 * 1000)
/* Prometheus' limit is a time.Duration: 2^63-1 ns, in whole milliseconds. */
#define MAX_MS ((uint64_t)INT64_MAX / 1000000)

/* Largest first: a unit must come after every unit before it. */
static const struct {
	const char *name;
	uint64_t ms;
} units[] = {
	{"y", 365 * MS_PER_DAY}, {"w", 7 * MS_PER_DAY}, {"d", MS_PER_DAY}, {"h", 3600000},
	{"m", 60000},            {"s", 1000},           {"ms", 1},
};

#define NUNITS (sizeof(units) / sizeof(units[0]))

/* The unit named by s[0..n), or NUNITS. */
static size_t unit_of(const char *s, size_t n)
{
	for (size_t u = 0; u < NUNITS; u++) {
		const char *name = units[u].name;
		size_t k = 0;

		while (k < n && name[k] != '\0' && name[k] == s[k])
			k++;
		if (k == n && name[k] == '\0')
			return u;
	}
	return NUNITS;
}

int duration_parse(const char *s, size_t n, uint64_t *ms)
{
	uint64_t total = 0;
	size_t i = 0, next_unit = 0; /* units before next_unit are used up */
	int rc = -EINVAL;

	if (n == 1 && s[0] == '0') {
		*ms = 0;
		return 0;
	}
	if (n == 0)
		goto out;
	while (i < n) {
		uint64_t v;
		size_t used, start, u;

		rc = num_parse_u64_prefix(s + i, n - i, &v, &used);
		if (rc < 0)
			goto out;
		rc = -EINVAL;
		if (used == 0)
			goto out;
		i += used;
		/* The unit is every non-digit up to the next number. */
		for (start = i; i < n && (s[i] < '0' || s[i] > '9'); i++)
			;
		u = unit_of(s + start, i - start);
		if (u == NUNITS || u < next_unit)
			goto out;
		next_unit = u + 1;
		if (v > MAX_MS / units[u].ms || total + v * units[u].ms > MAX_MS) {
			rc = -ERANGE;
			goto out;
		}
		total += v * units[u].ms;
	}
	*ms = total;
	rc = 0;
out:
	return rc;
}

int duration_parse_seconds(const char *s, size_t n, uint64_t *seconds)
{
	uint64_t ms;
	int rc = num_parse_u64(s, n, seconds);

	if (rc != -EINVAL) /* a bare number: 0, or -ERANGE */
		return rc;
	rc = duration_parse(s, n, &ms);
	if (rc == 0 && ms % 1000 != 0)
		rc = -EINVAL;
	if (rc == 0)
		*seconds = ms / 1000;
	return rc;
}
