/* Unit tests for the reply attributes diag_parse reads: INET_DIAG_INFO
 * (struct tcp_info) and INET_DIAG_SKMEMINFO. Recorded dumps
 * (tests/fixtures/record_diag_ext.sh built the population on this kernel),
 * and the same messages cut to what older kernels sent. */
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

#define MAX_SOCKS 16

struct collected {
	struct diag_sock s[MAX_SOCKS];
	size_t n;
};

static int collect(const struct diag_sock *s, void *arg)
{
	struct collected *c = arg;

	if (c->n < MAX_SOCKS)
		c->s[c->n] = *s;
	c->n++;
	return 0;
}

static void parse_all(const uint8_t *buf, size_t len, uint8_t protocol, struct collected *c)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	struct diag_batch b = {.seq = nlh->nlmsg_seq, .portid = nlh->nlmsg_pid, .protocol = protocol};

	assert_int_equal(diag_parse_batch(buf, len, &b, collect, c), 1);
}

static size_t count(const struct collected *c, uint16_t sport, uint16_t dport)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n && i < MAX_SOCKS; i++)
		n += (sport == 0 || c->s[i].sport == sport) && (dport == 0 || c->s[i].dport == dport);
	return n;
}

/* Port 7000: the server never reads, so each of its sockets holds in its
 * receive queue exactly the bytes it received; the senders are stuck behind
 * a full window. Port 7001: 1 in 10 data segments dropped. */
static void test_recorded_tcp_info(void **state)
{
	struct collected c = {0};
	size_t len;
	uint8_t *buf = load("tcp4_info.nl", &len);

	(void)state;
	parse_all(buf, len, IPPROTO_TCP, &c);
	assert_int_equal(c.n, 6);
	assert_int_equal(count(&c, 7000, 0), 2);
	assert_int_equal(count(&c, 0, 7000), 2);
	assert_int_equal(count(&c, 7001, 0), 1);
	assert_int_equal(count(&c, 0, 7001), 1);
	for (size_t i = 0; i < c.n; i++) {
		const struct diag_sock *s = &c.s[i];

		assert_int_equal(s->kstate, DIAG_KSTATE_ESTABLISHED);
		/* This kernel's tcp_info covers every group; SKMEMINFO has drops. */
		assert_int_equal(s->have, DIAG_HAVE_TCP_INFO | DIAG_HAVE_TCP_BYTES | DIAG_HAVE_DROPS);
		/* Loopback: a smoothed RTT above 0 and well under 250 ms. */
		assert_true(s->info.rtt_us > 0 && s->info.rtt_us < 250000);
		if (s->sport == 7000) {
			assert_true(s->rqueue > 0);
			assert_int_equal(s->info.bytes_received, s->rqueue);
			assert_int_equal(s->info.bytes_acked, 0); /* it sent nothing */
		} else if (s->dport == 7000) {
			assert_int_equal(s->rqueue, 0);
			assert_true(s->wqueue > 0);
			assert_true(s->info.bytes_acked > 1);
		} else if (s->dport == 7001) {
			assert_true(s->info.total_retrans > 0);
			assert_true(s->info.bytes_acked > 1000000);
		} else {
			assert_int_equal(s->sport, 7001);
			assert_true(s->info.bytes_received > 1000000);
		}
	}
	free(buf);
}

/* UDP 5300: 50 datagrams into a 2 KiB buffer that is never read. */
static void test_recorded_udp_drops(void **state)
{
	struct collected c = {0};
	size_t len;
	uint8_t *buf = load("udp4_mem.nl", &len);

	(void)state;
	parse_all(buf, len, IPPROTO_UDP, &c);
	assert_int_equal(c.n, 2);
	for (size_t i = 0; i < c.n; i++) {
		const struct diag_sock *s = &c.s[i];

		/* UDP gets no tcp_info, only the memory attribute. */
		assert_int_equal(s->have, DIAG_HAVE_DROPS);
		if (s->sport == 5300) {
			assert_true(s->rqueue > 0);
			/* Queued datagrams take at least their 200 bytes each. */
			assert_true(s->drops >= 50 - s->rqueue / 200 && s->drops < 50);
		} else {
			assert_int_equal(s->drops, 0);
			assert_int_equal(s->rqueue, 0);
		}
	}
	free(buf);
}

