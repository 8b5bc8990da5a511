/* owners/tally: per-process counts of the host's dump and of other network
 * namespaces' dumps (netns label), over an owners cache of a fixture /proc
 * tree built in a temp dir, rendered and compared line by line. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "expo/expo.h"
#include "owners/listen_map.h"
#include "owners/cache.h"
#include "owners/tally.h"
#include "fixture_tree.h"

static const struct expo_desc desc[TALLY_METRIC_COUNT] = {
	[TALLY_METRIC_PROCESS_SOCKETS] = {"netstat_process_sockets", EXPO_GAUGE, "s"},
	[TALLY_METRIC_LISTENER] = {"netstat_listener", EXPO_INFO, "l"},
	[TALLY_METRIC_UNATTRIBUTED_SOCKETS] = {"netstat_unattributed_sockets", EXPO_GAUGE, "u"},
};

static struct fixture_tree tree;

/* Start time = pid: the lower pid is the older process. */
static void add_proc(int pid, const char *comm, const uint32_t *inodes, size_t n)
{
	ftree_proc(&tree, pid, comm, (unsigned long long)pid, inodes, n);
}

static struct diag_sock sk(uint8_t kstate, uint16_t sport, uint32_t inode)
{
	struct diag_sock s;

	memset(&s, 0, sizeof(s));
	s.family = s.addr_family = AF_INET;
	s.protocol = IPPROTO_TCP;
	s.kstate = kstate;
	s.sport = sport;
	s.dport = kstate == DIAG_KSTATE_LISTEN ? 0 : 40000;
	s.src[0] = 127;
	s.src[3] = 1;
	s.inode = inode;
	return s;
}

static void render(struct expo *e, struct strbuf *out)
{
	sb_reset(out);
	assert_int_equal(expo_render(e, EXPO_FMT_TEXT, out), 0);
	sb_putc(out, '\0');
}

static void test_netns_section(void **state)
{
	static const uint32_t host_socks[] = {100, 101};
	static const uint32_t pod_socks[] = {200, 201, 202};
	struct tally_opts opts = {0};
	struct owners *o;
	struct tally *t;
	struct expo *e;
	struct strbuf out;
	struct diag_sock s;

	(void)state;
	ftree_init(&tree);
	add_proc(10, "nginx", host_socks, 2);
	add_proc(20, "nginx", pod_socks, 3);
	o = owners_new(0, 0);
	assert_non_null(o);
	assert_int_equal(owners_refresh(o, tree.fd, 1), 0);
	t = tally_new(o, &opts, desc);
	assert_non_null(t);
	sb_init(&out);

	/* The host's dump, then a pod's (namespace 4026532999). */
	assert_int_equal(tally_begin(t, 1), 0);
	s = sk(DIAG_KSTATE_LISTEN, 80, 100);
	tally_add(t, 0, &s);
	s = sk(DIAG_KSTATE_ESTABLISHED, 80, 101);
	tally_add(t, 0, &s);
	/* No process holds request and TIME_WAIT sockets: on a listener's
	 * address and port they are its owner's, elsewhere the kernel's. */
	s = sk(DIAG_KSTATE_TIME_WAIT, 80, 0);
	tally_add(t, 0, &s);
	s = sk(DIAG_KSTATE_NEW_SYN_RECV, 80, 0);
	tally_add(t, 0, &s);
	s = sk(DIAG_KSTATE_NEW_SYN_RECV, 80, 0);
	s.src[3] = 2; /* 127.0.0.2: not the listener's address */
	tally_add(t, 0, &s);
	s = sk(DIAG_KSTATE_TIME_WAIT, 40001, 0);
	tally_add(t, 0, &s);
	assert_int_equal(tally_begin_netns(t, 2), 0);
	s = sk(DIAG_KSTATE_LISTEN, 80, 200);
	tally_add_netns(t, 0, &s, 4026532999ull);
	s = sk(DIAG_KSTATE_CLOSE_WAIT, 80, 201);
	tally_add_netns(t, 1, &s, 4026532999ull); /* another worker */
	s = sk(DIAG_KSTATE_CLOSE_WAIT, 80, 202);
	tally_add_netns(t, 0, &s, 4026532999ull);
	s = sk(DIAG_KSTATE_TIME_WAIT, 80, 0);      /* no owner: not in unattributed */
	tally_add_netns(t, 1, &s, 4026532999ull);
	s = sk(DIAG_KSTATE_ESTABLISHED, 80, 999);  /* unknown inode: likewise */
	tally_add_netns(t, 0, &s, 4026532999ull);

	e = expo_new();
	assert_int_equal(tally_emit(t, e), 0);
	render(e, &out);
	assert_non_null(strstr(out.buf, "netstat_process_sockets{comm=\"nginx\",protocol=\"tcp\",state=\"established\"} 1\n"));
	assert_non_null(strstr(out.buf, "netstat_process_sockets{comm=\"nginx\",protocol=\"tcp\",state=\"listen\"} 1\n"));
	assert_non_null(strstr(out.buf, "netstat_process_sockets{comm=\"nginx\",netns=\"4026532999\",protocol=\"tcp\",state=\"close_wait\"} 2\n"));
	assert_non_null(strstr(out.buf, "netstat_process_sockets{comm=\"nginx\",netns=\"4026532999\",protocol=\"tcp\",state=\"listen\"} 1\n"));
	assert_non_null(strstr(out.buf, "netstat_listener_info{comm=\"nginx\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"80\"} 1\n"));
	assert_non_null(strstr(out.buf, "netstat_listener_info{comm=\"nginx\",netns=\"4026532999\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"80\"} 1\n"));
	assert_non_null(strstr(out.buf, "netstat_process_sockets{comm=\"nginx\",protocol=\"tcp\",state=\"time_wait\"} 1\n"));
	assert_non_null(strstr(out.buf, "netstat_process_sockets{comm=\"nginx\",protocol=\"tcp\",state=\"syn_recv\"} 1\n"));
	assert_non_null(strstr(out.buf, "netstat_unattributed_sockets{protocol=\"tcp\",state=\"time_wait\",reason=\"kernel\"} 1\n"));
	assert_non_null(strstr(out.buf, "netstat_unattributed_sockets{protocol=\"tcp\",state=\"syn_recv\",reason=\"kernel\"} 1\n"));
	assert_null(strstr(out.buf, "reason=\"not_found\""));
	expo_free(e);

	/* The next scrape without namespaces: the host's alone, nothing stale. */
	assert_int_equal(tally_begin(t, 1), 0);
	s = sk(DIAG_KSTATE_LISTEN, 80, 100);
	tally_add(t, 0, &s);
	e = expo_new();
	assert_int_equal(tally_emit(t, e), 0);
	render(e, &out);
	assert_null(strstr(out.buf, "netns="));
	assert_non_null(strstr(out.buf, "netstat_process_sockets{comm=\"nginx\",protocol=\"tcp\",state=\"listen\"} 1\n"));
	expo_free(e);

	sb_fini(&out);
	tally_free(t);
	owners_free(o);
	ftree_fini(&tree);
}

