/* netns/census: the small per-namespace census over hand-built sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "netns/census.h"

static struct diag_sock sock4(uint8_t kstate, uint8_t proto, uint16_t sport, uint16_t dport,
			      uint8_t src_last, uint8_t dst_last)
{
	struct diag_sock s;

	memset(&s, 0, sizeof(s));
	s.family = s.addr_family = AF_INET;
	s.protocol = proto;
	s.kstate = kstate;
	s.sport = sport;
	s.dport = dport;
	s.src[0] = 10; s.src[3] = src_last;
	s.dst[0] = 10; s.dst[3] = dst_last;
	return s;
}

static void test_listeners(void **state)
{
	struct netns_listeners l, o;
	struct diag_sock s = sock4(DIAG_KSTATE_LISTEN, IPPROTO_TCP, 8080, 0, 1, 0);

	(void)state;
	netns_listeners_init(&l);
	netns_listeners_init(&o);
	s.rqueue = 3;
	s.wqueue = 128;
	assert_int_equal(netns_listeners_add(&l, &s), 0);
	s.family = AF_INET6; /* the IPv6 sibling of the same port */
	s.rqueue = 1;
	assert_int_equal(netns_listeners_add(&l, &s), 0);
	s = sock4(DIAG_KSTATE_LISTEN, IPPROTO_TCP, 22, 0, 1, 0);
	s.wqueue = 16;
	assert_int_equal(netns_listeners_add(&l, &s), 0);
	netns_listeners_finish(&l);
	assert_int_equal(l.len, 2);
	assert_int_equal(l.v[0].port, 22);
	assert_int_equal(l.v[1].port, 8080);
	assert_int_equal(l.v[1].sockets, 2);
	assert_true(l.v[1].queue == 4 && l.v[1].backlog == 256);
	assert_true(l.tcp[0] == 2 && l.tcp[1] == 1);

	/* Summing two namespaces for netns="other". */
	assert_int_equal(netns_listeners_merge(&o, &l), 0);
	assert_int_equal(netns_listeners_merge(&o, &l), 0);
	netns_listeners_finish(&o);
	assert_int_equal(o.len, 2);
	assert_true(o.v[1].queue == 8 && o.tcp[0] == 4);

	/* An empty set finishes empty. */
	netns_listeners_reset(&o);
	netns_listeners_finish(&o);
	assert_int_equal(o.len, 0);
	netns_listeners_fini(&l);
	netns_listeners_fini(&o);
}

