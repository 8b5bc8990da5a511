/* The /var/log/pods directory-name parser: the input is "DIRNAME\nUID"
 * (each cut at its first NUL, as a directory name and a C string are). A
 * match gives a namespace and a pod name that fit and that, joined with the
 * UID, give the directory name back. */
#include "fuzz.h"
#include "netns/pod_logs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *uid;
	char ns[NETNS_K8S_NAMESPACE_MAX + 1], pod[NETNS_K8S_POD_MAX + 1];
	size_t nn, pn;

	if (!s)
		return 0;
	uid = strchr(s, '\n');
	if (uid)
		*uid++ = '\0';
	else
		uid = "";
	if (netns_pod_logs_match(s, uid, ns, pod) == 0) {
		if (strnlen(ns, sizeof(ns)) > NETNS_K8S_NAMESPACE_MAX ||
		    strnlen(pod, sizeof(pod)) > NETNS_K8S_POD_MAX)
			abort();
		nn = strlen(ns);
		pn = strlen(pod);
		if (strncmp(s, ns, nn) != 0 || s[nn] != '_' || strncmp(s + nn + 1, pod, pn) != 0 ||
		    s[nn + 1 + pn] != '_' || strcmp(s + nn + pn + 2, uid) != 0)
			abort();
	}
	free(s);
	return 0;
}
