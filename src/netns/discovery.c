/* netns/discovery: the network namespaces on the node. See netns/discovery.h. */
#include "netns/discovery.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "procfs/pid_parse.h"
#include "util/numbers.h"

void netns_list_init(struct netns_list *l)
{
	memset(l, 0, sizeof(*l));
}

void netns_list_fini(struct netns_list *l)
{
	free(l->v);
	free(l->m);
	memset(l, 0, sizeof(*l));
}

int netns_parse_link(const char *s, size_t len, uint64_t *ino)
{
	static const char pre[] = "net:[";
	const size_t plen = sizeof(pre) - 1;

	if (len < plen + 2 || memcmp(s, pre, plen) != 0 || s[len - 1] != ']' ||
	    num_parse_u64(s + plen, len - plen - 1, ino) < 0)
		return -EINVAL;
	return 0;
}

int netns_ino_of(int procfs_fd, int pid, uint64_t *ino)
{
	char path[32], link[64];
	ssize_t n;

	if (pid > 0)
		snprintf(path, sizeof(path), "%d/ns/net", pid);
	else
		snprintf(path, sizeof(path), "self/ns/net");
	n = readlinkat(procfs_fd, path, link, sizeof(link));
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(link))
		return -EINVAL;
	return netns_parse_link(link, (size_t)n, ino);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * elem);
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static int cmp_member(const void *a, const void *b)
{
	const struct netns_member *x = a, *y = b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int cmp_found(const void *a, const void *b)
{
	const struct netns_found *x = a, *y = b;

	return (x->ino > y->ino) - (x->ino < y->ino);
}

/* Start time of a process; -ENOENT when it is gone. */
static int start_of(int procfs_fd, int pid, uint64_t *start)
{
	char path[32], buf[1024];
	struct pid_stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%d/stat", pid);
	fd = openat(procfs_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	if (pid_parse_stat(buf, (size_t)n, &st) < 0)
		return -EINVAL;
	*start = st.starttime_ticks;
	return 0;
}

/* One namespace from the members [i, j) of the sorted walk. */
static void pick_oldest(int procfs_fd, const struct netns_member *m, size_t n,
			netns_hint_fn hint, void *hint_arg, struct netns_found *f)
{
	uint64_t hstart = 0;
	int hpid = hint ? hint(hint_arg, m[0].ino, &hstart) : 0;

	f->pid = 0;
	f->start = 0;
	if (hpid > 0) {
		/* Still a member? m is sorted by pid within the namespace. */
		size_t lo = 0, hi = n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (m[mid].pid == hpid) {
				f->pid = hpid;
				f->start = hstart;
				return;
			}
			if (m[mid].pid < hpid)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t st;
		if (start_of(procfs_fd, m[i].pid, &st) < 0)
			continue;
		/* Ties (same tick) go to the lower pid, which comes first. */
		if (f->pid == 0 || st < f->start) {
			f->pid = m[i].pid;
			f->start = st;
		}
	}
}

static int walk_procs(int procfs_fd, uint64_t skip_ino, struct netns_list *l)
{
	int dfd = openat(procfs_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;
	int ret = 0;

	l->mlen = 0;
	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (d == NULL) {
		ret = -errno;
		close(dfd);
		return ret;
	}
	while ((de = readdir(d)) != NULL) {
		int pid = pid_parse_pid(de->d_name);
		uint64_t ino = 0;

		if (pid <= 0 || netns_ino_of(procfs_fd, pid, &ino) < 0 || ino == skip_ino)
			continue; /* not a process, gone, or not ours to read */
		ret = grow((void **)&l->m, &l->mcap, l->mlen + 1, sizeof(*l->m));
		if (ret < 0)
			break;
		l->m[l->mlen++] = (struct netns_member){ino, pid};
	}
	closedir(d);
	return ret;
}

static int add_named(const char *run_dir, uint64_t skip_ino, struct netns_list *l, size_t nprocs_ns)
{
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (run_dir == NULL || (d = opendir(run_dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		struct netns_found key = {0}, *f;
		struct stat st;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= NETNS_NAME_MAX)
			continue;
		/* A bind mount of nsfs; a plain file left by a failed
		 * `ip netns add` is not one. */
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || st.st_nlink != 1 ||
		    !S_ISREG(st.st_mode) || st.st_size != 0)
			continue;
		if ((uint64_t)st.st_ino == skip_ino)
			continue;
		key.ino = st.st_ino;
		f = nprocs_ns ? bsearch(&key, l->v, nprocs_ns, sizeof(*l->v), cmp_found) : NULL;
		if (f == NULL) {
			/* No process: only reachable through the bind mount. Check
			 * that it is one (st_dev of nsfs differs from the tmpfs). */
			struct stat dst;
			if (fstat(dirfd(d), &dst) < 0 || dst.st_dev == st.st_dev)
				continue;
			ret = grow((void **)&l->v, &l->cap, l->len + 1, sizeof(*l->v));
			if (ret < 0)
				break;
			f = &l->v[l->len++];
			*f = key;
		}
		if (f->name[0] == '\0')
			snprintf(f->name, sizeof(f->name), "%s", de->d_name);
	}
	closedir(d);
	return ret;
}

int netns_discover(int procfs_fd, const char *run_dir, uint64_t skip_ino,
		   netns_hint_fn hint, void *hint_arg, struct netns_list *l)
{
	size_t nproc_ns;
	int ret;

	l->len = 0;
	ret = walk_procs(procfs_fd, skip_ino, l);
	if (ret < 0)
		goto out;
	if (l->mlen > 0)
		qsort(l->m, l->mlen, sizeof(*l->m), cmp_member);
	for (size_t i = 0; i < l->mlen;) {
		size_t j = i;
		struct netns_found *f;

		while (j < l->mlen && l->m[j].ino == l->m[i].ino)
			j++;
		ret = grow((void **)&l->v, &l->cap, l->len + 1, sizeof(*l->v));
		if (ret < 0)
			goto out;
		f = &l->v[l->len++];
		memset(f, 0, sizeof(*f));
		f->ino = l->m[i].ino;
		f->nprocs = (uint32_t)(j - i);
		pick_oldest(procfs_fd, l->m + i, j - i, hint, hint_arg, f);
		i = j;
	}
	nproc_ns = l->len;
	ret = add_named(run_dir, skip_ino, l, nproc_ns);
	if (ret < 0)
		goto out;
	if (l->len > 0)
		qsort(l->v, l->len, sizeof(*l->v), cmp_found);
out:
	return ret;
}
