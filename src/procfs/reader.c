/* procfs/reader: read small files relative to a directory fd. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "procfs/open.h"
#include "procfs/reader.h"

int procfs_read(int dirfd, const char *path, size_t cap, struct strbuf *out)
{
	int fd, rc = 0;

	sb_reset(out);
	fd = procfs_open(dirfd, path, O_RDONLY | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > cap) {
			rc = -EFBIG;
			goto out;
		}
		sb_put(out, chunk, (size_t)n);
		if (out->err) {
			rc = out->err;
			goto out;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		sb_reset(out);
	return rc;
}
