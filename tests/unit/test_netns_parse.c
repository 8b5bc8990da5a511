/* The pure parsers behind the netns identity labels: /proc/PID/cgroup paths
 * (a table of real ones from Kubernetes nodes, Docker and Podman hosts, and
 * hostile ones), /var/log/pods directory names and Docker's config.v2.json. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netns/cgroup_path.h"
#include "netns/docker_config.h"
#include "netns/nerdctl_names.h"
#include "netns/podman_store.h"
#include "netns/pod_logs.h"

/* IDs from the public reports the paths below are quoted from. */
#define CID_A "34dc0b5e626f2c5c4c5170e34b10e7654ce36f0fcd532739f4445baabea03376"
#define CID_B "5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c"
#define CID_C "ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459"
#define CID_D "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d"
#define CID_E "2521e906f0a0c758c3a7dc4fd68c197e32e96abb4b36807d0b0ede6d014a7c24"
#define CID_F "0ba8ac17e4e7a31fb82279503552fe94e64bab4745bf6fd2ff231e7c8ca8bed0"
#define CID_G "611a8d133d2c636e777745e4dbb1d5866a068fe0f6cc87033e52fe139fca5ba1"
#define CID_H "a3804295d867b752119eab99a9e6364fdf7fe6a4be5af0b11f9915fa7b64ff95"
#define CID_I "cf21d19260ace8544fe8b769fc2638bf2c0873dfbfff0b6253f0569b26a1d5eb"
#define CID_J "f58c1c55e72c336d11c6af795260b57f7597d62e4d16951086f754d2e9ce5114"
#define CID_K "468f848e2ebec7203ed55748d08337851af589ac42eb551c572446a5c68fe631"

struct cg_case {
	const char *what;
	const char *file;
	int ret;
	const char *pod_uid, *container, *unit;
};

