/* netns/nerdctl_names: a nerdctl container's name from nerdctl's name store.
 *
 * nerdctl (containerd's Docker-compatible CLI) records each name it gives as
 * a file DATA_ROOT/<address hash>/names/<containerd namespace>/<name> that
 * holds the container's ID (DATA_ROOT: /var/lib/nerdctl for root; the hash:
 * 8 hex digits of the containerd socket address's SHA-256). containerd
 * itself keeps names only in its BoltDB metadata, which is not read.
 *
 * Pure: the caller lists the directories and reads the files. */
#ifndef NETSTAT_NETNS_NERDCTL_NAMES_H
#define NETSTAT_NETNS_NERDCTL_NAMES_H

#include <stddef.h>

/* containerd's identifier rule (pkg/identifiers): at most 76 characters. */
#define NETNS_NERDCTL_NAME_MAX 76

/* Whether the name-store file called name (NUL-terminated) with contents
 * content[0..len) names container id: the contents, less surrounding
 * whitespace, are id, and name is a containerd identifier
 * ([A-Za-z0-9]+([._-][A-Za-z0-9]+)*, at most 76). 0, or -ENOENT. */
int netns_nerdctl_name_match(const char *name, const char *content, size_t len, const char *id);

#endif
