/* For the unit tests that read files through a directory fd (fixture /proc
 * trees, pod and container directories, config files): a scratch directory
 * made under /tmp, filled with the helpers below and removed whole at the
 * end. Paths given to the helpers are relative to the tree's root; each
 * helper fails the running test (a cmocka assertion) when the file system
 * refuses. Include after cmocka.h; tests/unit/fixture_tree.c is linked into
 * every unit test. */
#ifndef NETSTAT_TESTS_FIXTURE_TREE_H
#define NETSTAT_TESTS_FIXTURE_TREE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fixture_tree {
	char root[64]; /* absolute path of the directory */
	int fd;        /* O_DIRECTORY descriptor of root */
};

/* Makes a fresh empty directory /tmp/netstat-unit-XXXXXX. */
void ftree_init(struct fixture_tree *t);
/* Closes the descriptor and removes the directory and all it holds. */
void ftree_fini(struct fixture_tree *t);

/* Writes text as the whole content of file rel (created 0644, or
 * truncated). ftree_putf: the content printf-formatted. */
void ftree_put(const struct fixture_tree *t, const char *rel, const char *text);
void ftree_putf(const struct fixture_tree *t, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Replaces file rel with text as a deployment tool does: written beside it,
 * given mode, renamed into place (a new inode). */
void ftree_replace(const struct fixture_tree *t, const char *rel, const char *text, mode_t mode);

/* Directory (0755), symbolic link to target (need not exist), removal of a
 * file or a whole subtree; the path printf-formatted. */
void ftree_mkdir(const struct fixture_tree *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ftree_link(const struct fixture_tree *t, const char *target, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ftree_rm(const struct fixture_tree *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes the absolute path of rel (printf-formatted) into out; returns out. */
char *ftree_path(const struct fixture_tree *t, char *out, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A process directory PID of a fixture /proc: its stat (comm, start time
 * in ticks) and an fd directory holding the socket inodes given, one fd
 * each from 3 (an inode given twice is a dup). */
void ftree_proc(const struct fixture_tree *t, int pid, const char *comm, unsigned long long start,
		const uint32_t *inodes, size_t n);

#endif
