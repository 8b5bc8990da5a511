/* procfs/reader: the one small-file reader. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs/open.h"
#include "procfs/reader.h"

/* procfs reports size 0 for its files: read a page at a time. */
#define CHUNK 4096

int procfs_read(int dirfd, const char *path, size_t cap, struct strbuf *out)
{
	struct stat st;
	int fd, rc = 0;

	sb_reset(out);
	/* Non-blocking: a FIFO or device planted under --path.procfs must not
	 * block the open; fstat then refuses it before any read. */
	fd = procfs_open(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -PROCFS_ENOTREG;
		goto out;
	}
	for (;;) {
		char *room = sb_reserve(out, CHUNK);
		ssize_t n;

		if (!room) {
			rc = out->err ? out->err : -ENOMEM;
			goto out;
		}
		n = read(fd, room, CHUNK);
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
		out->len += (size_t)n;
	}
	out->buf[out->len] = '\0'; /* sb_reserve() left room for it */
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		sb_reset(out);
	return rc;
}

const char *procfs_strerror(int rc)
{
	if (rc == -PROCFS_ENOTREG)
		return "not a regular file";
	return strerror(-rc);
}
