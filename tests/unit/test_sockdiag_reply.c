/* Unit tests for diag_parse: recorded dumps (tests/fixtures/record_diag.sh
 * built the population on this kernel) and hand-built messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>

#include "sockdiag/reply.h"
#include "diag_fixture.h"

#define MAX_SOCKS 64

struct collected {
	struct diag_sock s[MAX_SOCKS];
	size_t n;
	int stop_at; /* return -ECANCELED on this record (1-based); 0: never */
};

static int collect(const struct diag_sock *s, void *arg)
{
	struct collected *c = arg;

	if (c->n < MAX_SOCKS)
		c->s[c->n] = *s;
	c->n++;
	if (c->stop_at != 0 && (int)c->n == c->stop_at)
		return -ECANCELED;
	return 0;
}

/* The batch identity of a recording: its first message's. */
static void batch_of(const uint8_t *buf, uint8_t protocol, struct diag_batch *b)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	memset(b, 0, sizeof(*b));
	b->seq = nlh->nlmsg_seq;
	b->portid = nlh->nlmsg_pid;
	b->protocol = protocol;
}

static const struct diag_sock *find(const struct collected *c, uint8_t kstate, uint16_t sport,
				    uint16_t dport)
{
	for (size_t i = 0; i < c->n && i < MAX_SOCKS; i++)
		if (c->s[i].kstate == kstate && (sport == 0 || c->s[i].sport == sport) &&
		    (dport == 0 || c->s[i].dport == dport))
			return &c->s[i];
	return NULL;
}

static size_t count_state(const struct collected *c, uint8_t kstate)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n && i < MAX_SOCKS; i++)
		n += c->s[i].kstate == kstate;
	return n;
}

