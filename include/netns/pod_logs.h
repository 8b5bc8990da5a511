/* netns/pod_logs: a pod's name and namespace from the name of its kubelet log
 * directory, /var/log/pods/<namespace>_<pod>_<uid>.
 *
 * Pure. The kubelet joins the three with '_', which neither part can contain:
 * a namespace is a DNS-1123 label ([a-z0-9-], at most 63, alphanumeric at both
 * ends), a pod name a DNS-1123 subdomain (labels joined by '.', at most 253),
 * and a UID is hex and '-'. So the split is unambiguous, and a name that
 * breaks those rules is not the kubelet's and matches nothing. */
#ifndef NETSTAT_NETNS_POD_LOGS_H
#define NETSTAT_NETNS_POD_LOGS_H

#include <stddef.h>

#define NETNS_K8S_NAMESPACE_MAX 63
#define NETNS_K8S_POD_MAX 253

/* If the directory name (NUL-terminated) is "<namespace>_<pod>_<uid>" for
 * this uid (as netns_pod_uid_parse() writes it), copies the namespace and the
 * pod name out and returns 0; otherwise -ENOENT and leaves them alone. */
int netns_pod_logs_match(const char *dirname, const char *uid,
			 char ns[NETNS_K8S_NAMESPACE_MAX + 1], char pod[NETNS_K8S_POD_MAX + 1]);

#endif