/* ---- the recorded messages as older kernels sent them ---- */

/* Copies message nlh with only attribute `type` kept, its payload cut to
 * `keep` bytes (at most what it had), into out. Returns the new length. */
static size_t with_attr(const struct nlmsghdr *nlh, uint16_t type, size_t keep, uint8_t *out)
{
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct inet_diag_msg)));
	const uint8_t *p = (const uint8_t *)nlh + off;
	size_t left = nlh->nlmsg_len - off, len = off;
	struct nlmsghdr *h = (struct nlmsghdr *)out;

	memset(out, 0, off + NLA_HDRLEN + 512);
	memcpy(out, nlh, off);
	while (left >= NLA_HDRLEN) {
		struct nlattr a;
		memcpy(&a, p, sizeof(a));
		assert_true(a.nla_len >= NLA_HDRLEN && a.nla_len <= left);
		if ((a.nla_type & NLA_TYPE_MASK) == type) {
			size_t plen = a.nla_len - NLA_HDRLEN;
			a.nla_len = (uint16_t)(NLA_HDRLEN + (keep < plen ? keep : plen));
			memcpy(out + len, &a, sizeof(a));
			memcpy(out + len + NLA_HDRLEN, p + NLA_HDRLEN, a.nla_len - NLA_HDRLEN);
			len += NLA_ALIGN(a.nla_len);
			break;
		}
		if ((size_t)NLA_ALIGN(a.nla_len) >= left)
			break;
		left -= NLA_ALIGN(a.nla_len);
		p += NLA_ALIGN(a.nla_len);
	}
	assert_true(len > off); /* the attribute was there */
	h->nlmsg_len = (uint32_t)len;
	return len;
}

/* The first message of a recording. */
static const struct nlmsghdr *first(const uint8_t *buf)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	assert_int_equal(nlh->nlmsg_type, SOCK_DIAG_BY_FAMILY);
	return nlh;
}

static void test_short_tcp_info(void **state)
{
	/* tcp_info lengths over the years: 104 bytes (2.6 .. 3.14), 120 (3.15
	 * pacing rates), 136 (4.1 bytes acked/received), 192 (4.x), today's.
	 * Shorter than 104 is no kernel's; we take nothing from it. */
	static const struct {
		size_t keep;
		uint32_t have;
	} cases[] = {
		{0, 0}, {60, 0}, {103, 0}, {104, DIAG_HAVE_TCP_INFO}, {120, DIAG_HAVE_TCP_INFO},
		{135, DIAG_HAVE_TCP_INFO}, {136, DIAG_HAVE_TCP_INFO | DIAG_HAVE_TCP_BYTES},
		{192, DIAG_HAVE_TCP_INFO | DIAG_HAVE_TCP_BYTES},
		{4096, DIAG_HAVE_TCP_INFO | DIAG_HAVE_TCP_BYTES},
	};
	size_t len;
	uint8_t *buf = load("tcp4_info.nl", &len);
	struct diag_sock full, s;
	uint8_t out[2048];

	(void)state;
	assert_int_equal(diag_parse_msg(first(buf), IPPROTO_TCP, &full), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		with_attr(first(buf), INET_DIAG_INFO, cases[i].keep, out);
		assert_int_equal(diag_parse_msg((struct nlmsghdr *)out, IPPROTO_TCP, &s), 0);
		assert_int_equal(s.have, cases[i].have);
		assert_int_equal(s.sport, full.sport);
		if (s.have & DIAG_HAVE_TCP_INFO) {
			assert_int_equal(s.info.rtt_us, full.info.rtt_us);
			assert_int_equal(s.info.total_retrans, full.info.total_retrans);
			assert_int_equal(s.info.ca_state, full.info.ca_state);
		} else {
			assert_int_equal(s.info.rtt_us, 0);
		}
		if (s.have & DIAG_HAVE_TCP_BYTES)
			assert_true(s.info.bytes_acked == full.info.bytes_acked &&
				    s.info.bytes_received == full.info.bytes_received);
		else
			assert_true(s.info.bytes_acked == 0 && s.info.bytes_received == 0);
	}
	free(buf);
}

