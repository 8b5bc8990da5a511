/* events/kernel: what the running kernel offers (see the header). */
#include "events/kernel.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "events/loader.h"

/* Arguments of tracepoint tp in BTF (its btf_trace_ typedef), or -1. */
static int tp_args(const struct btf *btf, const char *tp)
{
	char name[128];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, (__u32)id);
	while (t && (btf_is_typedef(t) || btf_is_ptr(t)))
		t = btf__type_by_id(btf, t->type);
	if (t == NULL || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1; /* the first is the tracepoint's data pointer */
}

/* The names of enum name into r (values out of range left out); the value
 * of each of the n enumerators want[] into value[] (-1: none). 0, -ENOENT
 * (no such enum) or -ENOMEM. */
static int read_enum(const struct btf *btf, const char *name, const char *prefix,
		     struct events_reasons *r, const char *const *want, int64_t **value, int n)
{
	const struct btf_type *t;
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	int rc = 0;

	for (int w = 0; w < n; w++)
		*value[w] = -1;
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, (__u32)id);
	for (int i = 0; i < btf_vlen(t); i++) {
		const struct btf_enum *e = btf_enum(t) + i;
		const char *en = btf__name_by_offset(btf, e->name_off);

		if (en == NULL)
			continue;
		for (int w = 0; w < n; w++)
			if (strcmp(en, want[w]) == 0)
				*value[w] = e->val;
		rc = events_reasons_add(r, en, e->val, prefix);
		if (rc == -ERANGE)
			rc = 0;
		if (rc < 0)
			break;
	}
	return rc;
}

void events_lack(struct strbuf *lacks, const char *fmt, ...)
{
	char item[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	if (lacks->len)
		sb_puts(lacks, "; ");
	sb_puts(lacks, item);
}

int events_kernel_read(const struct btf *btf, struct events_kernel *k, struct strbuf *lacks)
{
	static const char *const drop_want[] = {"SKB_CONSUMED", "SKB_DROP_REASON_NO_SOCKET",
						"SKB_DROP_REASON_TCP_LISTEN_OVERFLOW",
						"SKB_DROP_REASON_QUEUE_PURGE"};
	int64_t *drop_value[] = {&k->consumed, &k->no_socket, &k->listen_overflow,
				 &k->queue_purge};
	enum { NDROP_WANT = sizeof(drop_want) / sizeof(drop_want[0]) };
	int rc = 0;

	_Static_assert(NDROP_WANT == sizeof(drop_value) / sizeof(drop_value[0]),
		       "a value for every wanted reason");
	memset(k, 0, sizeof(*k));
	events_reasons_init(&k->rst);
	events_reasons_init(&k->drop);
	/* Every program but the cgroup and iterator ones is named after its
	 * tracepoint. */
	for (int p = 0; p < EV_PROG_COUNT; p++) {
		k->tp[p] = p == EV_PROG_SYN || p == EV_PROG_SEED || tp_args(btf, events_prog_names[p]) >= 0;
		if (!k->tp[p])
			events_lack(lacks, "no tracepoint %s", events_prog_names[p]);
	}
	k->rst_reason = tp_args(btf, "tcp_send_reset") >= 3;
	k->retransmit_err = tp_args(btf, "tcp_retransmit_skb") >= 3;
	/* Before 6.10 the tracepoint has no reason, and fires only for resets
	 * of a socket (both came with the reason): the loader counts a closed
	 * port's resets from the drops of the segments they answer. */
	k->rst_nosk = k->rst_reason;
	if (k->tp[EV_PROG_RST_SENT] && !k->rst_reason)
		events_lack(lacks, "tcp_send_reset has no reason (resets_sent: reason=\"unknown\", "
			    "\"no_socket\" from drops)");
	if (read_enum(btf, "sk_rst_reason", "SK_RST_REASON_", &k->rst, NULL, NULL, 0) == -ENOMEM ||
	    read_enum(btf, "skb_drop_reason", "SKB_DROP_REASON_", &k->drop, drop_want, drop_value,
		      NDROP_WANT) == -ENOMEM) {
		rc = -ENOMEM;
		goto out;
	}
	if (!k->tp[EV_PROG_DROP])
		goto out; /* said above */
	if (k->drop.n == 0) {
		events_lack(lacks, "no enum skb_drop_reason: no drops, closed_port_syns");
		goto out;
	}
	if (k->no_socket < 0)
		events_lack(lacks, "no drop reason NO_SOCKET: no closed_port_syns");
	if (k->listen_overflow < 0)
		events_lack(lacks, "no drop reason TCP_LISTEN_OVERFLOW: no drops{reason=\"listen_overflow\"} "
			    "(TcpExtListenOverflows has them)");
out:
	return rc;
}

void events_kernel_fini(struct events_kernel *k)
{
	events_reasons_fini(&k->rst);
	events_reasons_fini(&k->drop);
}