static const struct cg_case cg_cases[] = {
	/* --- Kubernetes, systemd driver --- */
	{"v2 containerd burstable",
	 "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice/cri-containerd-" CID_C ".scope\n",
	 0, "0125ec2f-b64a-4868-8f5b-94b56cbab864", CID_C, ""},
	{"v2 containerd guaranteed (no QoS slice)",
	 "0::/kubepods.slice/kubepods-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice/cri-containerd-" CID_C ".scope\n",
	 0, "0125ec2f-b64a-4868-8f5b-94b56cbab864", CID_C, ""},
	{"v1 CRI-O burstable (runc#4620)",
	 "13:freezer:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poda5c1f8d5_1919_434d_add7_4afaafdaef89.slice/crio-" CID_B ".scope\n"
	 "12:cpuset:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poda5c1f8d5_1919_434d_add7_4afaafdaef89.slice/crio-" CID_B ".scope\n"
	 "11:files:/\n"
	 "1:name=systemd:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poda5c1f8d5_1919_434d_add7_4afaafdaef89.slice/crio-" CID_B ".scope\n",
	 0, "a5c1f8d5-1919-434d-add7-4afaafdaef89", CID_B, ""},
	{"v2 CRI-O sandbox without .scope (nri#227)",
	 "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod35550f44_f691_427e_b57d_ab6127d2cb65.slice/crio-" CID_K "\n",
	 0, "35550f44-f691-427e-b57d-ab6127d2cb65", CID_K, ""},
	{"v1 Docker runtime, pause container (pharos-cluster#440)",
	 "11:cpuacct,cpu:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod9692aa0e_748e_11e8_8dfa_76d458035df6.slice/docker-" CID_J ".scope\n"
	 "1:name=systemd:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod9692aa0e_748e_11e8_8dfa_76d458035df6.slice/docker-" CID_J ".scope\n",
	 0, "9692aa0e-748e-11e8-8dfa-76d458035df6", CID_J, ""},
	{"static pod: UID is the manifest's 32-hex hash (cri-o#9082)",
	 "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1864dd0546310be9937c37cf88024cb8.slice/crio-" CID_B ".scope\n",
	 0, "1864dd0546310be9937c37cf88024cb8", CID_B, ""},
	{"minikube: CRI-O node inside a Docker container (minikube#11280)",
	 "0::/docker/d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod2ca4a155_3599_498d_bb9d_4446693fa3ea.slice/crio-" CID_F ".scope\n",
	 0, "2ca4a155-3599-498d-bb9d-4446693fa3ea", CID_F, ""},
	{"kind: --cgroup-root=/kubelet, systemd driver",
	 "0::/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice/cri-containerd-" CID_C ".scope\n",
	 0, "0125ec2f-b64a-4868-8f5b-94b56cbab864", CID_C, ""},
	{"v1 containerd, systemd notation left unconverted (opentelemetry-java#4507)",
	 "11:perf_event:/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice:cri-containerd:" CID_C "\n"
	 "10:blkio:/system.slice/containerd.service/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice:cri-containerd:" CID_C "\n"
	 "1:name=systemd:/system.slice/containerd.service/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice:cri-containerd:" CID_C "\n",
	 0, "0125ec2f-b64a-4868-8f5b-94b56cbab864", CID_C, ""},
	{"reader in a cgroup namespace, systemd driver",
	 "0::/../../kubepods-besteffort.slice/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice/cri-containerd-" CID_C ".scope\n",
	 0, "0125ec2f-b64a-4868-8f5b-94b56cbab864", CID_C, ""},
	/* --- Kubernetes, cgroupfs driver --- */
	{"v1 besteffort (container-info fixture)",
	 "11:devices:/kubepods/besteffort/pod74c13223-5a00-11e9-b385-42010a80018d/" CID_A "\n"
	 "10:perf_event:/kubepods/besteffort/pod74c13223-5a00-11e9-b385-42010a80018d/" CID_A "\n"
	 "1:name=systemd:/kubepods/besteffort/pod74c13223-5a00-11e9-b385-42010a80018d/" CID_A "\n",
	 0, "74c13223-5a00-11e9-b385-42010a80018d", CID_A, ""},
	{"v1 burstable, memory only",
	 "6:memory:/kubepods/burstable/podfbc202d3-da21-11e8-ab5e-42010a80014b/0a1b22ec1361a97c3511db37a4bae932d41b22264e5b97611748f8b662312574\n",
	 0, "fbc202d3-da21-11e8-ab5e-42010a80014b", "0a1b22ec1361a97c3511db37a4bae932d41b22264e5b97611748f8b662312574", ""},
	{"v2 guaranteed under --cgroup-root=/kubelet (spire#2578)",
	 "0::/kubelet/kubepods/podc9eee628-98de-4c1c-8da3-b1c2bd380aab/" CID_H "\n",
	 0, "c9eee628-98de-4c1c-8da3-b1c2bd380aab", CID_H, ""},
	{"reader in a cgroup namespace, cgroupfs driver",
	 "0::/../../podc9eee628-98de-4c1c-8da3-b1c2bd380aab/" CID_H "\n",
	 0, "c9eee628-98de-4c1c-8da3-b1c2bd380aab", CID_H, ""},
	{"process in the pod cgroup itself (no container)",
	 "0::/kubepods/burstable/podc9eee628-98de-4c1c-8da3-b1c2bd380aab\n",
	 0, "c9eee628-98de-4c1c-8da3-b1c2bd380aab", "", ""},
	/* --- Docker, Podman --- */
	{"Docker, cgroupfs, hierarchy root (neuvector)",
	 "10:net_prio:/4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970\n"
	 "4:memory:/4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970\n",
	 0, "", "4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970", ""},
	{"Docker, systemd driver, CentOS (neuvector)",
	 "10:devices:/system.slice/docker-" CID_D ".scope\n"
	 "2:cpuacct,cpu:/system.slice/docker-" CID_D ".scope\n"
	 "1:name=systemd:/system.slice/docker-" CID_D ".scope\n",
	 0, "", CID_D, ""},
	{"Docker, cgroupfs, /docker/ID, name=systemd at / (kubernetes-mesos#565)",
	 "12:name=systemd:/\n"
	 "11:hugetlb:/docker/" CID_G "\n"
	 "10:net_prio:/docker/" CID_G "\n",
	 0, "", CID_G, ""},
	{"Docker v2",
	 "0::/system.slice/docker-" CID_D ".scope\n", 0, "", CID_D, ""},
	{"Podman hybrid, systemd inside (podman#10602)",
	 "12:pids:/machine.slice/libpod-" CID_E ".scope\n"
	 "1:name=systemd:/machine.slice/libpod-" CID_E ".scope/init.scope\n"
	 "0::/machine.slice/libpod-" CID_E ".scope\n",
	 0, "", CID_E, ""},
	{"Podman v2 under user@0.service (podman#20423)",
	 "0::/user.slice/user-0.slice/user@0.service/machine.slice/libpod-" CID_I ".scope/container\n",
	 0, "", CID_I, ""},
	{"Podman, cgroupfs manager",
	 "0::/libpod_parent/libpod-" CID_I "\n", 0, "", CID_I, ""},
	{"Podman pod, cgroupfs manager (podman 4.3 kube play, measured)",
	 "0::/libpod_parent/cf316d75d02e430836735bb027274f7f7dc2cba5fb7b9337d5bd7266488af419/libpod-" CID_I "\n"
	 "1:cpu:/libpod_parent/cf316d75d02e430836735bb027274f7f7dc2cba5fb7b9337d5bd7266488af419/libpod-" CID_I "\n",
	 0, "", CID_I, ""},
	{"nerdctl, systemd driver", "0::/system.slice/nerdctl-" CID_D ".scope\n", 0, "", CID_D, ""},
	{"nerdctl, v1 systemd notation", "4:pids:/system.slice:nerdctl:" CID_D "\n", 0, "", CID_D, ""},
	{"nerdctl, cgroupfs (containerd namespace as parent)", "0::/default/" CID_D "\n", 0, "", CID_D, ""},
	{"Docker in a pod: the inner container",
	 "0::/kubepods/burstable/podc9eee628-98de-4c1c-8da3-b1c2bd380aab/" CID_H "/docker/" CID_G "\n",
	 0, "c9eee628-98de-4c1c-8da3-b1c2bd380aab", CID_G, ""},
	{"kind node's container above the pod is not the pod's",
	 "0::/docker/" CID_G "/kubepods/burstable/podc9eee628-98de-4c1c-8da3-b1c2bd380aab\n",
	 0, "c9eee628-98de-4c1c-8da3-b1c2bd380aab", "", ""},
	/* --- systemd units --- */
	{"v2 service", "0::/system.slice/systemd-resolved.service\n", 0, "", "", "systemd-resolved.service"},
	{"hybrid service (v2 line first)",
	 "9:name=systemd:/system.slice/foo.service\n8:pids:/system.slice/foo.service\n0::/system.slice/foo.service\n",
	 0, "", "", "foo.service"},
	{"hybrid, unit only on the name=systemd line",
	 "1:name=systemd:/system.slice/app@blue.service\n0::/\n", 0, "", "", "app@blue.service"},
	{"unit below a delegated service: the deepest",
	 "0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-1234.scope\n",
	 0, "", "", "app-gnome-firefox-1234.scope"},
	{"controller lines never give a unit", "4:memory:/system.slice/foo.service\n0::/\n", 0, "", "", ""},
	{"containerd's own service", "0::/system.slice/containerd.service\n", 0, "", "", "containerd.service"},
	{"CRI-O conmon: pod, no container",
	 "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod35550f44_f691_427e_b57d_ab6127d2cb65.slice/crio-conmon-" CID_K ".scope\n",
	 0, "35550f44-f691-427e-b57d-ab6127d2cb65", "", ""},
	/* --- nothing to say --- */
	{"host root (this sandbox's own file)",
	 "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/fa0bad019b3a99ba7a51e2d0a05de151\n1:cpu:/\n0::/\n",
	 0, "", "", ""},
	{"pod<UID> without a kubepods ancestor",
	 "0::/pod74c13223-5a00-11e9-b385-42010a80018d/x\n", 0, "", "", ""},
	{"systemd pod slice outside kubepods",
	 "0::/machine.slice/machine-pod74c13223_5a00_11e9_b385_42010a80018d.slice\n", 0, "", "", ""},
	{"Podman pod slice (not a Kubernetes UID)",
	 "0::/machine.slice/machine-libpod_pod_3306fdd994c1cb91a40561734b731d8b8bc281f6fe0eb5061a961a3a640ba4d0.slice/libpod-" CID_I ".scope\n",
	 0, "", CID_I, ""},
	/* --- hostile --- */
	{"UID in upper case",
	 "0::/kubepods/besteffort/pod74C13223-5A00-11E9-B385-42010A80018D/" CID_A "\n", 0, "", CID_A, ""},
	{"UID one short",
	 "0::/kubepods/besteffort/pod74c13223-5a00-11e9-b385-42010a80018/" CID_A "\n", 0, "", CID_A, ""},
	{"UID one long",
	 "0::/kubepods/besteffort/pod74c13223-5a00-11e9-b385-42010a80018dd/" CID_A "\n", 0, "", CID_A, ""},
	{"UID with dashes in a systemd slice",
	 "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod74c13223-5a00-11e9-b385-42010a80018d.slice\n", 0, "", "", ""},
	{"UID with mixed separators",
	 "0::/kubepods/pod74c13223_5a00-11e9-b385-42010a80018d/" CID_A "\n", 0, "", CID_A, ""},
	{"UID groups misplaced",
	 "0::/kubepods/pod74c1322-35a00-11e9-b385-42010a80018d/" CID_A "\n", 0, "", CID_A, ""},
	{"static-pod hash one short",
	 "0::/kubepods.slice/kubepods-pod1864dd0546310be9937c37cf88024cb.slice\n", 0, "", "", ""},
	/* Not a container; still the name of the systemd scope the process is in. */
	{"container ID of 63 hex (truncated)",
	 "0::/system.slice/docker-9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3.scope\n", 0, "", "",
	 "docker-9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3.scope"},
	{"container ID of 65 hex",
	 "0::/system.slice/docker-" CID_D "0.scope\n", 0, "", "", "docker-" CID_D "0.scope"},
	{"container ID in upper case",
	 "0::/docker/611A8D133D2C636E777745E4DBB1D5866A068FE0F6CC87033E52FE139FCA5BA1\n", 0, "", "", ""},
	{"unknown runtime prefix",
	 "0::/system.slice/rkt-" CID_D ".scope\n", 0, "", "", "rkt-" CID_D ".scope"},
	{"odd bytes in a container component",
	 "0::/system.slice/docker-" CID_D "\xff.scope\n", 0, "", "", ""},
	{"odd bytes in a unit", "0::/system.slice/f\xc3\x28o.service\n", 0, "", "", ""},
	{"space in a unit", "0::/system.slice/foo bar.service\n", 0, "", "", ""},
	{"bare suffix is no unit", "0::/system.slice/.service\n", 0, "", "", ""},
	{"deleted cgroup: the pod stays, the scope no longer matches",
	 "0::/kubepods.slice/kubepods-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice/cri-containerd-" CID_C ".scope (deleted)\n",
	 0, "0125ec2f-b64a-4868-8f5b-94b56cbab864", "", ""},
	{"truncated mid-UID",
	 "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0125ec2f_b64a", 0, "", "", ""},
	{"truncated mid-line, after a good one",
	 "0::/system.slice/docker-" CID_D ".scope\n1:name=sys", 0, "", CID_D, ""},
	{"no trailing newline", "0::/docker/" CID_G, 0, "", CID_G, ""},
	{"CRLF line end", "0::/docker/" CID_G "\r\n", 0, "", "", ""},
	{"colon notation with an unknown runtime",
	 "0::/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice:rkt:" CID_C "\n",
	 0, "0125ec2f-b64a-4868-8f5b-94b56cbab864", "", ""},
	{"colons without an ID", "0::/a:b:c/x:y\n", 0, "", "", ""},
	{"non-numeric hierarchy", "x::/docker/" CID_G "\n", -EINVAL, "", "", ""},
	{"hierarchy 1 without controllers", "1::/docker/" CID_G "\n", -EINVAL, "", "", ""},
	{"relative path", "0::docker/" CID_G "\n", -EINVAL, "", "", ""},
	{"empty path", "0::\n", -EINVAL, "", "", ""},
	{"no colons", "/docker/" CID_G "\n", -EINVAL, "", "", ""},
	{"empty file", "", -EINVAL, "", "", ""},
	{"blank lines", "\n\n\n", -EINVAL, "", "", ""},
};

