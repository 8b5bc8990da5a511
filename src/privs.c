#include "privs.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc wraps neither capget nor capset; libcap is not worth a dependency
 * for two system calls. */
static int cap_get(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d)
{
	return (int)syscall(SYS_capget, h, d);
}

static int cap_set(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d)
{
	return (int)syscall(SYS_capset, h, d);
}

bool privs_has(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (cap < 0 || cap > 63 || cap_get(&h, d))
		return false;
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

static const struct {
	int cap;
	const char *name;
} names[] = {
	{CAP_SYS_PTRACE, "cap_sys_ptrace"},
	{CAP_DAC_READ_SEARCH, "cap_dac_read_search"},
	{CAP_NET_BIND_SERVICE, "cap_net_bind_service"},
	{CAP_SYS_ADMIN, "cap_sys_admin"},
	{CAP_NET_ADMIN, "cap_net_admin"},
	{CAP_PERFMON, "cap_perfmon"},
	{CAP_BPF, "cap_bpf"},
};

int privs_drop(const struct privs_need *need, struct strbuf *kept)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	uint64_t want = 0, have;
	int rc = 0, n = 0;

	if (need->attribution)
		want |= 1ull << CAP_SYS_PTRACE | 1ull << CAP_DAC_READ_SEARCH;
	if (need->netns)
		want |= 1ull << CAP_SYS_ADMIN | 1ull << CAP_SYS_PTRACE;
	if (need->events)
		want |= 1ull << CAP_BPF | 1ull << CAP_PERFMON | 1ull << CAP_NET_ADMIN;
	if (need->low_port)
		want |= 1ull << CAP_NET_BIND_SERVICE;
	memset(d, 0, sizeof(d));
	if (cap_get(&h, d)) {
		rc = -errno;
		goto out;
	}
	have = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	want &= have;
	/* The bounding set first: dropping from it needs CAP_SETPCAP, which
	 * goes with the capset below. EINVAL: a capability this kernel lacks. */
	if (have & 1ull << CAP_SETPCAP) {
		for (int c = 0; c <= 63; c++) {
			if (want & 1ull << c)
				continue;
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL) {
				rc = -errno;
				goto out;
			}
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		rc = -errno;
		goto out;
	}
	d[0].effective = d[0].permitted = (uint32_t)want;
	d[1].effective = d[1].permitted = (uint32_t)(want >> 32);
	d[0].inheritable = d[1].inheritable = 0;
	if (cap_set(&h, d)) {
		rc = -errno;
		goto out;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		rc = -errno;
		goto out;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (want & 1ull << names[i].cap)
			sb_printf(kept, "%s%s", n++ ? "," : "", names[i].name);
	if (!n)
		sb_puts(kept, "none");
out:
	return rc;
}