/* The series lines of out that start with prefix, in order, one per line. */
static void series(const char *out, const char *prefix, struct strbuf *got)
{
	sb_reset(got);
	for (const char *l = out; *l; ) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l + 1) : strlen(l);

		if (strncmp(l, prefix, strlen(prefix)) == 0)
			sb_put(got, l, len);
		l += len;
	}
	sb_putc(got, '\0');
}

/* One dump over the shared-socket population, rendered to out. */
static void shared_dump(struct owners *o, const struct tally_opts *opts, struct strbuf *out)
{
	static const struct {
		uint8_t kstate;
		uint32_t inode;
	} socks[] = {
		{DIAG_KSTATE_LISTEN, 100}, {DIAG_KSTATE_ESTABLISHED, 101}, {DIAG_KSTATE_CLOSE_WAIT, 102},
		{DIAG_KSTATE_NEW_SYN_RECV, 0}, {DIAG_KSTATE_NEW_SYN_RECV, 0},
	};
	struct tally *t = tally_new(o, opts, desc);
	struct expo *e = expo_new();

	assert_non_null(t);
	assert_int_equal(tally_begin(t, 2), 0);
	for (unsigned i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		struct diag_sock s = sk(socks[i].kstate, 80, socks[i].inode);

		tally_add(t, i % 2, &s); /* both workers */
	}
	assert_int_equal(tally_emit(t, e), 0);
	render(e, out);
	expo_free(e);
	tally_free(t);
}

/* A socket several processes hold counts once for each distinct owner
 * series among its holders, never twice for one: socat's parent (pid 10)
 * and child (11) share the listener (100) and a connection (101), the child
 * has one of its own (102), and a third program (12, "helper") holds the
 * listener too. Request sockets count once, for the listener's first
 * holder. */
