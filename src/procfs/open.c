#include "procfs/open.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

int procfs_open(int dirfd, const char *path, int flags)
{
	static atomic_bool warned;
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (dirfd == AT_FDCWD)
		return openat(dirfd, path, flags | O_CLOEXEC);
	do
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN); /* a rename raced the lookup */
	if (fd < 0 && errno == ENOSYS) {
		if (!atomic_exchange(&warned, true))
			log_msg(LOG_WARN, "this kernel has no openat2(): symlinks under --path.procfs "
					  "are followed wherever they point");
		fd = openat(dirfd, path, flags | O_CLOEXEC);
	}
	return fd;
}
