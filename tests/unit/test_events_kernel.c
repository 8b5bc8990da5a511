/* events/kernel: what a kernel offers the event layer, read from BTF made
 * here to look like Debian 12's 6.1 and like 6.18 (the tracepoints' arguments
 * and the reason enums each has): which programs load, the values the
 * programs test for, the reason names, and the one line saying what the
 * kernel lacks. */
#include <linux/types.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#ifdef NETSTAT_HAVE_EVENTS
#include <bpf/btf.h>

#include "events/kernel.h"
#include "events/loader.h"

struct tp {
	const char *name;
	int args;
};
struct en {
	const char *name;
	long long value;
};

/* A BTF with the tracepoints' btf_trace_ typedefs and the two enums. */
static struct btf *make_btf(const struct tp *tps, const struct en *drop, const struct en *rst)
{
	struct btf *b = btf__new_empty();
	int i32, ptr;

	assert_non_null(b);
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	ptr = btf__add_ptr(b, i32);
	for (; tps && tps->name; tps++) {
		char name[128];
		int proto = btf__add_func_proto(b, 0);

		assert_true(proto > 0);
		assert_int_equal(btf__add_func_param(b, "__data", ptr), 0);
		for (int a = 0; a < tps->args; a++)
			assert_int_equal(btf__add_func_param(b, "arg", ptr), 0);
		snprintf(name, sizeof(name), "btf_trace_%s", tps->name);
		assert_true(btf__add_typedef(b, name, btf__add_ptr(b, proto)) > 0);
	}
	if (drop) {
		assert_true(btf__add_enum(b, "skb_drop_reason", 4) > 0);
		for (; drop->name; drop++)
			assert_int_equal(btf__add_enum_value(b, drop->name, drop->value), 0);
	}
	if (rst) {
		assert_true(btf__add_enum(b, "sk_rst_reason", 4) > 0);
		for (; rst->name; rst++)
			assert_int_equal(btf__add_enum_value(b, rst->name, rst->value), 0);
	}
	return b;
}

/* Debian 12's 6.1: tcp_send_reset(sk, skb), tcp_retransmit_skb(sk, skb),
 * no enum sk_rst_reason, drop reasons without SKB_CONSUMED and
 * TCP_LISTEN_OVERFLOW (values as there). */
static const struct tp tps61[] = {
	{"inet_sock_set_state", 3}, {"tcp_send_reset", 2}, {"tcp_receive_reset", 1},
	{"tcp_retransmit_skb", 2}, {"tcp_retransmit_synack", 2}, {"kfree_skb", 3}, {NULL, 0},
};
static const struct en drop61[] = {
	{"SKB_NOT_DROPPED_YET", 0}, {"SKB_DROP_REASON_NOT_SPECIFIED", 1},
	{"SKB_DROP_REASON_NO_SOCKET", 2}, {"SKB_DROP_REASON_SOCKET_RCVBUFF", 15},
	{"SKB_DROP_REASON_TCP_CSUM", 4}, {"SKB_DROP_REASON_MAX", 68}, {NULL, 0},
};
/* 6.18: reasons in both. */
static const struct tp tps618[] = {
	{"inet_sock_set_state", 3}, {"tcp_send_reset", 3}, {"tcp_receive_reset", 1},
	{"tcp_retransmit_skb", 3}, {"tcp_retransmit_synack", 2}, {"kfree_skb", 4}, {NULL, 0},
};
static const struct en drop618[] = {
	{"SKB_NOT_DROPPED_YET", 0}, {"SKB_CONSUMED", 1}, {"SKB_DROP_REASON_NOT_SPECIFIED", 2},
	{"SKB_DROP_REASON_NO_SOCKET", 3}, {"SKB_DROP_REASON_TCP_LISTEN_OVERFLOW", 40},
	{"SKB_DROP_REASON_QUEUE_PURGE", 105}, {NULL, 0},
};
static const struct en rst618[] = {
	{"SK_RST_REASON_NOT_SPECIFIED", 0}, {"SK_RST_REASON_NO_SOCKET", 1}, {NULL, 0},
};

#define LACK_RST                                                                                   \
	"tcp_send_reset has no reason (resets_sent: reason=\"unknown\", \"no_socket\" from drops)"