static void ipv4_is(const uint8_t *a, const char *want)
{
	char buf[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, a, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_recorded_tcp4(void **state)
{
	struct collected c = {0};
	struct diag_batch b;
	size_t len;
	uint8_t *buf = load("tcp4_all.nl", &len);
	const struct diag_sock *s;

	(void)state;
	batch_of(buf, IPPROTO_TCP, &b);
	assert_int_equal(diag_parse_batch(buf, len, &b, collect, &c), 1);
	assert_int_equal(c.n, 14);
	assert_int_equal(b.sockets, 14);
	assert_false(b.interrupted);
	assert_int_equal(count_state(&c, DIAG_KSTATE_LISTEN), 2);
	assert_int_equal(count_state(&c, DIAG_KSTATE_ESTABLISHED), 5);
	/* Request sockets are dumped under the NEW_SYN_RECV mask bit but
	 * reported as SYN_RECV. */
	assert_int_equal(count_state(&c, DIAG_KSTATE_SYN_RECV), 2);
	assert_int_equal(count_state(&c, DIAG_KSTATE_NEW_SYN_RECV), 0);
	assert_int_equal(count_state(&c, DIAG_KSTATE_SYN_SENT), 2);
	assert_int_equal(count_state(&c, DIAG_KSTATE_TIME_WAIT), 1);
	assert_int_equal(count_state(&c, DIAG_KSTATE_FIN_WAIT2), 1);
	assert_int_equal(count_state(&c, DIAG_KSTATE_CLOSE_WAIT), 1);

	s = find(&c, DIAG_KSTATE_LISTEN, 9090, 0);
	assert_non_null(s);
	assert_int_equal(s->wqueue, 4096); /* the backlog sockpop asked for */
	assert_int_equal(s->rqueue, 0);
	assert_int_equal(s->family, AF_INET);
	assert_int_equal(s->protocol, IPPROTO_TCP);
	assert_true(s->inode != 0);

	s = find(&c, DIAG_KSTATE_TIME_WAIT, 0, 8080);
	assert_non_null(s);
	ipv4_is(s->src, "127.0.0.4");
	ipv4_is(s->dst, "127.0.0.1");
	assert_int_equal(s->inode, 0); /* time-wait sockets have no inode */
	assert_int_equal(s->timer, DIAG_TIMER_TIME_WAIT); /* and the timewait timer */

	s = find(&c, DIAG_KSTATE_SYN_RECV, 9090, 0);
	assert_non_null(s);
	ipv4_is(s->dst, "127.0.0.9");
	assert_int_equal(diag_tcp_state(s->kstate), DIAG_TCP_SYN_RECV);
	free(buf);
}

static void test_recorded_tcp6_mapped(void **state)
{
	struct collected c = {0};
	struct diag_batch b;
	size_t len;
	uint8_t *buf = load("tcp6_all.nl", &len);
	static const uint8_t loop6[16] = {[15] = 1};
	const struct diag_sock *s;

	(void)state;
	batch_of(buf, IPPROTO_TCP, &b);
	assert_int_equal(diag_parse_batch(buf, len, &b, collect, &c), 1);
	assert_int_equal(c.n, 4);
	assert_int_equal(count_state(&c, DIAG_KSTATE_LISTEN), 1);
	assert_int_equal(count_state(&c, DIAG_KSTATE_ESTABLISHED), 3);

	/* The dual-stack listener accepted an IPv4 client: the socket stays
	 * IPv6, its addresses are un-mapped. */
	s = NULL;
	for (size_t i = 0; i < c.n; i++)
		if (c.s[i].sport == 8443 && c.s[i].addr_family == AF_INET)
			s = &c.s[i];
	assert_non_null(s);
	assert_int_equal(s->family, AF_INET6);
	assert_int_equal(s->addr_family, AF_INET);
	ipv4_is(s->src, "127.0.0.1");
	ipv4_is(s->dst, "127.0.0.3");
	assert_memory_equal(s->src + 4, (uint8_t[12]){0}, 12);

	s = find(&c, DIAG_KSTATE_ESTABLISHED, 0, 8443);
	assert_non_null(s);
	assert_int_equal(s->addr_family, AF_INET6);
	assert_memory_equal(s->dst, loop6, 16);
	free(buf);
}

static void test_recorded_udp(void **state)
{
	struct collected c = {0};
	struct diag_batch b;
	size_t len;
	uint8_t *buf = load("udp4_all.nl", &len);
	const struct diag_sock *s;

	(void)state;
	batch_of(buf, IPPROTO_UDP, &b);
	assert_int_equal(diag_parse_batch(buf, len, &b, collect, &c), 1);
	assert_int_equal(c.n, 2);
	s = find(&c, DIAG_KSTATE_CLOSE, 5353, 0);
	assert_non_null(s);
	assert_int_equal(s->dport, 0);
	assert_int_equal(s->protocol, IPPROTO_UDP);
	s = find(&c, DIAG_KSTATE_ESTABLISHED, 0, 53);
	assert_non_null(s);
	free(buf);
}

/* The recording fed in pieces, one message per call, as separate recvs. */
static void test_recorded_piecewise(void **state)
{
	struct collected c = {0};
	struct diag_batch b;
	size_t len, off = 0;
	uint8_t *buf = load("tcp4_all.nl", &len);
	int ret = 0;

	(void)state;
	batch_of(buf, IPPROTO_TCP, &b);
	while (off < len) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(buf + off);
		size_t step = NLMSG_ALIGN(nlh->nlmsg_len);
		assert_int_equal(ret, 0);
		ret = diag_parse_batch(buf + off, step, &b, collect, &c);
		off += step;
	}
	assert_int_equal(ret, 1);
	assert_int_equal(c.n, 14);
	free(buf);
}

static void test_recorded_truncated(void **state)
{
	struct collected c = {0};
	struct diag_batch b;
	size_t len;
	uint8_t *buf = load("tcp4_all.nl", &len);
	const struct nlmsghdr *first = (const struct nlmsghdr *)buf;

	(void)state;
	batch_of(buf, IPPROTO_TCP, &b);
	/* Cut inside the first message: its header claims more than there is. */
	assert_int_equal(diag_parse_batch(buf, first->nlmsg_len - 1, &b, collect, &c), -EBADMSG);
	assert_int_equal(c.n, 0);
	/* Cut inside a header. */
	assert_int_equal(diag_parse_batch(buf, 7, &b, collect, &c), -EBADMSG);
	free(buf);
}

/* ---- hand-built messages ---- */

struct msgbuf {
	uint8_t b[4096];
	size_t len;
};

static struct nlmsghdr *put_hdr(struct msgbuf *m, uint16_t type, uint16_t flags, size_t payload)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(m->b + m->len);

	memset(nlh, 0, NLMSG_ALIGN(NLMSG_LENGTH(payload)));
	nlh->nlmsg_len = NLMSG_LENGTH(payload);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = 7;
	nlh->nlmsg_pid = 99;
	m->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return nlh;
}

