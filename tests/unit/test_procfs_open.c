/* procfs_open: symlinks that stay under the root are followed, those that
 * leave it and magic links are not; on a fixture tree made here and on the
 * real /proc. */
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

#include "procfs/open.h"
#include "procfs/reader.h"
#include "fixture_tree.h"

static struct fixture_tree tree;

static int setup(void **state)
{
	(void)state;
	ftree_init(&tree);
	ftree_mkdir(&tree, "proc");
	ftree_mkdir(&tree, "proc/1");
	ftree_put(&tree, "outside", "secret\n");
	ftree_put(&tree, "proc/1/stat", "1 (init) S\n");
	ftree_link(&tree, "1", "proc/self");             /* like /proc/self -> PID */
	ftree_link(&tree, "self/stat", "proc/mystat");   /* relative, through another link: inside */
	ftree_link(&tree, "../outside", "proc/up");      /* relative, out of the root */
	ftree_link(&tree, "/etc/hostname", "proc/abs");  /* absolute */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ftree_fini(&tree);
	return 0;
}

static void confined(void **state)
{
	struct strbuf sb;
	int dirfd, fd;

	(void)state;
	dirfd = openat(tree.fd, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	sb_init(&sb);
	assert_int_equal(procfs_read(dirfd, "mystat", 4096, &sb), 0);
	assert_int_equal(strncmp(sb.buf, "1 (init)", 8), 0);
	assert_int_equal(procfs_read(dirfd, "self/stat", 4096, &sb), 0);
	assert_int_equal(procfs_read(dirfd, "up", 4096, &sb), -EXDEV);
	assert_int_equal(procfs_read(dirfd, "abs", 4096, &sb), -EXDEV);
	assert_int_equal(procfs_read(dirfd, "../outside", 4096, &sb), -EXDEV);
	fd = procfs_open(dirfd, "/etc/hostname", O_RDONLY);
	assert_true(fd < 0 && errno == EXDEV);
	sb_fini(&sb);
	close(dirfd);
}

static void real_proc(void **state)
{
	int dirfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

	(void)state;
	assert_true(dirfd >= 0);
	/* net -> self/net -> PID/net: relative all the way, followed. */
	fd = procfs_open(dirfd, "net/snmp", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	/* A magic link is not followed. */
	fd = procfs_open(dirfd, "self/fd/0", O_RDONLY);
	assert_true(fd < 0 && errno == ELOOP);
	fd = procfs_open(dirfd, "self/exe", O_RDONLY);
	assert_true(fd < 0 && errno == ELOOP);
	close(dirfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(confined),
		cmocka_unit_test(real_proc),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