static void test_census(void **state)
{
	struct netns_listeners l;
	struct netns_scratch sc;
	struct netns_census c;
	struct diag_sock s = sock4(DIAG_KSTATE_LISTEN, IPPROTO_TCP, 8080, 0, 1, 0);

	(void)state;
	netns_listeners_init(&l);
	netns_scratch_init(&sc);
	assert_int_equal(netns_listeners_add(&l, &s), 0);
	netns_listeners_finish(&l);
	netns_census_begin(&c, &sc, &l);
	assert_true(c.tcp[0][DIAG_TCP_LISTEN] == 1);

	/* Inbound (local port 8080 listens): counted, no tuple. */
	for (int i = 0; i < 5; i++) {
		s = sock4(DIAG_KSTATE_ESTABLISHED, IPPROTO_TCP, 8080, (uint16_t)(40000 + i), 1, 2);
		assert_int_equal(netns_census_add(&c, &sc, &s), 0);
	}
	/* Outbound: 3 to 10.0.0.9:443, 2 to 10.0.0.9:80, one TIME_WAIT among them. */
	for (int i = 0; i < 3; i++) {
		s = sock4(i ? DIAG_KSTATE_ESTABLISHED : DIAG_KSTATE_TIME_WAIT, IPPROTO_TCP,
			  (uint16_t)(50000 + i), 443, 1, 9);
		assert_int_equal(netns_census_add(&c, &sc, &s), 0);
	}
	for (int i = 0; i < 2; i++) {
		s = sock4(DIAG_KSTATE_SYN_SENT, IPPROTO_TCP, (uint16_t)(51000 + i), 80, 1, 9);
		assert_int_equal(netns_census_add(&c, &sc, &s), 0);
	}
	/* A request socket counts as syn_recv; LISTEN from a full dump is ignored. */
	s = sock4(DIAG_KSTATE_NEW_SYN_RECV, IPPROTO_TCP, 8080, 40100, 1, 3);
	assert_int_equal(netns_census_add(&c, &sc, &s), 0);
	s = sock4(DIAG_KSTATE_LISTEN, IPPROTO_TCP, 9999, 0, 1, 0);
	assert_int_equal(netns_census_add(&c, &sc, &s), 0);
	/* UDP: one unconnected, one connected (IPv6). */
	s = sock4(DIAG_KSTATE_CLOSE, IPPROTO_UDP, 53, 0, 1, 0);
	assert_int_equal(netns_census_add(&c, &sc, &s), 0);
	s.family = AF_INET6;
	s.dport = 53;
	assert_int_equal(netns_census_add(&c, &sc, &s), 0);

	assert_true(c.tcp[0][DIAG_TCP_ESTABLISHED] == 7);
	assert_true(c.tcp[0][DIAG_TCP_TIME_WAIT] == 1);
	assert_true(c.tcp[0][DIAG_TCP_SYN_SENT] == 2);
	assert_true(c.tcp[0][DIAG_TCP_SYN_RECV] == 1);
	assert_true(c.tcp[0][DIAG_TCP_LISTEN] == 1);
	assert_true(c.udp[0][0] == 1 && c.udp[1][1] == 1);
	assert_int_equal(c.eph_max, 3);
	assert_true(c.untracked == 0);

	/* The next namespace starts from nothing. */
	netns_listeners_reset(&l);
	netns_census_begin(&c, &sc, &l);
	s = sock4(DIAG_KSTATE_ESTABLISHED, IPPROTO_TCP, 8080, 40000, 1, 2);
	assert_int_equal(netns_census_add(&c, &sc, &s), 0);
	assert_int_equal(c.eph_max, 1); /* 8080 does not listen here: outbound */
	netns_scratch_fini(&sc);
	netns_listeners_fini(&l);
}

/* FIN_WAIT2 timewait sockets (idiag_timer 3) are counted apart: live
 * counts keep full sockets only. */
static void test_census_tw_fin_wait2(void **state)
{
	struct netns_listeners l;
	struct netns_scratch sc;
	struct netns_census c;
	struct diag_sock s = sock4(DIAG_KSTATE_FIN_WAIT2, IPPROTO_TCP, 40000, 80, 1, 2);

	(void)state;
	netns_listeners_init(&l);
	netns_scratch_init(&sc);
	netns_census_begin(&c, &sc, &l);
	assert_int_equal(netns_census_add(&c, &sc, &s), 0); /* a program's half-closed socket */
	s.timer = DIAG_TIMER_TIME_WAIT;
	s.sport = 40001;
	assert_int_equal(netns_census_add(&c, &sc, &s), 0); /* an orphan the kernel keeps */
	assert_true(c.tcp[0][DIAG_TCP_FIN_WAIT2] == 2);
	assert_true(c.tw_fin_wait2[0] == 1 && c.tw_fin_wait2[1] == 0);
	netns_scratch_fini(&sc);
	netns_listeners_fini(&l);
}

/* Live counts against a census: the disagreement, then the offsets that
 * make them agree; states live counts do not keep are left alone. */
static void test_live_reconcile(void **state)
{
	struct netns_census c;
	struct ev_live k;
	int64_t off[2][EV_LIVE_STATES];

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&k, 0, sizeof(k));
	memset(off, 0, sizeof(off));
	c.tcp[0][DIAG_TCP_ESTABLISHED] = 10;
	c.tcp[0][DIAG_TCP_FIN_WAIT2] = 3;
	c.tw_fin_wait2[0] = 2;                  /* one full FIN_WAIT2 */
	c.tcp[0][DIAG_TCP_TIME_WAIT] = 50;      /* not kept live: no drift */
	c.tcp[0][DIAG_TCP_SYN_RECV] = 4;        /* nor these */
	c.tcp[1][DIAG_TCP_LISTEN] = 2;
	k.n[0][DIAG_KSTATE_ESTABLISHED] = 10;
	k.n[0][DIAG_KSTATE_FIN_WAIT2] = 1;
	k.n[1][DIAG_KSTATE_LISTEN] = 2;
	assert_true(netns_live_reconcile(&c, &k, off) == 0);

	/* Two sockets the kernel left counted in FIN_WAIT1, one listener
	 * missed: 3 off; afterwards the offsets absorb them. */
	k.n[0][DIAG_KSTATE_FIN_WAIT1] = 2;
	k.n[1][DIAG_KSTATE_LISTEN] = 1;
	assert_true(netns_live_reconcile(&c, &k, off) == 3);
	assert_true(off[0][DIAG_KSTATE_FIN_WAIT1] == -2 && off[1][DIAG_KSTATE_LISTEN] == 1);
	assert_true(netns_live_reconcile(&c, &k, off) == 0);
	/* The kernel's counts move on with the sockets: served = kernel + offset. */
	k.n[0][DIAG_KSTATE_ESTABLISHED] = 12;
	c.tcp[0][DIAG_TCP_ESTABLISHED] = 12;
	assert_true(netns_live_reconcile(&c, &k, off) == 0);
	/* The kernel healing what the offset already corrected shows once. */
	k.n[0][DIAG_KSTATE_FIN_WAIT1] = 0;
	assert_true(netns_live_reconcile(&c, &k, off) == 2);
	assert_true(off[0][DIAG_KSTATE_FIN_WAIT1] == 0);
}

