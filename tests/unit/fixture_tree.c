/* Scratch directory trees for the unit tests (fixture_tree.h). */
#include <fcntl.h>
#include <ftw.h>
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

#include "fixture_tree.h"

#define REL_MAX 256

static void vrel(char out[REL_MAX], const char *fmt, va_list ap)
{
	int n = vsnprintf(out, REL_MAX, fmt, ap);

	assert_true(n > 0 && n < REL_MAX);
	assert_true(out[0] != '/');
}

void ftree_init(struct fixture_tree *t)
{
	snprintf(t->root, sizeof(t->root), "/tmp/netstat-unit-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	t->fd = open(t->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->fd >= 0);
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *path)
{
	assert_int_equal(nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

void ftree_fini(struct fixture_tree *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	remove_tree(t->root);
}

void ftree_put(const struct fixture_tree *t, const char *rel, const char *text)
{
	size_t len = strlen(text);
	int fd = openat(t->fd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

void ftree_putf(const struct fixture_tree *t, const char *rel, const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(text));
	ftree_put(t, rel, text);
}

void ftree_replace(const struct fixture_tree *t, const char *rel, const char *text, mode_t mode)
{
	char tmp[REL_MAX + 8];

	snprintf(tmp, sizeof(tmp), "%s.new", rel);
	ftree_put(t, tmp, text);
	assert_int_equal(fchmodat(t->fd, tmp, mode, 0), 0);
	assert_int_equal(renameat(t->fd, tmp, t->fd, rel), 0);
}

void ftree_mkdir(const struct fixture_tree *t, const char *fmt, ...)
{
	char rel[REL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vrel(rel, fmt, ap);
	va_end(ap);
	assert_int_equal(mkdirat(t->fd, rel, 0755), 0);
}

void ftree_link(const struct fixture_tree *t, const char *target, const char *fmt, ...)
{
	char rel[REL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vrel(rel, fmt, ap);
	va_end(ap);
	assert_int_equal(symlinkat(target, t->fd, rel), 0);
}

void ftree_rm(const struct fixture_tree *t, const char *fmt, ...)
{
	char rel[REL_MAX], path[sizeof(t->root) + REL_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vrel(rel, fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	remove_tree(path);
}

char *ftree_path(const struct fixture_tree *t, char *out, size_t n, const char *fmt, ...)
{
	char rel[REL_MAX];
	va_list ap;
	int len;

	va_start(ap, fmt);
	vrel(rel, fmt, ap);
	va_end(ap);
	len = snprintf(out, n, "%s/%s", t->root, rel);
	assert_true(len > 0 && (size_t)len < n);
	return out;
}

void ftree_proc(const struct fixture_tree *t, int pid, const char *comm, unsigned long long start,
		const uint32_t *inodes, size_t n)
{
	char rel[32];

	ftree_mkdir(t, "%d", pid);
	ftree_mkdir(t, "%d/fd", pid);
	snprintf(rel, sizeof(rel), "%d/stat", pid);
	ftree_putf(t, rel, "%d (%s) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu 0 0 "
		   "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n", pid, comm, start);
	for (size_t i = 0; i < n; i++) {
		char target[32];

		snprintf(target, sizeof(target), "socket:[%u]", inodes[i]);
		ftree_link(t, target, "%d/fd/%zu", pid, i + 3);
	}
}