static void test_cgroup_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cg_cases) / sizeof(cg_cases[0]); i++) {
		const struct cg_case *c = &cg_cases[i];
		struct netns_cgroup cg;
		int rc = netns_cgroup_parse(c->file, strlen(c->file), &cg);

		if (rc != c->ret || strcmp(cg.pod_uid, c->pod_uid) || strcmp(cg.container_id, c->container) ||
		    strcmp(cg.unit, c->unit))
			fail_msg("%s: got rc %d pod_uid '%s' container '%s' unit '%s'", c->what, rc,
				 cg.pod_uid, cg.container_id, cg.unit);
	}
}

/* The length, not a NUL, ends the file; a NUL inside matches nothing. */
static void test_cgroup_bytes(void **state)
{
	static const char file[] = "0::/docker/" CID_G "\n0::/system.slice/x.service";
	static const char nul[] = "0::/docker/611a8d133d2c636e777745e4dbb1d5866a068fe0f6cc87033e52fe139fca5b\0a1\n";
	struct netns_cgroup cg;

	(void)state;
	assert_int_equal(netns_cgroup_parse(file, strlen("0::/docker/") + 64, &cg), 0);
	assert_string_equal(cg.container_id, CID_G);
	assert_int_equal(netns_cgroup_parse(file, strlen("0::/docker/") + 63, &cg), 0);
	assert_string_equal(cg.container_id, "");
	assert_int_equal(netns_cgroup_parse(nul, sizeof(nul) - 1, &cg), 0);
	assert_string_equal(cg.container_id, "");
	assert_int_equal(netns_cgroup_parse(NULL, 0, &cg), -EINVAL);
}