static void test_short_meminfo(void **state)
{
	/* SK_MEMINFO_DROPS is entry 8: 36 bytes (Linux 4.7); 32 before. */
	size_t len;
	uint8_t *buf = load("udp4_mem.nl", &len);
	const struct nlmsghdr *nlh = first(buf);
	struct diag_sock full, s;
	uint8_t out[1024];

	(void)state;
	assert_int_equal(diag_parse_msg(nlh, IPPROTO_UDP, &full), 0);
	with_attr(nlh, INET_DIAG_SKMEMINFO, 32, out);
	assert_int_equal(diag_parse_msg((struct nlmsghdr *)out, IPPROTO_UDP, &s), 0);
	assert_int_equal(s.have, 0);
	assert_int_equal(s.drops, 0);
	with_attr(nlh, INET_DIAG_SKMEMINFO, 36, out);
	assert_int_equal(diag_parse_msg((struct nlmsghdr *)out, IPPROTO_UDP, &s), 0);
	assert_int_equal(s.have, DIAG_HAVE_DROPS);
	assert_int_equal(s.drops, full.drops);
	/* A tcp_info attribute on a UDP socket would be garbage: ignored. */
	free(buf);
	buf = load("tcp4_info.nl", &len);
	with_attr(first(buf), INET_DIAG_INFO, 4096, out);
	assert_int_equal(diag_parse_msg((struct nlmsghdr *)out, IPPROTO_UDP, &s), 0);
	assert_int_equal(s.have, 0);
	free(buf);
}

/* Broken attribute framing is an error, never a read past the message. */
static void test_malformed_attributes(void **state)
{
	size_t len, mlen;
	uint8_t *buf = load("tcp4_info.nl", &len);
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct inet_diag_msg)));
	uint8_t out[2048];
	struct nlmsghdr *h = (struct nlmsghdr *)out;
	struct nlattr a;
	struct diag_sock s;

	(void)state;
	mlen = with_attr(first(buf), INET_DIAG_INFO, 4096, out);
	/* The attribute claims more than the message holds. */
	memcpy(&a, out + off, sizeof(a));
	a.nla_len = (uint16_t)(mlen - off + 4);
	memcpy(out + off, &a, sizeof(a));
	assert_int_equal(diag_parse_msg(h, IPPROTO_TCP, &s), -EBADMSG);
	/* An attribute shorter than its own header. */
	a.nla_len = 2;
	memcpy(out + off, &a, sizeof(a));
	assert_int_equal(diag_parse_msg(h, IPPROTO_TCP, &s), -EBADMSG);
	/* A header cut short after the last attribute. */
	mlen = with_attr(first(buf), INET_DIAG_INFO, 4096, out);
	h->nlmsg_len = (uint32_t)(mlen + 2);
	assert_int_equal(diag_parse_msg(h, IPPROTO_TCP, &s), -EBADMSG);
	/* The message cut inside the attribute: the header no longer fits. */
	h->nlmsg_len = (uint32_t)(off + 40);
	assert_int_equal(diag_parse_msg(h, IPPROTO_TCP, &s), -EBADMSG);
	/* Exactly the socket record, no attributes: nothing set. */
	h->nlmsg_len = (uint32_t)off;
	assert_int_equal(diag_parse_msg(h, IPPROTO_TCP, &s), 0);
	assert_int_equal(s.have, 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_tcp_info),
		cmocka_unit_test(test_recorded_udp_drops),
		cmocka_unit_test(test_short_tcp_info),
		cmocka_unit_test(test_short_meminfo),
		cmocka_unit_test(test_malformed_attributes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
