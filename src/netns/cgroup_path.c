/* netns/cgroup_path: pod UID, container ID and unit from /proc/PID/cgroup.
 *
 * Each line is "HIERARCHY-ID:CONTROLLERS:PATH". The PATH components are
 * matched one by one against the shapes the runtimes create, deepest match
 * winning:
 *
 *   pod (systemd driver)   ...kubepods...-pod<UID with '_'>.slice
 *   pod (cgroupfs driver)  pod<UID>, below a component naming kubepods
 *   container              <64 hex>                  cgroupfs: /docker/ID, /kubepods/.../podUID/ID
 *                          docker-<64 hex>[.scope]   Docker, systemd driver
 *                          cri-containerd-<64 hex>[.scope]
 *                          crio-<64 hex>[.scope]     CRI-O (sandboxes without .scope)
 *                          libpod-<64 hex>[.scope]   Podman
 *                          nerdctl-<64 hex>.scope    nerdctl, systemd driver
 *                          <slice>:<runtime>:<64 hex> (containerd and CRI-O on
 *                          cgroup v1 with the systemd driver leave systemd's
 *                          "slice:prefix:name" notation unconverted)
 *   unit                   the deepest *.service or *.scope component
 *
 * A container found above the pod component is not the pod's (a kind node's
 * container holding the kubelet), so a pod match forgets it. Relative paths
 * ("/../../pod<UID>/ID", what a reader in a cgroup namespace sees of a
 * process outside it) hide the kubepods ancestor: ".." stands in for it,
 * because the exporter in a cgroup namespace is itself a pod.
 *
 * The lines are tried in order of trust: the v2 line ("0::PATH", systemd's
 * tree on hybrid hosts), then v1 name=systemd, then the other v1 controllers
 * in file order. The first line that names a pod or a container gives both;
 * the unit comes only from the first two (they are systemd's own tree) and
 * only when there is neither pod nor container (the unit then is the
 * runtime's scope or the runtime's own service, which says nothing new). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "netns/cgroup_path.h"

enum line_rank {
	RANK_V2 = 0,
	RANK_SYSTEMD,
	RANK_CONTROLLER,
	RANK_COUNT
};

static bool is_lhex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool all_lhex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_lhex(s[i]))
			return false;
	return true;
}

static bool has_prefix(const char *s, size_t n, const char *p)
{
	size_t pn = strlen(p);

	return n >= pn && memcmp(s, p, pn) == 0;
}

static bool has_suffix(const char *s, size_t n, const char *suf)
{
	size_t sn = strlen(suf);

	return n >= sn && memcmp(s + n - sn, suf, sn) == 0;
}

int netns_pod_uid_parse(const char *s, size_t n, char sep, char out[NETNS_POD_UID_MAX + 1])
{
	static const size_t groups[] = {8, 4, 4, 4, 12};
	size_t at = 0;

	if (n == 32 && all_lhex(s, n)) {
		memcpy(out, s, n);
		out[n] = '\0';
		return 0;
	}
	if (n != NETNS_POD_UID_MAX)
		return -EINVAL;
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		if (g > 0 && s[at++] != sep)
			return -EINVAL;
		if (!all_lhex(s + at, groups[g]))
			return -EINVAL;
		at += groups[g];
	}
	for (size_t i = 0; i < n; i++)
		out[i] = s[i] == sep ? '-' : s[i];
	out[n] = '\0';
	return 0;
}

/* The 64-hex ID of a container component, "docker-ID.scope" and the like. */
static bool container_component(const char *c, size_t n, char id[NETNS_CONTAINER_ID_LEN + 1])
{
	static const char *const prefixes[] = {"",      "docker-", "cri-containerd-",
					       "crio-", "libpod-", "nerdctl-"};

	if (has_suffix(c, n, ".scope"))
		n -= strlen(".scope");
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pn = strlen(prefixes[i]);

		if (n == pn + NETNS_CONTAINER_ID_LEN && has_prefix(c, n, prefixes[i]) &&
		    all_lhex(c + pn, NETNS_CONTAINER_ID_LEN)) {
			memcpy(id, c + pn, NETNS_CONTAINER_ID_LEN);
			id[NETNS_CONTAINER_ID_LEN] = '\0';
			return true;
		}
	}
	return false;
}

/* "RUNTIME:ID", the tail of the unconverted systemd notation. */
static bool colon_container(const char *c, size_t n, char id[NETNS_CONTAINER_ID_LEN + 1])
{
	static const char *const runtimes[] = {"cri-containerd:", "crio:", "docker:", "nerdctl:"};

	for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		size_t rn = strlen(runtimes[i]);

		if (n == rn + NETNS_CONTAINER_ID_LEN && has_prefix(c, n, runtimes[i]) &&
		    all_lhex(c + rn, NETNS_CONTAINER_ID_LEN)) {
			memcpy(id, c + rn, NETNS_CONTAINER_ID_LEN);
			id[NETNS_CONTAINER_ID_LEN] = '\0';
			return true;
		}
	}
	return false;
}