/* A path of PATH_MAX with the pod at the bottom; components past NAME_MAX;
 * a unit one byte longer than systemd allows. */
static void test_cgroup_long(void **state)
{
	char *buf = malloc(16384);
	size_t n = 0;
	struct netns_cgroup cg;

	(void)state;
	assert_non_null(buf);
	n += (size_t)sprintf(buf, "0::/kubepods.slice");
	while (n < 4000)
		n += (size_t)sprintf(buf + n, "/kubepods-x.slice");
	n += (size_t)sprintf(buf + n, "/kubepods-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice/cri-containerd-" CID_C ".scope\n");
	assert_int_equal(netns_cgroup_parse(buf, n, &cg), 0);
	assert_string_equal(cg.pod_uid, "0125ec2f-b64a-4868-8f5b-94b56cbab864");
	assert_string_equal(cg.container_id, CID_C);

	n = (size_t)sprintf(buf, "0::/system.slice/");
	memset(buf + n, 'a', 10000);
	n += 10000;
	n += (size_t)sprintf(buf + n, "-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice/x.service\n");
	assert_int_equal(netns_cgroup_parse(buf, n, &cg), 0);
	assert_string_equal(cg.pod_uid, "");
	assert_string_equal(cg.unit, "x.service");

	n = (size_t)sprintf(buf, "0::/system.slice/");
	memset(buf + n, 'u', NETNS_UNIT_MAX - strlen(".service"));
	n += NETNS_UNIT_MAX - strlen(".service");
	n += (size_t)sprintf(buf + n, ".service\n");
	assert_int_equal(netns_cgroup_parse(buf, n, &cg), 0);
	assert_int_equal(strlen(cg.unit), NETNS_UNIT_MAX);
	n = (size_t)sprintf(buf, "0::/system.slice/u");
	memset(buf + n, 'u', NETNS_UNIT_MAX - strlen(".service"));
	n += NETNS_UNIT_MAX - strlen(".service");
	n += (size_t)sprintf(buf + n, ".service\n");
	assert_int_equal(netns_cgroup_parse(buf, n, &cg), 0);
	assert_string_equal(cg.unit, "");
	free(buf);
}

