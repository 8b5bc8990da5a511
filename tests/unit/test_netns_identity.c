/* netns_identify() on fixture trees built in a temp dir: a /proc with
 * PID/cgroup and PID/comm, a kubelet /var/log/pods, a Docker
 * /var/lib/docker/containers and a containers/storage root
 * (/var/lib/containers/storage) holding Podman 4.3's own containers.json
 * (tests/fixtures/podman). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "netns/identity.h"
#include "fixture_tree.h"

#define UID "0125ec2f-b64a-4868-8f5b-94b56cbab864"
#define UID_ "0125ec2f_b64a_4868_8f5b_94b56cbab864"
#define CID "ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459"

struct tree {
	struct fixture_tree ft; /* proc/, pods/, docker/, storage/ and nerdctl/ */
	char pods[96], docker[96], podman[96], nerdctl[96];
	int procfs_fd;
	struct netns_identity_opts opts;
};

static void add_proc(struct tree *t, int pid, const char *comm, const char *cgroup)
{
	char rel[32];

	ftree_mkdir(&t->ft, "proc/%d", pid);
	snprintf(rel, sizeof(rel), "proc/%d/comm", pid);
	ftree_put(&t->ft, rel, comm);
	snprintf(rel, sizeof(rel), "proc/%d/cgroup", pid);
	ftree_put(&t->ft, rel, cgroup);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	ftree_init(&t->ft);
	ftree_mkdir(&t->ft, "proc");
	ftree_mkdir(&t->ft, "pods");
	ftree_mkdir(&t->ft, "docker");
	t->procfs_fd = openat(t->ft.fd, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->procfs_fd >= 0);
	t->opts.pods_root = ftree_path(&t->ft, t->pods, sizeof(t->pods), "pods");
	t->opts.docker_root = ftree_path(&t->ft, t->docker, sizeof(t->docker), "docker");
	ftree_mkdir(&t->ft, "storage");
	ftree_mkdir(&t->ft, "nerdctl");
	t->opts.podman_root = ftree_path(&t->ft, t->podman, sizeof(t->podman), "storage");
	t->opts.nerdctl_root = ftree_path(&t->ft, t->nerdctl, sizeof(t->nerdctl), "nerdctl");
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;

	close(t->procfs_fd);
	ftree_fini(&t->ft);
	free(t);
	return 0;
}

static void test_pod(void **state)
{
	struct tree *t = *state;
	struct netns_identity id;

	add_proc(t, 100, "pause\n",
		 "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" CID ".scope\n");
	ftree_mkdir(&t->ft, "pods/default_nginx-7c5ddbdf54-2xk9p_" UID);
	ftree_mkdir(&t->ft, "pods/default_other_1864dd0546310be9937c37cf88024cb8");
	ftree_mkdir(&t->ft, "pods/kube-system_coredns-5d78c9869d-abcde_" "74c13223-5a00-11e9-b385-42010a80018d");
	assert_int_equal(netns_identify(t->procfs_fd, 100, &t->opts, &id), 0);
	assert_string_equal(id.pod_uid, UID);
	assert_string_equal(id.pod, "nginx-7c5ddbdf54-2xk9p");
	assert_string_equal(id.namespace_, "default");
	assert_string_equal(id.container, CID); /* containerd: no name without its API */
	assert_string_equal(id.unit, "");
	assert_string_equal(id.comm, "pause");

	/* Lookups switched off: the UID alone. */
	{
		struct netns_identity_opts off = {"", "", "", ""};

		assert_int_equal(netns_identify(t->procfs_fd, 100, &off, &id), 0);
		assert_string_equal(id.pod_uid, UID);
		assert_string_equal(id.pod, "");
		assert_string_equal(id.namespace_, "");
	}
	/* Two directories claim the UID: no guess. */
	ftree_mkdir(&t->ft, "pods/staging_nginx-7c5ddbdf54-2xk9p_" UID);
	assert_int_equal(netns_identify(t->procfs_fd, 100, &t->opts, &id), 0);
	assert_string_equal(id.pod_uid, UID);
	assert_string_equal(id.pod, "");
	assert_string_equal(id.namespace_, "");
}

static void test_pod_without_logs(void **state)
{
	struct tree *t = *state;
	struct netns_identity id;
	struct netns_identity_opts missing = {"/nonexistent/issue10i", "/nonexistent/issue10i",
						"/nonexistent/issue10i", "/nonexistent/issue10i"};

	add_proc(t, 101, "sleep\n", "0::/kubepods/burstable/pod" UID "/" CID "\n");
	assert_int_equal(netns_identify(t->procfs_fd, 101, &missing, &id), 0);
	assert_string_equal(id.pod_uid, UID);
	assert_string_equal(id.pod, "");
	assert_string_equal(id.namespace_, "");
	assert_string_equal(id.container, CID);
	assert_string_equal(id.comm, "sleep");
}

