/* procfs/reader: the one small-file reader, relative to a directory fd
 * (--path.procfs, or a fixture tree in tests).
 *
 * Everything the exporter reads from files goes through it; everything after
 * it is a pure parser over the bytes read. It never blocks: files are opened
 * non-blocking and only regular files are read (a FIFO or device planted
 * under --path.procfs is an error, not a hang), and at most cap bytes. */
#ifndef NETSTAT_PROCFS_READER_H
#define NETSTAT_PROCFS_READER_H

#include <errno.h>
#include <stddef.h>

#include "util/strbuf.h"

/* What procfs_read() returns (negated) for a file that is not a regular
 * file; procfs_strerror() says so in words. */
#define PROCFS_ENOTREG EMEDIUMTYPE

/* Replaces out's contents with the whole of dirfd/path (dirfd may be
 * AT_FDCWD with an absolute path), NUL-terminated. Reads until EOF, in as
 * many read() calls as the kernel needs. Returns 0, -ENOENT when the file
 * does not exist (a missing table is not an error for the callers), -EFBIG
 * when the file is larger than cap bytes, -EISDIR for a directory,
 * -PROCFS_ENOTREG for another file that is not a regular file, or another negative errno. On error out is emptied. */
int procfs_read(int dirfd, const char *path, size_t cap, struct strbuf *out);

/* strerror() for procfs_read()'s results (rc < 0). */
const char *procfs_strerror(int rc);

#endif
