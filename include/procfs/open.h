/* procfs/open: opens a path under --path.procfs without ever leaving it.
 *
 * What "expected" means for symlinks under a procfs root: a symlink is
 * followed only when it resolves inside the root (openat2 RESOLVE_BENEATH):
 * /proc/net -> self/net, /proc/self -> PID, /proc/mounts -> self/mounts
 * and the like are all relative and stay inside. Magic links
 * (/proc/PID/fd/N, exe, cwd, root, ns/...) are never followed
 * (RESOLVE_NO_MAGICLINKS): the exporter only readlink()s them. A fixture
 * tree or a wrong --path.procfs whose net/snmp points at /etc/shadow, or at
 * ../../anything, gets -EXDEV instead of the file; a magic link -ELOOP.
 *
 * Kernels before 5.6 have no openat2(); there the path is opened as openat()
 * would, and the log says once that the check is off. */
#ifndef NETSTAT_PROCFS_OPEN_H
#define NETSTAT_PROCFS_OPEN_H

/* openat(dirfd, path, flags | O_CLOEXEC) confined to dirfd as above. With
 * dirfd AT_FDCWD (absolute paths of the exporter's own /proc) a plain
 * openat(). Returns the fd or -1 with errno (EXDEV: the path left the root;
 * ELOOP: a magic link, or too many links). */
int procfs_open(int dirfd, const char *path, int flags);

#endif