static void test_docker(void **state)
{
	struct tree *t = *state;
	struct netns_identity id;
	char long_name[200], json[512];

	add_proc(t, 200, "nginx\n", "0::/system.slice/docker-" CID ".scope\n");
	ftree_mkdir(&t->ft, "docker/" CID);
	ftree_put(&t->ft, "docker/" CID "/config.v2.json",
	    "{\"ID\":\"" CID "\",\"Name\":\"/web-1\",\"MountPoints\":{\"/d\":{\"Name\":\"vol\"}}}");
	assert_int_equal(netns_identify(t->procfs_fd, 200, &t->opts, &id), 0);
	assert_string_equal(id.container, "web-1");
	assert_string_equal(id.pod_uid, "");
	assert_string_equal(id.unit, "");
	assert_string_equal(id.comm, "nginx");

	/* A name longer than the label holds: the ID, not a cut name. */
	memset(long_name, 'n', 150);
	long_name[150] = '\0';
	snprintf(json, sizeof(json), "{\"ID\":\"" CID "\",\"Name\":\"/%s\"}", long_name);
	ftree_put(&t->ft, "docker/" CID "/config.v2.json", json);
	assert_int_equal(netns_identify(t->procfs_fd, 200, &t->opts, &id), 0);
	assert_string_equal(id.container, CID);

	/* Unreadable as JSON: the ID. */
	ftree_put(&t->ft, "docker/" CID "/config.v2.json", "{\"ID\":");
	assert_int_equal(netns_identify(t->procfs_fd, 200, &t->opts, &id), 0);
	assert_string_equal(id.container, CID);

	/* A FIFO where the file should be (no writer: a blocking open would
	 * hang), then a directory: the ID. */
	ftree_rm(&t->ft, "docker/" CID "/config.v2.json");
	assert_int_equal(mkfifoat(t->ft.fd, "docker/" CID "/config.v2.json", 0600), 0);
	assert_int_equal(netns_identify(t->procfs_fd, 200, &t->opts, &id), 0);
	assert_string_equal(id.container, CID);
	ftree_rm(&t->ft, "docker/" CID "/config.v2.json");
	ftree_mkdir(&t->ft, "docker/" CID "/config.v2.json");
	assert_int_equal(netns_identify(t->procfs_fd, 200, &t->opts, &id), 0);
	assert_string_equal(id.container, CID);
}

/* The IDs in tests/fixtures/podman/containers.json (podman 4.3: a container
 * p1, and the pod "shop" of `podman kube play`: its infra container and its
 * container web). */
#define PM_P1 "4c2fa0fe83051f34fe414758af0b93ce16dfc4655ea839b524a365fec6a9f021"
#define PM_INFRA "d770a24f29a670f5c67c97195f092fa0e766f0b185d0620af8c6fb5502947643"
#define PM_WEB "bb6f34a3cd84f6c48ef32169da062f6adbf3a2bfe44e84cb7d46536034071799"

static void test_podman(void **state)
{
	struct tree *t = *state;
	struct netns_identity id;
	char cmd[512];

	/* Two storage drivers' lists: the one that names the container wins. */
	ftree_mkdir(&t->ft, "storage/overlay-containers");
	ftree_mkdir(&t->ft, "storage/vfs-containers");
	ftree_mkdir(&t->ft, "storage/libpod");
	ftree_put(&t->ft, "storage/overlay-containers/containers.json", "[]");
	snprintf(cmd, sizeof(cmd), "cp '%s/podman/containers.json' '%s/vfs-containers/'", FIXTURES_DIR,
		 t->podman);
	assert_int_equal(system(cmd), 0);

	/* cgroupfs manager, a pod's infra container; systemd manager, a
	 * container of its own; the pod's container on cgroup v1. */
	add_proc(t, 500, "pause\n", "0::/libpod_parent/cf316d75d02e430836735bb027274f7f7dc2cba5fb7b9337d5bd7266488af419/libpod-" PM_INFRA "\n");
	add_proc(t, 501, "pause\n", "0::/machine.slice/libpod-" PM_P1 ".scope\n");
	add_proc(t, 502, "web\n", "1:name=systemd:/libpod_parent/cf316d75d02e430836735bb027274f7f7dc2cba5fb7b9337d5bd7266488af419/libpod-" PM_WEB "\n");
	assert_int_equal(netns_identify(t->procfs_fd, 500, &t->opts, &id), 0);
	assert_string_equal(id.container, "cf316d75d02e-infra");
	assert_string_equal(id.unit, "");
	assert_int_equal(netns_identify(t->procfs_fd, 501, &t->opts, &id), 0);
	assert_string_equal(id.container, "p1");
	assert_int_equal(netns_identify(t->procfs_fd, 502, &t->opts, &id), 0);
	assert_string_equal(id.container, "shop-web");

	/* A --rm container is in the volatile list. */
	add_proc(t, 503, "x\n", "0::/machine.slice/libpod-" CID ".scope\n");
	assert_int_equal(netns_identify(t->procfs_fd, 503, &t->opts, &id), 0);
	assert_string_equal(id.container, CID);
	ftree_put(&t->ft, "storage/overlay-containers/volatile-containers.json",
	    "[{\"id\":\"" CID "\",\"names\":[\"tmp-1\",\"alias\"],\"metadata\":\"{}\"}]");
	assert_int_equal(netns_identify(t->procfs_fd, 503, &t->opts, &id), 0);
	assert_string_equal(id.container, "tmp-1");

	/* Docker's name comes first when both know the ID. */
	ftree_mkdir(&t->ft, "docker/" PM_P1);
	ftree_put(&t->ft, "docker/" PM_P1 "/config.v2.json", "{\"ID\":\"" PM_P1 "\",\"Name\":\"/dockers\"}");
	assert_int_equal(netns_identify(t->procfs_fd, 501, &t->opts, &id), 0);
	assert_string_equal(id.container, "dockers");

	/* Lookup off, or a list that is not JSON: the ID. */
	{
		struct netns_identity_opts off = {t->pods, "", "", ""};

		assert_int_equal(netns_identify(t->procfs_fd, 500, &off, &id), 0);
		assert_string_equal(id.container, PM_INFRA);
	}
	ftree_put(&t->ft, "storage/vfs-containers/containers.json", "[{\"id\":");
	assert_int_equal(netns_identify(t->procfs_fd, 500, &t->opts, &id), 0);
	assert_string_equal(id.container, PM_INFRA);
}