static void test_shared_sockets(void **state)
{
	static const uint32_t parent[] = {100, 101}, child[] = {101, 100, 102, 100}, helper[] = {100};
	/* By comm, then by pid: once per holding process. */
	static const struct {
		bool pid;
		const char *sockets, *listeners;
	} cases[] = {
		{false,
		 "netstat_process_sockets{comm=\"helper\",protocol=\"tcp\",state=\"listen\"} 1\n"
		 "netstat_process_sockets{comm=\"socat\",protocol=\"tcp\",state=\"established\"} 1\n"
		 "netstat_process_sockets{comm=\"socat\",protocol=\"tcp\",state=\"syn_recv\"} 2\n"
		 "netstat_process_sockets{comm=\"socat\",protocol=\"tcp\",state=\"close_wait\"} 1\n"
		 "netstat_process_sockets{comm=\"socat\",protocol=\"tcp\",state=\"listen\"} 1\n",
		 "netstat_listener_info{comm=\"helper\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"80\"} 1\n"
		 "netstat_listener_info{comm=\"socat\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"80\"} 1\n"},
		{true,
		 "netstat_process_sockets{comm=\"helper\",pid=\"12\",protocol=\"tcp\",state=\"listen\"} 1\n"
		 "netstat_process_sockets{comm=\"socat\",pid=\"10\",protocol=\"tcp\",state=\"established\"} 1\n"
		 "netstat_process_sockets{comm=\"socat\",pid=\"10\",protocol=\"tcp\",state=\"syn_recv\"} 2\n"
		 "netstat_process_sockets{comm=\"socat\",pid=\"10\",protocol=\"tcp\",state=\"listen\"} 1\n"
		 "netstat_process_sockets{comm=\"socat\",pid=\"11\",protocol=\"tcp\",state=\"established\"} 1\n"
		 "netstat_process_sockets{comm=\"socat\",pid=\"11\",protocol=\"tcp\",state=\"close_wait\"} 1\n"
		 "netstat_process_sockets{comm=\"socat\",pid=\"11\",protocol=\"tcp\",state=\"listen\"} 1\n",
		 "netstat_listener_info{comm=\"helper\",pid=\"12\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"80\"} 1\n"
		 "netstat_listener_info{comm=\"socat\",pid=\"10\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"80\"} 1\n"
		 "netstat_listener_info{comm=\"socat\",pid=\"11\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"80\"} 1\n"},
	};
	struct strbuf out, got;
	struct owners *o;

	(void)state;
	ftree_init(&tree);
	add_proc(10, "socat", parent, 2);
	add_proc(11, "socat", child, 4); /* 100 twice: a dup */
	add_proc(12, "helper", helper, 1);
	o = owners_new(0, 0);
	assert_non_null(o);
	assert_int_equal(owners_refresh(o, tree.fd, 1), 0);
	sb_init(&out);
	sb_init(&got);

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct tally_opts opts = {.pid = cases[k].pid};

		shared_dump(o, &opts, &out);
		series(out.buf, "netstat_process_sockets{", &got);
		assert_string_equal(got.buf, cases[k].sockets);
		series(out.buf, "netstat_listener_info{", &got);
		assert_string_equal(got.buf, cases[k].listeners);
		assert_null(strstr(out.buf, "netstat_unattributed_sockets{"));
	}

	sb_fini(&got);
	sb_fini(&out);
	owners_free(o);
	ftree_fini(&tree);
}

/* Which listener a connection to (address, port) came through: the exact
 * address first, then 0.0.0.0 (IPv4 only), then :: (both). */
static void test_listen_map(void **state)
{
	static const uint8_t any4[4] = {0}, any6[16] = {0}, lo[4] = {127, 0, 0, 1},
			     doc[4] = {192, 0, 2, 1}, v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct listen_map m;
	uint32_t v;

	(void)state;
	listen_map_init(&m, 4);
	assert_int_equal(listen_map_add(&m, AF_INET6, any6, 22, 1), 0);
	assert_int_equal(listen_map_add(&m, AF_INET, lo, 22, 2), 0);
	assert_int_equal(listen_map_add(&m, AF_INET, any4, 80, 3), 0);
	assert_int_equal(listen_map_add(&m, AF_INET, doc, 443, 4), 0);
	assert_int_equal(listen_map_add(&m, AF_INET, doc, 8443, 5), -ENOSPC);
	listen_map_freeze(&m);
	assert_true(listen_map_find(&m, AF_INET, lo, 22, &v) && v == 2);
	assert_true(listen_map_find(&m, AF_INET, doc, 22, &v) && v == 1);   /* :: takes IPv4 */
	assert_true(listen_map_find(&m, AF_INET6, v6, 22, &v) && v == 1);
	assert_true(listen_map_find(&m, AF_INET, doc, 80, &v) && v == 3);
	assert_false(listen_map_find(&m, AF_INET6, v6, 80, &v));            /* 0.0.0.0 does not */
	assert_true(listen_map_find(&m, AF_INET, doc, 443, &v) && v == 4);
	assert_false(listen_map_find(&m, AF_INET, lo, 443, &v));
	assert_false(listen_map_find(&m, AF_INET, lo, 8443, &v));
	listen_map_fini(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netns_section),
		cmocka_unit_test(test_shared_sockets),
		cmocka_unit_test(test_listen_map),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
