/* procfs/reader: read small files relative to a directory fd (--path.procfs).
 *
 * The only I/O the procfs collectors do; everything after it is a pure parser
 * over the bytes read, so tests point the fd at a fixture tree. */
#ifndef NETSTAT_PROCFS_READER_H
#define NETSTAT_PROCFS_READER_H

#include <stddef.h>

#include "expo/strbuf.h"

/* Replaces out's contents with the whole of dirfd/path. Reads until EOF, in
 * as many read() calls as the kernel needs. Returns 0, -ENOENT when the file
 * does not exist (a missing table is not an error for the callers), -EFBIG
 * when the file is larger than cap bytes, or another negative errno. On error
 * out is emptied. */
int procfs_read(int dirfd, const char *path, size_t cap, struct strbuf *out);

#endif
