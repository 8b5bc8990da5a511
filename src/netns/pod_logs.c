/* netns/pod_logs: pod name and namespace from /var/log/pods directory names. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "netns/pod_logs.h"

static bool is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63. */
static bool dns_label(const char *s, size_t n)
{
	if (n == 0 || n > 63 || !is_alnum_lower(s[0]) || !is_alnum_lower(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum_lower(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* A DNS-1123 subdomain: labels joined by '.', at most 253. */
static bool dns_subdomain(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 0 || n > NETNS_K8S_POD_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!dns_label(s + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

int netns_pod_logs_match(const char *dirname, const char *uid,
			 char ns[NETNS_K8S_NAMESPACE_MAX + 1], char pod[NETNS_K8S_POD_MAX + 1])
{
	size_t n = strlen(dirname), un = strlen(uid);
	const char *u1, *u2;
	size_t ns_len, pod_len;

	/* "<namespace>_<pod>_<uid>": the shortest is "a_b_" plus the uid. */
	if (un == 0 || n < un + 4 || strcmp(dirname + n - un, uid) != 0 || dirname[n - un - 1] != '_')
		return -ENOENT;
	u2 = dirname + n - un - 1;
	u1 = memchr(dirname, '_', (size_t)(u2 - dirname));
	if (u1 == NULL)
		return -ENOENT;
	ns_len = (size_t)(u1 - dirname);
	pod_len = (size_t)(u2 - u1 - 1);
	if (!dns_label(dirname, ns_len) || !dns_subdomain(u1 + 1, pod_len))
		return -ENOENT;
	memcpy(ns, dirname, ns_len);
	ns[ns_len] = '\0';
	memcpy(pod, u1 + 1, pod_len);
	pod[pod_len] = '\0';
	return 0;
}