static void test_pod_uid(void **state)
{
	char out[NETNS_POD_UID_MAX + 1];
	const char *u = "0125ec2f_b64a_4868_8f5b_94b56cbab864";

	(void)state;
	assert_int_equal(netns_pod_uid_parse(u, strlen(u), '_', out), 0);
	assert_string_equal(out, "0125ec2f-b64a-4868-8f5b-94b56cbab864");
	assert_int_equal(netns_pod_uid_parse(u, strlen(u), '-', out), -EINVAL);
	assert_int_equal(netns_pod_uid_parse("1864dd0546310be9937c37cf88024cb8", 32, '-', out), 0);
	assert_string_equal(out, "1864dd0546310be9937c37cf88024cb8");
	assert_int_equal(netns_pod_uid_parse("1864dd0546310be9937c37cf88024cbg", 32, '-', out), -EINVAL);
	assert_int_equal(netns_pod_uid_parse("", 0, '-', out), -EINVAL);
	/* 36 characters but separators where hex belongs. */
	assert_int_equal(netns_pod_uid_parse("0125ec2f-b64a-4868-8f5b-94b56cbab86-", 36, '-', out), -EINVAL);
}

#define UID "0125ec2f-b64a-4868-8f5b-94b56cbab864"

static void test_pod_logs(void **state)
{
	static const struct {
		const char *dir, *uid;
		int ret;
		const char *ns, *pod;
	} cases[] = {
		{"default_nginx-7c5ddbdf54-2xk9p_" UID, UID, 0, "default", "nginx-7c5ddbdf54-2xk9p"},
		{"kube-system_kube-apiserver-node1_1864dd0546310be9937c37cf88024cb8",
		 "1864dd0546310be9937c37cf88024cb8", 0, "kube-system", "kube-apiserver-node1"},
		{"monitoring_web.v2.example_" UID, UID, 0, "monitoring", "web.v2.example"},
		{"a_b_" UID, UID, 0, "a", "b"},
		{"default_nginx_" UID, "1864dd0546310be9937c37cf88024cb8", -ENOENT, "", ""},
		{UID, UID, -ENOENT, "", ""},                           /* the pre-1.14 layout */
		{"default_" UID, UID, -ENOENT, "", ""},
		{"default__" UID, UID, -ENOENT, "", ""},
		{"_nginx_" UID, UID, -ENOENT, "", ""},
		{"default_my_pod_" UID, UID, -ENOENT, "", ""},          /* '_' is not in a pod name */
		{"Default_nginx_" UID, UID, -ENOENT, "", ""},
		{"default_Nginx_" UID, UID, -ENOENT, "", ""},
		{"-default_nginx_" UID, UID, -ENOENT, "", ""},
		{"default_nginx-_" UID, UID, -ENOENT, "", ""},
		{"default_web..v2_" UID, UID, -ENOENT, "", ""},
		{"default_.web_" UID, UID, -ENOENT, "", ""},
		{"default_web._" UID, UID, -ENOENT, "", ""},
		{"default_ng\xc3\xa9_" UID, UID, -ENOENT, "", ""},
		{"default_nginx-" UID, UID, -ENOENT, "", ""},
		{"default_nginx_x" UID, UID, -ENOENT, "", ""},
		{"default_nginx_" UID "x", UID, -ENOENT, "", ""},
		{"default_nginx_" UID, "", -ENOENT, "", ""},
		{"", UID, -ENOENT, "", ""},
	};
	char ns[NETNS_K8S_NAMESPACE_MAX + 1], pod[NETNS_K8S_POD_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		strcpy(ns, "");
		strcpy(pod, "");
		rc = netns_pod_logs_match(cases[i].dir, cases[i].uid, ns, pod);
		if (rc != cases[i].ret || strcmp(ns, cases[i].ns) || strcmp(pod, cases[i].pod))
			fail_msg("'%s': got %d '%s' '%s'", cases[i].dir, rc, ns, pod);
	}
}

