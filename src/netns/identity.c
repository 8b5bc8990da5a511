/* netns/identity: the I/O around the pure parsers of netns/cgroup_path,
 * netns/pod_logs, netns/docker_config, netns/podman_store and
 * netns/nerdctl_names. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/strbuf.h"
#include "netns/cgroup_path.h"
#include "netns/docker_config.h"
#include "netns/identity.h"
#include "netns/nerdctl_names.h"
#include "netns/pod_logs.h"
#include "netns/podman_store.h"
#include "procfs/pid_parse.h"
#include "procfs/reader.h"

/* /proc/PID/cgroup: one line per v1 hierarchy (about a dozen), each path at
 * most PATH_MAX. */
#define CGROUP_FILE_MAX (64u * 1024)
/* Most entries of pods_root looked at per lookup; a node runs at most a few
 * hundred pods (kubelet's default --max-pods is 110). */
#define PODS_SCAN_MAX 16384u
/* Entries of the containers/storage root looked at per lookup: a dozen
 * (one DRIVER-containers directory per storage driver used, and the image,
 * layer and libpod state beside them). */
#define STORE_SCAN_MAX 256u
/* Entries of nerdctl's data root looked at per lookup, all levels together
 * (one name file per named container). */
#define NERDCTL_SCAN_MAX 16384u
/* A name-store file holds a 64-hex ID. */
#define NERDCTL_FILE_MAX 256u

static const char *root_or_default(const char *root, const char *def)
{
	return root ? root : def;
}

/* The directory path under dirfd (AT_FDCWD: path as is), for readdir. NULL
 * with errno set. */
static DIR *dir_at(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;

	if (fd < 0)
		return NULL;
	dir = fdopendir(fd);
	if (dir == NULL) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return dir;
}

/* Namespace and name of pod uid from the names under root. Nothing when the
 * root is missing, or no entry or more than one matches. */
static void pod_lookup(const char *root, const char *uid, struct netns_identity *id)
{
	char ns[NETNS_K8S_NAMESPACE_MAX + 1], pod[NETNS_K8S_POD_MAX + 1];
	unsigned matches = 0, seen = 0;
	struct dirent *de;
	DIR *dir;

	if (root[0] == '\0' || (dir = dir_at(AT_FDCWD, root)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL && seen++ < PODS_SCAN_MAX)
		if (netns_pod_logs_match(de->d_name, uid, ns, pod) == 0)
			matches++;
	closedir(dir);
	if (matches == 1 && seen <= PODS_SCAN_MAX) {
		snprintf(id->namespace_, sizeof(id->namespace_), "%s", ns);
		snprintf(id->pod, sizeof(id->pod), "%s", pod);
	}
}

/* A parser of a runtime's file: container id's name into out. */
typedef int (*name_parser)(const char *buf, size_t len, const char *id, char *out, size_t cap);

/* Names container cid from dirfd/path (at most cap bytes, read into sb)
 * with parse. 0 or -errno. */
static int name_from_file(int dirfd, const char *path, size_t cap, name_parser parse, const char *cid,
			  struct strbuf *sb, struct netns_identity *id)
{
	int rc = procfs_read(dirfd, path, cap, sb);

	if (rc == 0)
		rc = parse(sb->buf ? sb->buf : "", sb->len, cid, id->container, sizeof(id->container));
	return rc;
}

/* Docker's name for container cid, when root holds its config.v2.json. */
static int docker_lookup(const char *root, const char *cid, struct netns_identity *id)
{
	struct strbuf sb;
	char path[NETNS_CONTAINER_ID_LEN + 32];
	int fd, rc;

	if (root[0] == '\0')
		return -ENOENT;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	sb_init(&sb);
	snprintf(path, sizeof(path), "%s/config.v2.json", cid);
	rc = name_from_file(fd, path, NETNS_DOCKER_CONFIG_MAX, netns_docker_name_parse, cid, &sb, id);
	sb_fini(&sb);
	close(fd);
	return rc;
}

/* The name of container cid in a containers/storage list under root:
 * DRIVER-containers/containers.json (overlay, vfs, btrfs...), and the
 * volatile-containers.json beside it. The first list that names it wins. */
static int podman_lookup(const char *root, const char *cid, struct netns_identity *id)
{
	static const char *const lists[] = {"containers.json", "volatile-containers.json"};
	unsigned seen = 0;
	struct dirent *de;
	struct strbuf sb;
	DIR *dir;
	int rc = -ENOENT;

	if (root[0] == '\0' || (dir = dir_at(AT_FDCWD, root)) == NULL)
		return -ENOENT;
	sb_init(&sb);
	while (rc < 0 && (de = readdir(dir)) != NULL && seen++ < STORE_SCAN_MAX) {
		size_t n = strlen(de->d_name), sn = strlen("-containers");
		char path[NAME_MAX + 32];

		if (n <= sn || strcmp(de->d_name + n - sn, "-containers") != 0)
			continue;
		for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]) && rc < 0; i++) {
			snprintf(path, sizeof(path), "%s/%s", de->d_name, lists[i]);
			rc = name_from_file(dirfd(dir), path, NETNS_PODMAN_STORE_MAX, netns_podman_name_parse,
					    cid, &sb, id);
		}
	}
	sb_fini(&sb);
	closedir(dir);
	return rc;
}

