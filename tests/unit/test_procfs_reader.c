/* The one small-file reader: whole regular files, NUL-terminated; never
 * blocks on a FIFO or device (the open is non-blocking and only regular files
 * are read); bounded size. An alarm turns a hang into a failure. */
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

#include "procfs/reader.h"
#include "fixture_tree.h"

static int tree_setup(void **state)
{
	struct fixture_tree *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	ftree_init(t);
	ftree_put(t, "two_lines", "a\nb");
	ftree_put(t, "empty", "");
	assert_int_equal(mkfifoat(t->fd, "fifo", 0600), 0);
	ftree_mkdir(t, "dir");
	*state = t;
	alarm(10);
	return 0;
}

static int tree_teardown(void **state)
{
	struct fixture_tree *t = *state;

	alarm(0);
	ftree_fini(t);
	free(t);
	return 0;
}

static void test_regular_file(void **state)
{
	struct fixture_tree *t = *state;
	struct strbuf sb;

	sb_init(&sb);
	assert_int_equal(procfs_read(t->fd, "two_lines", 64, &sb), 0);
	assert_int_equal(sb.len, 3);
	assert_string_equal(sb.buf, "a\nb");
	/* Exactly at the cap is fine; one byte less is too big, and empties. */
	assert_int_equal(procfs_read(t->fd, "two_lines", 3, &sb), 0);
	assert_int_equal(procfs_read(t->fd, "two_lines", 2, &sb), -EFBIG);
	assert_int_equal(sb.len, 0);
	sb_fini(&sb);
}

static void test_empty_file_is_an_empty_string(void **state)
{
	struct fixture_tree *t = *state;
	struct strbuf sb;

	sb_init(&sb);
	assert_int_equal(procfs_read(t->fd, "empty", 64, &sb), 0);
	assert_int_equal(sb.len, 0);
	assert_non_null(sb.buf);
	assert_string_equal(sb.buf, "");
	sb_fini(&sb);
}

static void test_fifo_does_not_block(void **state)
{
	struct fixture_tree *t = *state;
	struct strbuf sb;
	int w;

	sb_init(&sb);
	/* No writer: a blocking open would wait forever. */
	assert_int_equal(procfs_read(t->fd, "fifo", 64, &sb), -PROCFS_ENOTREG);
	/* A writer that never writes: a blocking read would wait forever. */
	w = openat(t->fd, "fifo", O_RDWR | O_CLOEXEC);
	assert_true(w >= 0);
	assert_int_equal(procfs_read(t->fd, "fifo", 64, &sb), -PROCFS_ENOTREG);
	close(w);
	assert_string_equal(procfs_strerror(-PROCFS_ENOTREG), "not a regular file");
	sb_fini(&sb);
}

static void test_other_file_types(void **state)
{
	struct fixture_tree *t = *state;
	struct strbuf sb;

	sb_init(&sb);
	assert_int_equal(procfs_read(t->fd, "dir", 64, &sb), -EISDIR);
	assert_int_equal(procfs_read(AT_FDCWD, "/dev/null", 64, &sb), -PROCFS_ENOTREG);
	assert_int_equal(procfs_read(t->fd, "missing", 64, &sb), -ENOENT);
	assert_int_equal(procfs_read(-1, "two_lines", 64, &sb), -EBADF);
	assert_string_equal(procfs_strerror(-ENOENT), strerror(ENOENT));
	sb_fini(&sb);
}

static void test_real_procfs_file(void **state)
{
	struct strbuf sb;

	(void)state;
	sb_init(&sb);
	/* procfs says size 0; the reader reads to end of file anyway. */
	assert_int_equal(procfs_read(AT_FDCWD, "/proc/self/stat", 4096, &sb), 0);
	assert_true(sb.len > 10);
	assert_int_equal(strlen(sb.buf), sb.len);
	sb_fini(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regular_file, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_empty_file_is_an_empty_string, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_fifo_does_not_block, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_other_file_types, tree_setup, tree_teardown),
		cmocka_unit_test(test_real_procfs_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
