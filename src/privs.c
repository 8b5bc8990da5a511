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

#define CAP(c) (1ull << (c))
#define ATTRIBUTION (CAP(CAP_SYS_PTRACE) | CAP(CAP_DAC_READ_SEARCH))

/* What each feature needs, and why. Features with the same need and purpose
 * are said together. */
static const struct {
	const char *name;
	uint64_t caps;
	const char *purpose;
} features[PRIVS_FEATURE_COUNT] = {
	[PRIVS_PROCESSES] = {"processes collector", ATTRIBUTION, "other users' /proc/PID/fd: which program holds a socket"},
	[PRIVS_EXPLORER] = {"connections explorer", ATTRIBUTION,
			    "other users' /proc/PID/fd: which program holds a socket"},
	[PRIVS_NETNS] = {"netns collector", CAP(CAP_SYS_ADMIN) | CAP(CAP_SYS_PTRACE),
			 "setns, other users' /proc/PID/ns/net"},
	[PRIVS_LOW_PORT] = {"listen port below 1024", CAP(CAP_NET_BIND_SERVICE), "bind"},
	[PRIVS_EVENTS] = {"events collector", CAP(CAP_BPF) | CAP(CAP_PERFMON) | CAP(CAP_NET_ADMIN),
			  "load BPF programs, read their maps, attach to the cgroup root"},
};

static void append_caps(struct strbuf *sb, uint64_t caps)
{
	int n = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (caps & CAP(names[i].cap))
			sb_printf(sb, "%s%s", n++ ? "," : "", names[i].name);
	if (!n)
		sb_puts(sb, "none");
}

uint64_t privs_wanted(const struct privs_need *need, struct strbuf *why)
{
	uint64_t want = 0;
	bool said[PRIVS_FEATURE_COUNT] = {false};
	int groups = 0;

	for (int f = 0; f < PRIVS_FEATURE_COUNT; f++) {
		if (!need->on[f] || said[f])
			continue;
		want |= features[f].caps;
		if (!why)
			continue;
		sb_puts(why, groups++ ? "; " : "");
		for (int g = f, n = 0; g < PRIVS_FEATURE_COUNT; g++) {
			if (!need->on[g] || features[g].caps != features[f].caps ||
			    strcmp(features[g].purpose, features[f].purpose) != 0)
				continue;
			said[g] = true;
			sb_printf(why, "%s%s", n++ ? ", " : "", features[g].name);
		}
		sb_puts(why, ": ");
		append_caps(why, features[f].caps);
		sb_printf(why, " (%s)", features[f].purpose);
	}
	return want;
}

int privs_drop(const struct privs_need *need, struct strbuf *kept)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	struct strbuf why;
	uint64_t want, have;
	int rc = 0;

	sb_init(&why);
	want = privs_wanted(need, &why);
	memset(d, 0, sizeof(d));
	if (cap_get(&h, d)) {
		rc = -errno;
		goto out;
	}
	have = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	want &= have;
	/* The bounding set first: dropping from it needs CAP_SETPCAP, which
	 * goes with the capset below. EINVAL: a capability this kernel lacks. */
	if (have & CAP(CAP_SETPCAP)) {
		for (int c = 0; c <= 63; c++) {
			if (want & CAP(c))
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
	append_caps(kept, want);
	if (want && why.buf)
		sb_printf(kept, "; why: %s", why.buf);
out:
	sb_fini(&why);
	return rc;
}
