/* netns/identity: who a network namespace belongs to. STUB until the
 * issue10-identity branch lands (it replaces this header and
 * src/netns/identity_stub.c). */
#ifndef NETSTAT_NETNS_IDENTITY_H
#define NETSTAT_NETNS_IDENTITY_H

struct netns_identity_opts {
	const char *pods_root;   /* default /var/log/pods */
	const char *docker_root; /* default /var/lib/docker/containers */
};

#define NETNS_PODS_ROOT_DEFAULT "/var/log/pods"
#define NETNS_DOCKER_ROOT_DEFAULT "/var/lib/docker/containers"

struct netns_identity {
	char pod_uid[64];
	char pod[256];
	char namespace_[256];
	char container[128];
	char unit[256];
	char comm[16];
};

/* Fills *id for the process pid (a member of the namespace: pass its oldest
 * process) from procfs_fd/PID/cgroup, PID/comm and the opts roots; fields
 * that cannot be derived are "". 0 or -errno. */
int netns_identify(int procfs_fd, int pid, const struct netns_identity_opts *opts,
		   struct netns_identity *id);

#endif
