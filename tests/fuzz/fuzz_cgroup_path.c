/* The /proc/PID/cgroup parser (pod UID, container ID, systemd unit) and the
 * pod UID rule on its own, with what each promises of its output checked:
 * a pod UID that the rule accepts again, a container ID of 64 lower-case hex
 * digits, a unit only without either, every field NUL-terminated. */
#include "fuzz.h"
#include "netns/cgroup_path.h"

static int lhex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct netns_cgroup cg;
	char uid[NETNS_POD_UID_MAX + 1], again[NETNS_POD_UID_MAX + 1];
	size_t n;

	memset(&cg, 0x5a, sizeof(cg));
	if (netns_cgroup_parse(text, size, &cg) == 0) {
		if (memchr(cg.pod_uid, '\0', sizeof(cg.pod_uid)) == NULL ||
		    memchr(cg.container_id, '\0', sizeof(cg.container_id)) == NULL ||
		    memchr(cg.unit, '\0', sizeof(cg.unit)) == NULL)
			abort();
		n = strlen(cg.pod_uid);
		if (n && netns_pod_uid_parse(cg.pod_uid, n, '-', again) != 0)
			abort();
		n = strlen(cg.container_id);
		if (n && (n != NETNS_CONTAINER_ID_LEN || !lhex(cg.container_id, n)))
			abort();
		if (cg.unit[0] && (cg.pod_uid[0] || cg.container_id[0]))
			abort();
	}
	for (int i = 0; i < 2; i++) {
		if (netns_pod_uid_parse(text, size, i ? '_' : '-', uid) == 0) {
			n = strlen(uid);
			if ((n != 36 && n != 32) || netns_pod_uid_parse(uid, n, '-', again) != 0 ||
			    strcmp(uid, again) != 0)
				abort();
		}
	}
	return 0;
}