/* TIME_WAIT from sockstat's tw: the census's orphans in FIN_WAIT2 taken
 * off (served with fin_wait2, as many as tw still holds), the rest split as
 * the census's TIME_WAIT sockets were. */
static void test_live_time_wait(void **state)
{
	struct netns_census c;
	uint64_t tw[2], orphans[2];

	(void)state;
	memset(&c, 0, sizeof(c));
	/* No TIME_WAIT in the census: sockstat's inuse decides the family. */
	netns_live_time_wait(&c, 7, 3, 0, tw, orphans);
	assert_true(tw[0] == 7 && tw[1] == 0 && orphans[0] == 0 && orphans[1] == 0);
	netns_live_time_wait(&c, 7, 0, 2, tw, orphans);
	assert_true(tw[0] == 0 && tw[1] == 7);
	netns_live_time_wait(&c, 7, 1, 2, tw, orphans); /* both: IPv4, as the host's sockstat line */
	assert_true(tw[0] == 7 && tw[1] == 0);
	/* Orphans the census saw are FIN-WAIT-2 to ss, not TIME-WAIT. */
	c.tw_fin_wait2[0] = 2;
	c.tw_fin_wait2[1] = 1;
	c.tcp[0][DIAG_TCP_TIME_WAIT] = 30;
	c.tcp[1][DIAG_TCP_TIME_WAIT] = 10;
	netns_live_time_wait(&c, 43, 5, 5, tw, orphans);
	assert_true(tw[0] == 30 && tw[1] == 10 && orphans[0] == 2 && orphans[1] == 1);
	/* More since: split 3:1, rounded. */
	netns_live_time_wait(&c, 105, 5, 5, tw, orphans);
	assert_true(tw[0] == 76 && tw[1] == 26 && orphans[0] == 2 && orphans[1] == 1);
	/* Fewer timewait sockets than the census's orphans (some gone since,
	 * their fin_timeout over): no TIME_WAIT, and only as many orphans as
	 * there are timewait sockets, IPv6's taken off first. The served sum
	 * (fin_wait2's orphans + time_wait) is tw, never the census's. */
	netns_live_time_wait(&c, 2, 5, 5, tw, orphans);
	assert_true(tw[0] == 0 && tw[1] == 0 && orphans[0] == 2 && orphans[1] == 0);
	netns_live_time_wait(&c, 1, 5, 5, tw, orphans);
	assert_true(tw[0] == 0 && tw[1] == 0 && orphans[0] == 1 && orphans[1] == 0);
	netns_live_time_wait(&c, 0, 5, 5, tw, orphans);
	assert_true(tw[0] == 0 && tw[1] == 0 && orphans[0] == 0 && orphans[1] == 0);
	/* As many as the orphans: all orphans, no TIME_WAIT. */
	netns_live_time_wait(&c, 3, 5, 5, tw, orphans);
	assert_true(tw[0] == 0 && tw[1] == 0 && orphans[0] == 2 && orphans[1] == 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listeners),
		cmocka_unit_test(test_census),
		cmocka_unit_test(test_census_tw_fin_wait2),
		cmocka_unit_test(test_live_reconcile),
		cmocka_unit_test(test_live_time_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
