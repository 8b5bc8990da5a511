/* netns/identity: who a network namespace belongs to, from procfs and the
 * container runtimes' files on the node (no API call).
 *
 * The identity labels of the netns collector: the Kubernetes pod (UID, name,
 * namespace), the container (ID, or Docker's, Podman's or nerdctl's name), the systemd
 * unit and the comm of the namespace's oldest process. See docs/netns.md, "Labels". Every
 * field that cannot be derived is "", never a guess. */
#ifndef NETSTAT_NETNS_IDENTITY_H
#define NETSTAT_NETNS_IDENTITY_H

/* Where the runtimes keep what the cgroup path does not say. NULL members
 * take the defaults below; "" turns that lookup off. */
struct netns_identity_opts {
	const char *pods_root;   /* default /var/log/pods */
	const char *docker_root; /* default /var/lib/docker/containers */
	const char *podman_root; /* default /var/lib/containers/storage */
	const char *nerdctl_root; /* default /var/lib/nerdctl */
};

#define NETNS_PODS_ROOT_DEFAULT "/var/log/pods"
#define NETNS_DOCKER_ROOT_DEFAULT "/var/lib/docker/containers"
/* containers/storage's graph root (Podman, Buildah, CRI-O as root). */
#define NETNS_PODMAN_ROOT_DEFAULT "/var/lib/containers/storage"
/* nerdctl's data root (its name store). */
#define NETNS_NERDCTL_ROOT_DEFAULT "/var/lib/nerdctl"

/* All fields NUL-terminated, valid UTF-8 without control characters; "" when
 * unknown. */
struct netns_identity {
	char pod_uid[64];     /* Kubernetes pod UID, with dashes */
	char pod[256];        /* pod name, from the pods_root directory name */
	char namespace_[256]; /* Kubernetes namespace, ditto */
	char container[128];  /* Docker's, Podman's or nerdctl's name, else the ID */
	char unit[256];       /* systemd unit (service/scope) outside containers */
	char comm[16];        /* comm of pid */
};

/* Fills *id for the process pid (a member of the namespace: pass its oldest
 * process) from procfs_fd/PID/cgroup, PID/comm and the opts roots (opts may
 * be NULL: defaults); fields that cannot be derived are "". A container is
 * named by Docker's files first, then by containers/storage's lists, then by
 * nerdctl's name store. 0 or -errno
 * (-ENOENT: the process is gone). */
int netns_identify(int procfs_fd, int pid, const struct netns_identity_opts *opts,
		   struct netns_identity *id);

#endif