#define LACK_OVERFLOW                                                                              \
	"no drop reason TCP_LISTEN_OVERFLOW: no drops{reason=\"listen_overflow\"} "                 \
	"(TcpExtListenOverflows has them)"

static void read_kernel(struct btf *b, struct events_kernel *k, struct strbuf *lacks)
{
	sb_init(lacks);
	assert_int_equal(events_kernel_read(b, k, lacks), 0);
	assert_int_equal(lacks->err, 0);
	btf__free(b);
}

static void test_debian61(void **state)
{
	struct events_kernel k;
	struct strbuf lacks;

	(void)state;
	read_kernel(make_btf(tps61, drop61, NULL), &k, &lacks);
	for (int p = 0; p < EV_PROG_COUNT; p++)
		assert_true(k.tp[p]);
	assert_false(k.rst_reason);
	assert_false(k.rst_nosk);
	assert_false(k.retransmit_err);
	assert_int_equal(k.consumed, -1);
	assert_int_equal(k.no_socket, 2);
	assert_int_equal(k.listen_overflow, -1);
	assert_int_equal(k.queue_purge, -1);
	assert_int_equal(k.drop.n, 6);
	assert_int_equal(k.rst.n, 0);
	assert_string_equal(events_reasons_name(&k.drop, 2), "no_socket");
	assert_string_equal(events_reasons_name(&k.drop, 15), "socket_rcvbuff");
	assert_string_equal(events_reasons_name(&k.drop, 40), "other");
	assert_string_equal(lacks.buf, LACK_RST "; " LACK_OVERFLOW);
	events_kernel_fini(&k);
	sb_fini(&lacks);
}

static void test_kernel_618(void **state)
{
	struct events_kernel k;
	struct strbuf lacks;

	(void)state;
	read_kernel(make_btf(tps618, drop618, rst618), &k, &lacks);
	assert_true(k.rst_reason);
	assert_true(k.rst_nosk);
	assert_true(k.retransmit_err);
	assert_int_equal(k.consumed, 1);
	assert_int_equal(k.no_socket, 3);
	assert_int_equal(k.listen_overflow, 40);
	assert_int_equal(k.queue_purge, 105);
	assert_string_equal(events_reasons_name(&k.drop, 40), "tcp_listen_overflow");
	assert_string_equal(events_reasons_name(&k.rst, 1), "no_socket");
	assert_int_equal(lacks.len, 0);
	events_kernel_fini(&k);
	sb_fini(&lacks);
}

/* Missing tracepoints and enums: each said once, in the order of the
 * programs. */
static void test_missing(void **state)
{
	static const struct tp tps[] = {
		{"inet_sock_set_state", 3}, {"tcp_send_reset", 3}, {"tcp_receive_reset", 1},
		{"tcp_retransmit_skb", 3}, {"kfree_skb", 3}, {NULL, 0},
	};
	static const struct en drop[] = {{"SKB_DROP_REASON_NOT_SPECIFIED", 1}, {NULL, 0}};
	struct events_kernel k;
	struct strbuf lacks;

	(void)state;
	read_kernel(make_btf(tps, NULL, rst618), &k, &lacks);
	assert_false(k.tp[EV_PROG_SYNACK]);
	assert_true(k.tp[EV_PROG_SYN] && k.tp[EV_PROG_SEED]); /* no tracepoint of theirs */
	assert_string_equal(lacks.buf, "no tracepoint tcp_retransmit_synack; "
				       "no enum skb_drop_reason: no drops, closed_port_syns");
	events_kernel_fini(&k);
	sb_fini(&lacks);

	read_kernel(make_btf(tps61 + 1, drop, NULL), &k, &lacks); /* no inet_sock_set_state */
	assert_false(k.tp[EV_PROG_STATE]);
	assert_string_equal(lacks.buf, "no tracepoint inet_sock_set_state; " LACK_RST
				       "; no drop reason NO_SOCKET: no closed_port_syns; " LACK_OVERFLOW);
	events_kernel_fini(&k);
	sb_fini(&lacks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian61),
		cmocka_unit_test(test_kernel_618),
		cmocka_unit_test(test_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else /* built without the events collector */

static void test_skipped(void **state)
{
	(void)state;
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_skipped)};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