/* The name nerdctl gave container cid: a file under
 * root/<hash>/names/<namespace>/ holding the ID. At most NERDCTL_SCAN_MAX
 * entries are looked at, all levels together. */
static int nerdctl_lookup(const char *root, const char *cid, struct netns_identity *id)
{
	DIR *levels[3] = {NULL, NULL, NULL};
	unsigned depth = 0, seen = 0;
	struct strbuf sb;
	int rc = -ENOENT;

	if (root[0] == '\0' || (levels[0] = dir_at(AT_FDCWD, root)) == NULL)
		return -ENOENT;
	sb_init(&sb);
	/* A walk of root/HASH/names/NAMESPACE/NAME, one open directory per
	 * level (the names level is opened with its hash). */
	while (rc < 0 && seen < NERDCTL_SCAN_MAX) {
		struct dirent *de = readdir(levels[depth]);
		char path[NAME_MAX + 8];

		if (de == NULL) {
			closedir(levels[depth]);
			levels[depth] = NULL;
			if (depth == 0)
				break;
			depth--;
			continue;
		}
		seen++;
		if (de->d_name[0] == '.')
			continue;
		if (depth == 2) {
			if (procfs_read(dirfd(levels[2]), de->d_name, NERDCTL_FILE_MAX, &sb) == 0 &&
			    netns_nerdctl_name_match(de->d_name, sb.buf ? sb.buf : "", sb.len, cid) == 0 &&
			    strlen(de->d_name) < sizeof(id->container)) {
				snprintf(id->container, sizeof(id->container), "%s", de->d_name);
				rc = 0;
			}
			continue;
		}
		snprintf(path, sizeof(path), depth == 0 ? "%s/names" : "%s", de->d_name);
		levels[depth + 1] = dir_at(dirfd(levels[depth]), path);
		if (levels[depth + 1] != NULL)
			depth++;
	}
	for (unsigned i = 0; i < 3; i++)
		if (levels[i])
			closedir(levels[i]);
	sb_fini(&sb);
	return rc;
}

int netns_identify(int procfs_fd, int pid, const struct netns_identity_opts *opts,
		   struct netns_identity *id)
{
	struct netns_cgroup cg;
	struct strbuf sb;
	char path[32];
	int rc;

	memset(id, 0, sizeof(*id));
	if (pid <= 0)
		return -EINVAL;
	sb_init(&sb);
	snprintf(path, sizeof(path), "%d/comm", pid);
	rc = procfs_read(procfs_fd, path, 64, &sb);
	if (rc < 0)
		goto out;
	if (sb.len > 0) {
		size_t n = sb.len;

		if (sb.buf[n - 1] == '\n')
			n--;
		if (n > PROC_COMM_MAX)
			n = PROC_COMM_MAX;
		memcpy(id->comm, sb.buf, n);
		id->comm[n] = '\0';
		pid_clean_name(id->comm);
	}

	snprintf(path, sizeof(path), "%d/cgroup", pid);
	rc = procfs_read(procfs_fd, path, CGROUP_FILE_MAX, &sb);
	if (rc < 0)
		goto out;
	/* A file of another shape says nothing: labels stay empty. */
	if (netns_cgroup_parse(sb.buf ? sb.buf : "", sb.len, &cg) < 0)
		goto out;
	memcpy(id->pod_uid, cg.pod_uid, sizeof(cg.pod_uid));
	memcpy(id->unit, cg.unit, sizeof(cg.unit));
	if (cg.pod_uid[0])
		pod_lookup(root_or_default(opts ? opts->pods_root : NULL, NETNS_PODS_ROOT_DEFAULT),
			   cg.pod_uid, id);
	/* The ID where neither Docker, nor containers/storage, nor nerdctl
	 * knows it (or the name is too long). */
	if (cg.container_id[0] &&
	    docker_lookup(root_or_default(opts ? opts->docker_root : NULL, NETNS_DOCKER_ROOT_DEFAULT),
			  cg.container_id, id) < 0 &&
	    podman_lookup(root_or_default(opts ? opts->podman_root : NULL, NETNS_PODMAN_ROOT_DEFAULT),
			  cg.container_id, id) < 0 &&
	    nerdctl_lookup(root_or_default(opts ? opts->nerdctl_root : NULL, NETNS_NERDCTL_ROOT_DEFAULT),
			   cg.container_id, id) < 0)
		memcpy(id->container, cg.container_id, sizeof(cg.container_id));
out:
	sb_fini(&sb);
	if (rc < 0) {
		memset(id, 0, sizeof(*id));
		return rc;
	}
	return 0;
}
