/* netns/cgroup_path: the Kubernetes pod UID, the container ID and the systemd
 * unit of a process, from the contents of its /proc/PID/cgroup.
 *
 * Pure: bytes in, struct out. Understands cgroup v1, v2 and hybrid files and
 * the paths the kubelet (systemd and cgroupfs drivers), containerd, CRI-O,
 * Docker and Podman create; docs/netns.md, "Labels", lists them. Whatever the
 * path does not say is left "": a path that merely resembles a known shape
 * (wrong length, upper-case hex, a stray character) gives nothing. */
#ifndef NETSTAT_NETNS_CGROUP_PATH_H
#define NETSTAT_NETNS_CGROUP_PATH_H

#include <stddef.h>

#define NETNS_POD_UID_MAX 36       /* 8-4-4-4-12 hex; static pods: 32 hex */
#define NETNS_CONTAINER_ID_LEN 64  /* Docker, containerd, CRI-O, Podman */
#define NETNS_UNIT_MAX 255         /* systemd's UNIT_NAME_MAX - 1 */

struct netns_cgroup {
	char pod_uid[NETNS_POD_UID_MAX + 1];           /* with '-', lower-case */
	char container_id[NETNS_CONTAINER_ID_LEN + 1]; /* 64 lower-case hex */
	char unit[NETNS_UNIT_MAX + 1];  /* only when neither pod nor container */
};

/* Parses a /proc/PID/cgroup file (len bytes, no NUL needed) into *out.
 * Returns 0 (with "" for each field the file does not give), or -EINVAL
 * when no line of the file has the "ID:CONTROLLERS:PATH" shape. */
int netns_cgroup_parse(const char *buf, size_t len, struct netns_cgroup *out);

/* Whether s[0..n) is a pod UID as the kubelet writes it (36-character UUID
 * with sep between the groups, or the 32 hex digits of a static pod's
 * manifest hash); if so, copies it to out with '-' separators. */
int netns_pod_uid_parse(const char *s, size_t n, char sep, char out[NETNS_POD_UID_MAX + 1]);

#endif