static struct inet_diag_msg *put_sock(struct msgbuf *m, uint8_t family, uint8_t state,
				      uint16_t flags)
{
	struct nlmsghdr *nlh = put_hdr(m, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI | flags,
				       sizeof(struct inet_diag_msg));
	struct inet_diag_msg *d = NLMSG_DATA(nlh);

	d->idiag_family = family;
	d->idiag_state = state;
	d->id.idiag_sport = htons(1000 + state);
	d->id.idiag_dport = htons(2000);
	d->idiag_inode = 555;
	return d;
}

static void put_done(struct msgbuf *m, int err)
{
	struct nlmsghdr *nlh = put_hdr(m, NLMSG_DONE, NLM_F_MULTI, sizeof(int));
	memcpy(NLMSG_DATA(nlh), &err, sizeof(err));
}

static void batch_init(struct diag_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->seq = 7;
	b->portid = 99;
	b->protocol = IPPROTO_TCP;
}

static void test_unknown_attributes(void **state)
{
	struct msgbuf m = {0};
	struct collected c = {0};
	struct diag_batch b;
	struct nlmsghdr *nlh;
	struct nlattr *a;

	(void)state;
	put_sock(&m, AF_INET, DIAG_KSTATE_ESTABLISHED, 0);
	nlh = (struct nlmsghdr *)m.b;
	/* Two attributes we never asked for: a known type and an unknown one. */
	a = (struct nlattr *)(m.b + m.len);
	a->nla_len = NLA_HDRLEN + 1;
	a->nla_type = INET_DIAG_SHUTDOWN;
	m.len += NLA_ALIGN(a->nla_len);
	a = (struct nlattr *)(m.b + m.len);
	a->nla_len = NLA_HDRLEN + 12;
	a->nla_type = 250;
	m.len += NLA_ALIGN(a->nla_len);
	nlh->nlmsg_len = (uint32_t)m.len;
	put_done(&m, 0);
	batch_init(&b);
	assert_int_equal(diag_parse_batch(m.b, m.len, &b, collect, &c), 1);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.s[0].sport, 1001);
	assert_int_equal(c.s[0].dport, 2000);
	assert_int_equal(c.s[0].inode, 555);
}

static void test_short_payload(void **state)
{
	struct msgbuf m = {0};
	struct collected c = {0};
	struct diag_batch b;

	(void)state;
	put_hdr(&m, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, sizeof(struct inet_diag_msg) - 4);
	put_done(&m, 0);
	batch_init(&b);
	assert_int_equal(diag_parse_batch(m.b, m.len, &b, collect, &c), -EBADMSG);
	assert_int_equal(c.n, 0);
}

static void test_bad_family(void **state)
{
	struct msgbuf m = {0};
	struct collected c = {0};
	struct diag_batch b;

	(void)state;
	put_sock(&m, AF_UNIX, DIAG_KSTATE_ESTABLISHED, 0);
	batch_init(&b);
	assert_int_equal(diag_parse_batch(m.b, m.len, &b, collect, &c), -EBADMSG);
}

