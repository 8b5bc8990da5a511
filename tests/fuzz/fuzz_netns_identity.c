/* The netns collector's identity parsers, all over files of other programs
 * on the node: /proc/PID/cgroup, kubelet log directory names, Docker's
 * config.v2.json, containers/storage's containers.json (Podman, CRI-O) and
 * nerdctl's name-store files.
 * Each input goes through every parser; for the JSON ones the container ID
 * asked for is one the seeds contain, so the matching entry is reached. */
#include "fuzz.h"
#include "netns/cgroup_path.h"
#include "netns/docker_config.h"
#include "netns/nerdctl_names.h"
#include "netns/pod_logs.h"
#include "netns/podman_store.h"

/* The IDs of tests/fuzz/seeds/netns_identity and tests/fixtures/podman. */
static const char *const ids[] = {
	"4c2fa0fe83051f34fe414758af0b93ce16dfc4655ea839b524a365fec6a9f021",
	"bb6f34a3cd84f6c48ef32169da062f6adbf3a2bfe44e84cb7d46536034071799",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char *s = fuzz_cstr(data, size);
	char name[128], ns[NETNS_K8S_NAMESPACE_MAX + 1], pod[NETNS_K8S_POD_MAX + 1];
	char uid[NETNS_POD_UID_MAX + 1];
	struct netns_cgroup cg;

	if (!s)
		return 0;
	netns_cgroup_parse(text, size, &cg);
	netns_pod_uid_parse(text, size, '-', uid);
	netns_pod_logs_match(s, "0125ec2f-b64a-4868-8f5b-94b56cbab864", ns, pod);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		netns_docker_name_parse(text, size, ids[i], name, sizeof(name));
		netns_podman_name_parse(text, size, ids[i], name, sizeof(name));
		netns_nerdctl_name_match("web-1", text, size, ids[i]);
		netns_nerdctl_name_match(s, ids[i], strlen(ids[i]), ids[i]);
	}
	free(s);
	return 0;
}
