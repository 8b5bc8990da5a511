/* events/reasons: reason enum names as label values (see the header). */
#include "events/reasons.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void events_reasons_init(struct events_reasons *r)
{
	memset(r, 0, sizeof(*r));
}

void events_reasons_fini(struct events_reasons *r)
{
	for (unsigned i = 0; i < EVENTS_REASONS_MAX; i++)
		free(r->name[i]);
	memset(r, 0, sizeof(*r));
}

void events_reason_label(const char *kname, const char *prefix, char *out, size_t len)
{
	size_t plen = strlen(prefix), i = 0;

	if (strncmp(kname, prefix, plen) == 0 && kname[plen] != '\0')
		kname += plen;
	for (; kname[i] != '\0' && i + 1 < len; i++)
		out[i] = (char)tolower((unsigned char)kname[i]);
	out[i] = '\0';
}

const char *events_reason_strip(const char *label, const char *proto_prefix)
{
	size_t n = strlen(proto_prefix);

	if (strncmp(label, proto_prefix, n) == 0 && label[n] != '\0')
		return label + n;
	return label;
}

int events_reasons_add(struct events_reasons *r, const char *kname, int64_t value,
		       const char *prefix)
{
	char buf[128];
	char *dup;

	if (value < 0 || value >= EVENTS_REASONS_MAX)
		return -ERANGE;
	events_reason_label(kname, prefix, buf, sizeof(buf));
	dup = strdup(buf);
	if (dup == NULL)
		return -ENOMEM;
	free(r->name[value]);
	r->name[value] = dup;
	r->n++;
	return 0;
}

const char *events_reasons_name(const struct events_reasons *r, unsigned value)
{
	if (value < EVENTS_REASONS_MAX && r->name[value])
		return r->name[value];
	return "other";
}