/* "...kubepods...-pod<UID with '_'>.slice" (systemd escapes '-' as '_'). */
static bool systemd_pod(const char *c, size_t n, char uid[NETNS_POD_UID_MAX + 1])
{
	const char *p = NULL;

	if (!has_suffix(c, n, ".slice") || !memmem(c, n, "kubepods", 8))
		return false;
	n -= strlen(".slice");
	for (const char *q = c; (q = memmem(q, n - (size_t)(q - c), "-pod", 4)) != NULL; q++)
		p = q;
	if (p == NULL)
		return false;
	p += 4;
	return netns_pod_uid_parse(p, n - (size_t)(p - c), '_', uid) == 0;
}

static bool unit_component(const char *c, size_t n)
{
	size_t sn;

	if (has_suffix(c, n, ".service"))
		sn = strlen(".service");
	else if (has_suffix(c, n, ".scope"))
		sn = strlen(".scope");
	else
		return false;
	if (n == sn || n > NETNS_UNIT_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = c[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      strchr(":_.\\@-", ch)))
			return false;
	}
	return true;
}

/* Matches the components of one PATH (n bytes). */
static void scan_path(const char *path, size_t n, struct netns_cgroup *r)
{
	const char *end = path + n, *c = path;
	bool above = false; /* a kubepods (or hidden, "..") ancestor seen */
	size_t unit_len = 0;

	memset(r, 0, sizeof(*r));
	while (c < end) {
		const char *slash = memchr(c, '/', (size_t)(end - c));
		size_t cn = (size_t)((slash ? slash : end) - c);
		const char *colon = memchr(c, ':', cn);
		size_t head = colon ? (size_t)(colon - c) : cn;
		char uid[NETNS_POD_UID_MAX + 1];

		if ((cn == 2 && memcmp(c, "..", 2) == 0) || memmem(c, head, "kubepods", 8))
			above = true;
		if (systemd_pod(c, head, uid) ||
		    (above && head > 3 && has_prefix(c, head, "pod") &&
		     netns_pod_uid_parse(c + 3, head - 3, '-', uid) == 0)) {
			memcpy(r->pod_uid, uid, sizeof(uid));
			r->container_id[0] = '\0';
		}
		if (colon)
			colon_container(colon + 1, cn - head - 1, r->container_id);
		else
			container_component(c, cn, r->container_id);
		if (!colon && unit_component(c, cn)) {
			memcpy(r->unit, c, cn);
			unit_len = cn;
		}
		c += cn + 1;
	}
	r->unit[unit_len] = '\0';
}

/* Splits one line; returns its rank, or -1 when it is not a cgroup line. */
static int split_line(const char *l, size_t n, const char **path, size_t *path_len)
{
	const char *c1 = memchr(l, ':', n), *c2, *ctl;
	size_t ctl_len;

	if (c1 == NULL || c1 == l)
		return -1;
	for (const char *p = l; p < c1; p++)
		if (*p < '0' || *p > '9')
			return -1;
	ctl = c1 + 1;
	c2 = memchr(ctl, ':', n - (size_t)(ctl - l));
	if (c2 == NULL)
		return -1;
	ctl_len = (size_t)(c2 - ctl);
	*path = c2 + 1;
	*path_len = n - (size_t)(*path - l);
	if (*path_len == 0 || **path != '/')
		return -1;
	if (ctl_len == 0)
		return c1 - l == 1 && l[0] == '0' ? RANK_V2 : -1;
	for (const char *p = ctl; p < c2;) {
		const char *comma = memchr(p, ',', (size_t)(c2 - p));
		size_t en = (size_t)((comma ? comma : c2) - p);

		if (en == strlen("name=systemd") && memcmp(p, "name=systemd", en) == 0)
			return RANK_SYSTEMD;
		p += en + 1;
	}
	return RANK_CONTROLLER;
}

int netns_cgroup_parse(const char *buf, size_t len, struct netns_cgroup *out)
{
	bool any = false, found = false;

	memset(out, 0, sizeof(*out));
	for (int rank = 0; rank < RANK_COUNT && !found; rank++) {
		const char *l = buf, *end = buf + len;

		while (l < end && !found) {
			const char *nl = memchr(l, '\n', (size_t)(end - l));
			size_t ln = (size_t)((nl ? nl : end) - l);
			const char *path;
			size_t path_len;
			struct netns_cgroup r;

			if (split_line(l, ln, &path, &path_len) == rank) {
				any = true;
				scan_path(path, path_len, &r);
				if (r.pod_uid[0] || r.container_id[0]) {
					memcpy(out->pod_uid, r.pod_uid, sizeof(r.pod_uid));
					memcpy(out->container_id, r.container_id, sizeof(r.container_id));
					found = true;
				} else if (rank != RANK_CONTROLLER && !out->unit[0]) {
					memcpy(out->unit, r.unit, sizeof(r.unit));
				}
			}
			l += ln + 1;
		}
	}
	if (found)
		out->unit[0] = '\0';
	return any ? 0 : -EINVAL;
}