/* The length limits: namespace 63, pod name 253, labels 63. */
static void test_pod_logs_limits(void **state)
{
	char dir[600], ns[NETNS_K8S_NAMESPACE_MAX + 1], pod[NETNS_K8S_POD_MAX + 1];
	char label63[64], name253[254];

	(void)state;
	memset(label63, 'n', 63);
	label63[63] = '\0';
	/* 63 + '.' + 63 + '.' + 63 + '.' + 61 = 253 */
	snprintf(name253, sizeof(name253), "%s.%s.%s.%.*s", label63, label63, label63, 61, label63);
	assert_int_equal(strlen(name253), 253);

	snprintf(dir, sizeof(dir), "%s_%s_%s", label63, name253, UID);
	assert_int_equal(netns_pod_logs_match(dir, UID, ns, pod), 0);
	assert_string_equal(ns, label63);
	assert_string_equal(pod, name253);

	snprintf(dir, sizeof(dir), "%sn_p_%s", label63, UID);
	assert_int_equal(netns_pod_logs_match(dir, UID, ns, pod), -ENOENT);
	snprintf(dir, sizeof(dir), "ns_%sn_%s", name253, UID);
	assert_int_equal(netns_pod_logs_match(dir, UID, ns, pod), -ENOENT);
	snprintf(dir, sizeof(dir), "ns_%sn.p_%s", label63, UID);
	assert_int_equal(netns_pod_logs_match(dir, UID, ns, pod), -ENOENT);
}

#define DOCKER_ID "4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970"

/* Shaped like a real config.v2.json (trimmed): nested "Name" keys in the
 * mount points and a label whose value spells a top-level "Name". */
static const char docker_cfg[] =
	"{\"StreamConfig\":{},\"State\":{\"Running\":true,\"Pid\":4242,\"StartedAt\":\"2024-03-01T10:00:00Z\"},"
	"\"ID\":\"" DOCKER_ID "\",\"Created\":\"2024-03-01T09:59:59Z\",\"Managed\":false,"
	"\"Path\":\"nginx\",\"Args\":[\"-g\",\"daemon off;\"],"
	"\"Config\":{\"Hostname\":\"4f797c539e6c\",\"Env\":[\"Name=/env\"],"
	"\"Labels\":{\"evil\":\"\\\",\\\"Name\\\":\\\"/label\",\"Name\":\"/labelkey\"}},"
	"\"MountPoints\":{\"/data\":{\"Source\":\"/var/lib/docker/volumes/v/_data\",\"Destination\":\"/data\","
	"\"RW\":true,\"Name\":\"volname\",\"Driver\":\"local\"}},"
	"\"Name\":\"/web-1\",\"RestartCount\":0,\"Driver\":\"overlay2\"}";

/* The container-name parsers (Docker's config, containers/storage's list)
 * share a signature and these checks. */
typedef int (*name_parser)(const char *json, size_t len, const char *id, char *out, size_t cap);

struct name_case {
	const char *what, *json;
	int ret;
	const char *name;
};

static void run_name_cases(name_parser parse, const struct name_case *cases, size_t n)
{
	char name[128];

	for (size_t i = 0; i < n; i++) {
		int rc = parse(cases[i].json, strlen(cases[i].json), DOCKER_ID, name, sizeof(name));

		if (rc != cases[i].ret || strcmp(name, cases[i].name))
			fail_msg("%s: got %d '%s'", cases[i].what, rc, name);
	}
}

/* json names DOCKER_ID "abcd": a name that does not fit is no name (the
 * caller shows the ID); nesting far deeper than any file is an error, not
 * a stack overflow. */
static void check_fit_and_depth(name_parser parse, const char *json)
{
	size_t depth = 200000;
	char *buf = malloc(2 * depth);
	char name[64];

	assert_int_equal(parse(json, strlen(json), DOCKER_ID, name, 5), 0);
	assert_string_equal(name, "abcd");
	assert_int_equal(parse(json, strlen(json), DOCKER_ID, name, 4), -EINVAL);
	assert_string_equal(name, "");
	assert_non_null(buf);
	memset(buf, '[', depth);
	memset(buf + depth, ']', depth);
	assert_int_equal(parse(buf, 2 * depth, DOCKER_ID, name, sizeof(name)), -EINVAL);
	free(buf);
}

