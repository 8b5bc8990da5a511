/* netns/discovery and netns/handle's pure parts: the ns link and
 * tcp_ehash_entries parsers, and discovery over a fixture /proc tree made
 * here (symlinks like the kernel's ns/net links, stat files with start
 * times, a named-namespace directory). */
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

#include <cmocka.h>

#include "netns/discovery.h"
#include "netns/handle.h"
#include "fixture_tree.h"

static void test_parse_link(void **state)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t ino;
	} cases[] = {
		{"net:[4026531993]", 0, 4026531993ull},
		{"net:[1]", 0, 1},
		{"net:[18446744073709551615]", 0, UINT64_MAX},
		{"net:[18446744073709551616]", -EINVAL, 0},
		{"net:[]", -EINVAL, 0},
		{"net:[12a]", -EINVAL, 0},
		{"net:[-1]", -EINVAL, 0},
		{"net:[123", -EINVAL, 0},
		{"net:123]", -EINVAL, 0},
		{"pid:[4026531836]", -EINVAL, 0},
		{"net:", -EINVAL, 0},
		{"", -EINVAL, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t ino = 0;
		assert_int_equal(netns_parse_link(cases[i].s, strlen(cases[i].s), &ino), cases[i].ret);
		if (cases[i].ret == 0)
			assert_true(ino == cases[i].ino);
	}
}

/* The one-integer sysctls each namespace's handle reads: tcp_ehash_entries
 * (within the kernel's bounds) and tcp_max_tw_buckets (any int: the
 * kernel's proc_dointvec takes negative values too). */
static void test_parse_sysctl_ints(void **state)
{
	typedef int (*parse_fn)(const char *, size_t, int *);
	const parse_fn ehash = netns_parse_ehash, tw = netns_parse_max_tw;
	const struct {
		parse_fn parse;
		const char *s;
		int ret;
		int v;
	} cases[] = {
		{ehash, "-262144\n", 0, -262144},
		{ehash, "65536\n", 0, 65536},
		{ehash, "0\n", 0, 0},
		{ehash, "65536", -EINVAL, 0},   /* a sysctl file ends with a newline */
		{ehash, "65536 1\n", -EINVAL, 0},
		{ehash, "abc\n", -EINVAL, 0},
		{ehash, "\n", -EINVAL, 0},
		{ehash, "", -EINVAL, 0},
		{ehash, "99999999999\n", -EINVAL, 0},
		{tw, "262144\n", 0, 262144},
		{tw, "41\n", 0, 41},
		{tw, "0\n", 0, 0},
		{tw, "-1\n", 0, -1},
		{tw, "2147483647\n", 0, 2147483647},
		{tw, "-2147483648\n", 0, -2147483647 - 1},
		{tw, "2147483648\n", -EINVAL, 0},  /* past an int */
		{tw, "-2147483649\n", -EINVAL, 0},
		{tw, "262144", -EINVAL, 0},
		{tw, "262144 1\n", -EINVAL, 0},
		{tw, "0x10\n", -EINVAL, 0},
		{tw, "abc\n", -EINVAL, 0},
		{tw, "\n", -EINVAL, 0},
		{tw, "", -EINVAL, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int v = 12345;
		int ret = cases[i].parse(cases[i].s, strlen(cases[i].s), &v);

		if (ret != cases[i].ret)
			fail_msg("case %zu \"%s\": %d, want %d", i, cases[i].s, ret, cases[i].ret);
		assert_int_equal(v, cases[i].ret == 0 ? cases[i].v : 12345); /* untouched on error */
	}
}

/* ---- discovery over a fixture tree ---- */

static struct fixture_tree tree;

static void proc(int pid, const char *link, unsigned long long start)
{
	char rel[32];

	ftree_mkdir(&tree, "proc/%d", pid);
	ftree_mkdir(&tree, "proc/%d/ns", pid);
	ftree_link(&tree, link, "proc/%d/ns/net", pid);
	snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
	ftree_putf(&tree, rel, "%d (p %d) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu 0 0\n",
		   pid, pid, start);
}

static int setup(void **state)
{
	(void)state;
	ftree_init(&tree);
	ftree_mkdir(&tree, "proc");
	ftree_mkdir(&tree, "run");
	/* ns 100: pids 10 (younger) and 11 (older); ns 200: pid 12; ns 300
	 * (ours): pid 13; pid 14 has junk for a link; "self" is pid 13. */
	proc(10, "net:[100]", 500);
	proc(11, "net:[100]", 400);
	proc(12, "net:[200]", 100);
	proc(13, "net:[300]", 50);
	proc(14, "mnt:[100]", 10);
	ftree_link(&tree, "13", "proc/self");
	/* Not processes: a thread-like name, a file. */
	ftree_put(&tree, "proc/sys", "");
	/* A plain file in the named-namespace directory is no bind mount. */
	ftree_put(&tree, "run/issue10c-plain", "");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ftree_fini(&tree);
	return 0;
}

static int keep_hint(void *arg, uint64_t ino, uint64_t *start)
{
	(void)arg;
	if (ino == 100) {
		*start = 500;
		return 10; /* remembered: still a member, so kept */
	}
	return 0;
}

static void test_discover(void **state)
{
	char run[256];
	struct netns_list l;
	uint64_t self = 0;
	int fd;

	(void)state;
	ftree_path(&tree, run, sizeof(run), "run");
	fd = openat(tree.fd, "proc", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(netns_ino_of(fd, 0, &self), 0);
	assert_true(self == 300);

	netns_list_init(&l);
	assert_int_equal(netns_discover(fd, run, self, NULL, NULL, &l), 0);
	assert_int_equal(l.len, 2);
	assert_true(l.v[0].ino == 100);
	assert_int_equal(l.v[0].pid, 11); /* the oldest, not the lowest pid */
	assert_true(l.v[0].start == 400);
	assert_int_equal(l.v[0].nprocs, 2);
	assert_string_equal(l.v[0].name, "");
	assert_true(l.v[1].ino == 200);
	assert_int_equal(l.v[1].pid, 12);

	/* A remembered member is kept without reading start times. */
	assert_int_equal(netns_discover(fd, run, self, keep_hint, NULL, &l), 0);
	assert_int_equal(l.v[0].pid, 10);

	/* The exporter's own namespace is listed when not skipped. */
	assert_int_equal(netns_discover(fd, NULL, 0, NULL, NULL, &l), 0);
	assert_int_equal(l.len, 3);

	/* A missing named-namespace directory is no error. */
	ftree_path(&tree, run, sizeof(run), "nonexistent");
	assert_int_equal(netns_discover(fd, run, self, NULL, NULL, &l), 0);
	assert_int_equal(l.len, 2);
	netns_list_fini(&l);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_link),
		cmocka_unit_test(test_parse_sysctl_ints),
		cmocka_unit_test_setup_teardown(test_discover, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