static void test_error_in_done(void **state)
{
	struct msgbuf m = {0};
	struct collected c = {0};
	struct diag_batch b;

	(void)state;
	put_sock(&m, AF_INET, DIAG_KSTATE_ESTABLISHED, 0);
	put_done(&m, -EPERM);
	batch_init(&b);
	assert_int_equal(diag_parse_batch(m.b, m.len, &b, collect, &c), -EPERM);
	assert_int_equal(c.n, 1);
}

static void test_done_without_payload(void **state)
{
	struct msgbuf m = {0};
	struct collected c = {0};
	struct diag_batch b;

	(void)state;
	put_hdr(&m, NLMSG_DONE, NLM_F_MULTI, 0);
	batch_init(&b);
	assert_int_equal(diag_parse_batch(m.b, m.len, &b, collect, &c), 1);
}

static void test_nlmsg_error(void **state)
{
	struct msgbuf m = {0};
	struct collected c = {0};
	struct diag_batch b;
	struct nlmsgerr e = {.error = -ENOENT};

	(void)state;
	memcpy(NLMSG_DATA(put_hdr(&m, NLMSG_ERROR, 0, sizeof(e))), &e, sizeof(e));
	batch_init(&b);
	assert_int_equal(diag_parse_batch(m.b, m.len, &b, collect, &c), -ENOENT);

	/* An acknowledgement (error 0) ends the exchange. */
	m.len = 0;
	e.error = 0;
	memcpy(NLMSG_DATA(put_hdr(&m, NLMSG_ERROR, 0, sizeof(e))), &e, sizeof(e));
	assert_int_equal(diag_parse_batch(m.b, m.len, &b, collect, &c), 1);

	/* Too short to hold struct nlmsgerr. */
	m.len = 0;
	put_hdr(&m, NLMSG_ERROR, 0, 4);
	assert_int_equal(diag_parse_batch(m.b, m.len, &b, collect, &c), -EBADMSG);
}

static void test_interrupted(void **state)
{
	struct msgbuf m = {0};
	struct collected c = {0};
	struct diag_batch b;

	(void)state;
	put_sock(&m, AF_INET, DIAG_KSTATE_ESTABLISHED, 0);
	put_sock(&m, AF_INET, DIAG_KSTATE_TIME_WAIT, NLM_F_DUMP_INTR);
	batch_init(&b);
	assert_int_equal(diag_parse_batch(m.b, m.len, &b, collect, &c), 0);
	assert_true(b.interrupted);
	assert_int_equal(c.n, 2); /* still delivered: the caller decides */
}

static void test_foreign_and_noop_skipped(void **state)
{
	struct msgbuf m = {0};
	struct collected c = {0};
	struct diag_batch b;
	struct nlmsghdr *nlh;

	(void)state;
	put_sock(&m, AF_INET, DIAG_KSTATE_ESTABLISHED, 0);
	nlh = (struct nlmsghdr *)m.b;
	nlh->nlmsg_seq = 6; /* left over from an abandoned dump */
	put_hdr(&m, NLMSG_NOOP, 0, 0);
	put_sock(&m, AF_INET, DIAG_KSTATE_SYN_SENT, 0);
	put_done(&m, 0);
	batch_init(&b);
	assert_int_equal(diag_parse_batch(m.b, m.len, &b, collect, &c), 1);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.s[0].kstate, DIAG_KSTATE_SYN_SENT);
}

static void test_callback_stops(void **state)
{
	struct msgbuf m = {0};
	struct collected c = {.stop_at = 2};
	struct diag_batch b;

	(void)state;
	for (int i = 0; i < 4; i++)
		put_sock(&m, AF_INET, DIAG_KSTATE_ESTABLISHED, 0);
	batch_init(&b);
	assert_int_equal(diag_parse_batch(m.b, m.len, &b, collect, &c), -ECANCELED);
	assert_int_equal(c.n, 2);
}

