/* netns/identity: the I/O around the pure cgroup-path, pods-directory and
 * Docker-config parsers. Interface stub: fills comm only until the parsers
 * land. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "expo/strbuf.h"
#include "netns/identity.h"
#include "procfs/reader.h"

int netns_identify(int procfs_fd, int pid, const struct netns_identity_opts *opts,
		   struct netns_identity *id)
{
	struct strbuf sb;
	char path[32];
	int rc;

	(void)opts;
	memset(id, 0, sizeof(*id));
	if (pid <= 0)
		return -EINVAL;
	sb_init(&sb);
	snprintf(path, sizeof(path), "%d/comm", pid);
	rc = procfs_read(procfs_fd, path, 64, &sb);
	if (rc == 0 && sb.len > 0) {
		size_t n = sb.len;

		if (sb.buf[n - 1] == '\n')
			n--;
		if (n >= sizeof(id->comm))
			n = sizeof(id->comm) - 1;
		memcpy(id->comm, sb.buf, n);
	}
	sb_fini(&sb);
	return rc;
}