/* nerdctl's name store: DATA_ROOT/<hash>/names/<namespace>/<name> holding
 * the ID. */
static void test_nerdctl(void **state)
{
	struct tree *t = *state;
	struct netns_identity id;

	ftree_mkdir(&t->ft, "nerdctl/1935db59");
	ftree_mkdir(&t->ft, "nerdctl/1935db59/names");
	ftree_mkdir(&t->ft, "nerdctl/1935db59/names/default");
	ftree_mkdir(&t->ft, "nerdctl/1935db59/names/k8s.io");
	ftree_mkdir(&t->ft, "nerdctl/1935db59/containers");
	ftree_mkdir(&t->ft, "nerdctl/0d8c2a1e"); /* another containerd, no names */
	ftree_put(&t->ft, "nerdctl/1935db59/names/default/.lock", CID);
	ftree_put(&t->ft, "nerdctl/1935db59/names/default/other", PM_P1);
	add_proc(t, 600, "nginx\n", "0::/system.slice/nerdctl-" CID ".scope\n");
	assert_int_equal(netns_identify(t->procfs_fd, 600, &t->opts, &id), 0);
	assert_string_equal(id.container, CID);
	ftree_put(&t->ft, "nerdctl/1935db59/names/k8s.io/web-1", CID);
	assert_int_equal(netns_identify(t->procfs_fd, 600, &t->opts, &id), 0);
	assert_string_equal(id.container, "web-1");
	/* Off. */
	{
		struct netns_identity_opts off = {t->pods, "", "", ""};

		assert_int_equal(netns_identify(t->procfs_fd, 600, &off, &id), 0);
		assert_string_equal(id.container, CID);
	}
}

static void test_unit_and_comm(void **state)
{
	struct tree *t = *state;
	struct netns_identity id;

	add_proc(t, 300, "resolve\x01\xff\n", "1:name=systemd:/system.slice/systemd-resolved.service\n0::/system.slice/systemd-resolved.service\n");
	assert_int_equal(netns_identify(t->procfs_fd, 300, NULL, &id), 0);
	assert_string_equal(id.unit, "systemd-resolved.service");
	assert_string_equal(id.container, "");
	assert_string_equal(id.pod_uid, "");
	assert_string_equal(id.comm, "resolve??");

	/* A cgroup file of no known shape: only comm. */
	add_proc(t, 301, "averyveryverylongcomm\n", "garbage\n");
	assert_int_equal(netns_identify(t->procfs_fd, 301, NULL, &id), 0);
	assert_string_equal(id.comm, "averyveryverylo");
	assert_string_equal(id.unit, "");
}

static void test_gone(void **state)
{
	struct tree *t = *state;
	struct netns_identity id;

	memset(&id, 'x', sizeof(id));
	assert_int_equal(netns_identify(t->procfs_fd, 999, &t->opts, &id), -ENOENT);
	assert_string_equal(id.comm, "");
	assert_string_equal(id.pod_uid, "");
	assert_int_equal(netns_identify(t->procfs_fd, 0, &t->opts, &id), -EINVAL);
	/* comm readable, cgroup gone (the process exited in between). */
	ftree_mkdir(&t->ft, "proc/400");
	ftree_put(&t->ft, "proc/400/comm", "x\n");
	memset(&id, 'x', sizeof(id));
	assert_int_equal(netns_identify(t->procfs_fd, 400, &t->opts, &id), -ENOENT);
	assert_string_equal(id.comm, "");
}

/* The real /proc: this process, whatever cgroup the machine put it in. */
static void test_real_proc(void **state)
{
	struct netns_identity id;
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(netns_identify(fd, getpid(), NULL, &id), 0);
	assert_string_equal(id.comm, "test_netns_iden");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pod, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pod_without_logs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_docker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_podman, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nerdctl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unit_and_comm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gone, setup, teardown),
		cmocka_unit_test(test_real_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