static void test_docker_name(void **state)
{
	static const struct name_case cases[] = {
		{"escaped slash", "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"\\/db_2.x\"}", 0, "db_2.x"},
		{"no leading slash", "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"db\"}", 0, "db"},
		{"other container's file", "{\"ID\":\"" CID_D "\",\"Name\":\"/db\"}", -EINVAL, ""},
		{"ID with a NUL", "{\"ID\":\"" DOCKER_ID "\\u0000x\",\"Name\":\"/db\"}", -EINVAL, ""},
		{"no ID", "{\"Name\":\"/db\"}", -EINVAL, ""},
		{"no Name", "{\"ID\":\"" DOCKER_ID "\"}", -EINVAL, ""},
		{"Name not a string", "{\"ID\":\"" DOCKER_ID "\",\"Name\":7}", -EINVAL, ""},
		{"empty Name", "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/\"}", -EINVAL, ""},
		{"space in Name", "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/web app\"}", -EINVAL, ""},
		{"Name starting with '-'", "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/-web\"}", -EINVAL, ""},
		{"NUL in Name", "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/we\\u0000b\"}", -EINVAL, ""},
		{"quote in Name", "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/we\\\"b\"}", -EINVAL, ""},
		{"non-ASCII Name", "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/w\\u00e9b\"}", -EINVAL, ""},
		{"duplicate Name", "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/a\",\"Name\":\"/b\"}", -EINVAL, ""},
		{"array", "[{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/db\"}]", -EINVAL, ""},
		{"truncated", "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/db", -EINVAL, ""},
		{"trailing junk", "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/db\"} x", -EINVAL, ""},
		{"invalid UTF-8", "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/d\xff\"}", -EINVAL, ""},
		{"empty", "", -EINVAL, ""},
	};
	char name[128];

	(void)state;
	assert_int_equal(netns_docker_name_parse(docker_cfg, strlen(docker_cfg), DOCKER_ID, name, sizeof(name)), 0);
	assert_string_equal(name, "web-1");
	/* Cut anywhere, the file gives no name and no crash. */
	for (size_t n = 0; n < strlen(docker_cfg); n++)
		assert_int_equal(netns_docker_name_parse(docker_cfg, n, DOCKER_ID, name, sizeof(name)), -EINVAL);
	run_name_cases(netns_docker_name_parse, cases, sizeof(cases) / sizeof(cases[0]));
	check_fit_and_depth(netns_docker_name_parse, "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/abcd\"}");
}

/* containers/storage's containers.json as podman 4.3 wrote it
 * (tests/fixtures/podman: `podman run --name p1` and the pod "shop" of
 * `podman kube play`, its infra container and its container "web"). */
#define PM_P1 "4c2fa0fe83051f34fe414758af0b93ce16dfc4655ea839b524a365fec6a9f021"
#define PM_INFRA "d770a24f29a670f5c67c97195f092fa0e766f0b185d0620af8c6fb5502947643"
#define PM_WEB "bb6f34a3cd84f6c48ef32169da062f6adbf3a2bfe44e84cb7d46536034071799"

static char *read_fixture(const char *rel, size_t *len)
{
	char path[512];
	char *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, rel);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void test_podman_store(void **state)
{
	static const struct {
		const char *id, *name;
	} want[] = {{PM_P1, "p1"}, {PM_INFRA, "cf316d75d02e-infra"}, {PM_WEB, "shop-web"}};
	size_t len;
	char *json = read_fixture("podman/containers.json", &len);
	char name[128];

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(netns_podman_name_parse(json, len, want[i].id, name, sizeof(name)), 0);
		assert_string_equal(name, want[i].name);
	}
	assert_int_equal(netns_podman_name_parse(json, len, DOCKER_ID, name, sizeof(name)), -ENOENT);
	assert_string_equal(name, "");
	/* Cut anywhere, the list gives no name and no crash. */
	for (size_t n = 0; n < len; n++)
		assert_int_equal(netns_podman_name_parse(json, n, PM_WEB, name, sizeof(name)), -EINVAL);
	free(json);
}

