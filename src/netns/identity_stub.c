/* netns/identity: STUB (comm only) until the issue10-identity branch lands. */
#include "netns/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "procfs/pid_parse.h"

int netns_identify(int procfs_fd, int pid, const struct netns_identity_opts *opts,
		   struct netns_identity *id)
{
	char path[32];
	ssize_t n;
	int fd;

	(void)opts;
	memset(id, 0, sizeof(*id));
	snprintf(path, sizeof(path), "%d/comm", pid);
	fd = openat(procfs_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, id->comm, sizeof(id->comm) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	id->comm[n] = '\0';
	id->comm[strcspn(id->comm, "\n")] = '\0';
	pid_clean_name(id->comm);
	return 0;
}
