/* privs: least privilege after start.
 *
 * main() calls privs_drop() once, before any thread starts (capabilities are
 * per thread, and threads inherit them), so the whole process keeps only the
 * capabilities the enabled collectors use:
 *   - CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH when the processes collector is
 *     on (reading other users' /proc/PID/fd; see docs/deploy.md);
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

#include "util/strbuf.h"

#ifndef CAP_PERFMON /* kernel headers before 5.8 */
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

struct privs_need {
	bool attribution; /* the processes collector is enabled */
	bool netns;       /* the netns collector is enabled */
	bool low_port;    /* a listen port is below 1024 */
	bool events;      /* the events collector is enabled */
};

/* Drops every other capability from the calling thread (call it while it is
 * the only thread). Appends the capabilities kept to kept ("none" if none).
 * 0 or a negative errno. */
int privs_drop(const struct privs_need *need, struct strbuf *kept);

/* Whether the calling thread has capability cap (CAP_*) in its effective set. */
bool privs_has(int cap);

#endif