static void test_podman_name(void **state)
{
#define E(rest) "{\"id\":\"" DOCKER_ID "\"" rest "}"
	static const struct name_case cases[] = {
		{"first of several names", "[" E(",\"names\":[\"db-1\",\"db\"]") "]", 0, "db-1"},
		{"among others", "[{\"id\":\"" CID_D "\",\"names\":[\"x\"]}," E(",\"names\":[\"db\"]") "]", 0, "db"},
		{"names before id, unknown keys", "[{\"names\":[\"db\"],\"z\":{\"names\":[1]},\"id\":\"" DOCKER_ID "\"}]", 0, "db"},
		{"empty list", "[]", -ENOENT, ""},
		{"other containers only", "[{\"id\":\"" CID_D "\",\"names\":[\"x\"]}]", -ENOENT, ""},
		{"id with a NUL (jansson refuses NULs)", "[{\"id\":\"" DOCKER_ID "\\u0000\",\"names\":[\"db\"]}]", -EINVAL, ""},
		{"id of another case", "[{\"id\":\"4F797C539E6C745DE61A93CA3FF892358ECBCACCD8414D5DB545C38428142970\",\"names\":[\"db\"]}]", -ENOENT, ""},
		{"the id twice", "[" E(",\"names\":[\"a\"]") "," E(",\"names\":[\"b\"]") "]", -EINVAL, ""},
		{"not an array", E(",\"names\":[\"db\"]"), -EINVAL, ""},
		{"an entry not an object", "[" E(",\"names\":[\"db\"]") ",7]", -EINVAL, ""},
		{"no names", "[" E("") "]", -EINVAL, ""},
		{"names empty", "[" E(",\"names\":[]") "]", -EINVAL, ""},
		{"names a string", "[" E(",\"names\":\"db\"") "]", -EINVAL, ""},
		{"name not a string", "[" E(",\"names\":[7]") "]", -EINVAL, ""},
		{"empty name", "[" E(",\"names\":[\"\"]") "]", -EINVAL, ""},
		{"slash in name", "[" E(",\"names\":[\"/db\"]") "]", -EINVAL, ""},
		{"space in name", "[" E(",\"names\":[\"d b\"]") "]", -EINVAL, ""},
		{"NUL in name", "[" E(",\"names\":[\"d\\u0000b\"]") "]", -EINVAL, ""},
		{"newline in name", "[" E(",\"names\":[\"d\\nb\"]") "]", -EINVAL, ""},
		{"non-ASCII name", "[" E(",\"names\":[\"d\\u00e9\"]") "]", -EINVAL, ""},
		{"duplicate key", "[" E(",\"names\":[\"a\"],\"names\":[\"b\"]") "]", -EINVAL, ""},
		{"trailing junk", "[" E(",\"names\":[\"db\"]") "] x", -EINVAL, ""},
		{"invalid UTF-8", "[" E(",\"names\":[\"d\xff\"]") "]", -EINVAL, ""},
		{"empty", "", -EINVAL, ""},
	};
#undef E

	(void)state;
	run_name_cases(netns_podman_name_parse, cases, sizeof(cases) / sizeof(cases[0]));
	check_fit_and_depth(netns_podman_name_parse, "[{\"id\":\"" DOCKER_ID "\",\"names\":[\"abcd\"]}]");
}

static void test_nerdctl_names(void **state)
{
	static const struct {
		const char *what, *name, *content;
		int ret;
	} cases[] = {
		{"as nerdctl writes it", "web-1", DOCKER_ID, 0},
		{"trailing newline", "web_1.x", DOCKER_ID "\n", 0},
		{"surrounding spaces", "w", "  " DOCKER_ID " \t", 0},
		{"76 characters", "a123456789012345678901234567890123456789012345678901234567890123456789012345", DOCKER_ID, 0},
		{"77 characters", "a1234567890123456789012345678901234567890123456789012345678901234567890123456", DOCKER_ID, -ENOENT},
		{"another container", "web", CID_D, -ENOENT},
		{"ID cut short", "web", "4f797c539e6c", -ENOENT},
		{"ID and more", "web", DOCKER_ID "0", -ENOENT},
		{"ID and a second line", "web", DOCKER_ID "\nx", -ENOENT},
		{"empty file", "web", "", -ENOENT},
		{"empty name", "", DOCKER_ID, -ENOENT},
		{"name starting with '-'", "-web", DOCKER_ID, -ENOENT},
		{"name ending with '.'", "web.", DOCKER_ID, -ENOENT},
		{"two separators", "we..b", DOCKER_ID, -ENOENT},
		{"space in name", "we b", DOCKER_ID, -ENOENT},
		{"non-ASCII name", "w\xc3\xa9" "b", DOCKER_ID, -ENOENT},
		{"lock file", ".lock", DOCKER_ID, -ENOENT},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = netns_nerdctl_name_match(cases[i].name, cases[i].content, strlen(cases[i].content),
						  DOCKER_ID);

		if (rc != cases[i].ret)
			fail_msg("%s: got %d", cases[i].what, rc);
	}
	/* A NUL inside: not the ID. */
	assert_int_equal(netns_nerdctl_name_match("web", DOCKER_ID "\0", 65, DOCKER_ID), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup_table),
		cmocka_unit_test(test_cgroup_bytes),
		cmocka_unit_test(test_cgroup_long),
		cmocka_unit_test(test_pod_uid),
		cmocka_unit_test(test_pod_logs),
		cmocka_unit_test(test_pod_logs_limits),
		cmocka_unit_test(test_docker_name),
		cmocka_unit_test(test_podman_store),
		cmocka_unit_test(test_podman_name),
		cmocka_unit_test(test_nerdctl_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
