/* events/reasons: the names of the kernel's reason enums (enum sk_rst_reason,
 * enum skb_drop_reason) as label values, read from the running kernel's BTF
 * at start, so a newer kernel's reasons appear without a rebuild.
 *
 * A name is the enumerator without the enum's prefix, in lower case, and
 * without a protocol prefix the family already says:
 * SKB_DROP_REASON_TCP_LISTEN_OVERFLOW in netstat_tcp_drops_total is
 * "listen_overflow". */
#ifndef NETSTAT_EVENTS_REASONS_H
#define NETSTAT_EVENTS_REASONS_H

#include <stddef.h>
#include <stdint.h>

#define EVENTS_REASONS_MAX 1024 /* enumerator values at or above: "other" */

/* One enum's names by value; owned. */
struct events_reasons {
	char *name[EVENTS_REASONS_MAX]; /* NULL: no such value */
	unsigned n;                     /* enumerators read */
};

void events_reasons_init(struct events_reasons *r);
void events_reasons_fini(struct events_reasons *r);
/* Adds enumerator kname = value: 0, -ENOMEM, or -ERANGE (value too large,
 * left out). Names not starting with prefix are kept whole (lowercased). */
int events_reasons_add(struct events_reasons *r, const char *kname, int64_t value,
		       const char *prefix);
/* The label of value: its name, or "other" for a value with none. */
const char *events_reasons_name(const struct events_reasons *r, unsigned value);

/* Pure: the label of kname in out (len > 0): strip prefix, lowercase. */
void events_reason_label(const char *kname, const char *prefix, char *out, size_t len);
/* Pure: label without proto_prefix ("tcp_") when it starts with it; a
 * pointer into label. */
const char *events_reason_strip(const char *label, const char *proto_prefix);

#endif
