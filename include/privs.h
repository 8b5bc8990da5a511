/* privs: least privilege after start.
 *
 * main() calls privs_drop() once, before any thread starts (capabilities are
 * per thread, and threads inherit them), so the whole process keeps only the
 * capabilities its enabled features use:
 *   - CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to attribute sockets to
 *     programs (reading other users' /proc/PID/fd; see docs/deploy.md): the
 *     processes collector, and the connections explorer
 *     (--web.enable-connections), which shows each socket's program;
 *   - CAP_SYS_ADMIN (setns into other network namespaces) and CAP_SYS_PTRACE
 *     (other users' /proc/PID/ns/net) when the netns collector is on (see
 *     docs/netns.md);
 *   - CAP_NET_BIND_SERVICE when a listen port is below 1024 (to bind it);
 *   - CAP_BPF and CAP_PERFMON (loading the BPF programs and reading their
 *     maps) and CAP_NET_ADMIN (the cgroup_skb program) when the events
 *     collector is on (see docs/events.md);
 * and nothing else: sock_diag in the exporter's own network namespace, the
 * /proc/net counters and the sysctls need no capability. Capabilities the
 * process did not have are not gained. The bounding and ambient sets are
 * emptied of everything else, and no_new_privs is set, so nothing the process
 * could run would get more. */
#ifndef NETSTAT_PRIVS_H
#define NETSTAT_PRIVS_H

#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/strbuf.h"

#ifndef CAP_PERFMON /* kernel headers before 5.8 */
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* The features that need a capability. */
enum privs_feature {
	PRIVS_PROCESSES = 0, /* the processes collector: attribution */
	PRIVS_EXPLORER,      /* --web.enable-connections: attribution */
	PRIVS_NETNS,         /* the netns collector: setns, /proc/PID/ns/net */
	PRIVS_LOW_PORT,      /* a listen port below 1024 */
	PRIVS_EVENTS,        /* the events collector: BPF programs and maps */
	PRIVS_FEATURE_COUNT
};

struct privs_need {
	bool on[PRIVS_FEATURE_COUNT]; /* indexed by enum privs_feature */
};

/* The capability mask (bit n: capability n) the enabled features need.
 * Appends to why, when not NULL, which features need which, e.g.
 * "processes collector, connections explorer: cap_sys_ptrace,cap_dac_read_search
 * (other users' /proc/PID/fd: ...)", groups joined by "; ". Pure. */
uint64_t privs_wanted(const struct privs_need *need, struct strbuf *why);

/* Drops every other capability from the calling thread (call it while it is
 * the only thread). Appends the capabilities kept to kept ("none" if none),
 * then "; why: " and privs_wanted's why when any is kept. 0 or a negative
 * errno. */
int privs_drop(const struct privs_need *need, struct strbuf *kept);

/* Whether the calling thread has capability cap (CAP_*) in its effective set. */
bool privs_has(int cap);

#endif