static void test_mapped_variants(void **state)
{
	static const struct {
		const char *src, *dst;
		uint8_t addr_family;
	} cases[] = {
		{"::ffff:10.0.0.1", "::ffff:192.0.2.7", AF_INET},
		{"::ffff:10.0.0.1", "::", AF_INET},  /* not yet connected */
		{"::", "::ffff:192.0.2.7", AF_INET},
		{"::", "::", AF_INET6},
		{"2001:db8::1", "::ffff:192.0.2.7", AF_INET6}, /* not a mapped pair */
		{"::1", "::1", AF_INET6},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct msgbuf m = {0};
		struct inet_diag_msg *d = put_sock(&m, AF_INET6, DIAG_KSTATE_ESTABLISHED, 0);
		struct diag_sock s;
		uint8_t want[16];

		inet_pton(AF_INET6, cases[i].src, d->id.idiag_src);
		inet_pton(AF_INET6, cases[i].dst, d->id.idiag_dst);
		assert_int_equal(diag_parse_msg((struct nlmsghdr *)m.b, IPPROTO_TCP, &s), 0);
		assert_int_equal(s.family, AF_INET6);
		assert_int_equal(s.addr_family, cases[i].addr_family);
		if (cases[i].addr_family == AF_INET) {
			memcpy(want, (uint8_t *)d->id.idiag_dst + 12, 4);
			assert_memory_equal(s.dst, want, 4);
		} else {
			assert_memory_equal(s.dst, d->id.idiag_dst, 16);
		}
	}
}

static void test_every_state(void **state)
{
	static const struct {
		uint8_t kstate;
		int want;
		const char *name;
	} cases[] = {
		{0, -1, NULL},
		{1, DIAG_TCP_ESTABLISHED, "established"},
		{2, DIAG_TCP_SYN_SENT, "syn_sent"},
		{3, DIAG_TCP_SYN_RECV, "syn_recv"},
		{4, DIAG_TCP_FIN_WAIT1, "fin_wait1"},
		{5, DIAG_TCP_FIN_WAIT2, "fin_wait2"},
		{6, DIAG_TCP_TIME_WAIT, "time_wait"},
		{7, DIAG_TCP_CLOSE, "close"},
		{8, DIAG_TCP_CLOSE_WAIT, "close_wait"},
		{9, DIAG_TCP_LAST_ACK, "last_ack"},
		{10, DIAG_TCP_LISTEN, "listen"},
		{11, DIAG_TCP_CLOSING, "closing"},
		{12, DIAG_TCP_SYN_RECV, "syn_recv"}, /* request sockets */
		{13, -1, NULL},                      /* TCP_BOUND_INACTIVE */
		{255, -1, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct msgbuf m = {0};
		struct diag_sock s;

		put_sock(&m, AF_INET, cases[i].kstate, 0);
		assert_int_equal(diag_parse_msg((struct nlmsghdr *)m.b, IPPROTO_TCP, &s), 0);
		assert_int_equal(s.kstate, cases[i].kstate);
		assert_int_equal(diag_tcp_state(s.kstate), cases[i].want);
		if (cases[i].name)
			assert_string_equal(diag_tcp_state_name(cases[i].want), cases[i].name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_tcp4),
		cmocka_unit_test(test_recorded_tcp6_mapped),
		cmocka_unit_test(test_recorded_udp),
		cmocka_unit_test(test_recorded_piecewise),
		cmocka_unit_test(test_recorded_truncated),
		cmocka_unit_test(test_unknown_attributes),
		cmocka_unit_test(test_short_payload),
		cmocka_unit_test(test_bad_family),
		cmocka_unit_test(test_error_in_done),
		cmocka_unit_test(test_done_without_payload),
		cmocka_unit_test(test_nlmsg_error),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_foreign_and_noop_skipped),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_mapped_variants),
		cmocka_unit_test(test_every_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
