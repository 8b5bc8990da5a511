/* netns/table: the namespaces kept and their handles. See netns/table.h. */
#include "netns/table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "events/live.h"
#include "log.h"

/* Seconds between two attempts to open a namespace that refused. */
#define REOPEN_SECONDS 60.0

/* The kernel's initial PID namespace (PROC_PID_INIT_INO). */
#define PID_NS_INIT "pid:[4026531836]"

static void entry_free(const struct netns_table *t, struct netns_entry *e)
{
	if (e == NULL)
		return;
	netns_handle_close(&e->h);
	events_live_forget(e->ino); /* gone: its live counts too */
	if (e->data && t->o.data_fini)
		t->o.data_fini(e->data);
	free(e->data);
	free(e);
}

static struct netns_entry *entry_new(const struct netns_table *t, uint64_t ino)
{
	struct netns_entry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->data = calloc(1, t->o.data_size ? t->o.data_size : 1);
	if (e->data == NULL) {
		free(e);
		return NULL;
	}
	if (t->o.data_init)
		t->o.data_init(e->data);
	e->ino = ino;
	e->first_seen = t->o.clock();
	netns_handle_init(&e->h);
	snprintf(e->label, sizeof(e->label), "%llu", (unsigned long long)ino);
	return e;
}

void netns_table_init(struct netns_table *t, const struct netns_table_opts *o)
{
	memset(t, 0, sizeof(*t));
	t->o = *o;
	netns_list_init(&t->found);
}

void netns_table_fini(struct netns_table *t)
{
	for (size_t i = 0; i < t->len; i++)
		entry_free(t, t->v[i]);
	free(t->v);
	t->v = NULL;
	t->len = 0;
	netns_list_fini(&t->found);
}

struct netns_entry *netns_table_find(const struct netns_table *t, uint64_t ino)
{
	size_t lo = 0, hi = t->len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid]->ino == ino)
			return t->v[mid];
		if (t->v[mid]->ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int hint(void *arg, uint64_t ino, uint64_t *start)
{
	const struct netns_entry *e = netns_table_find(arg, ino);

	if (e == NULL || e->pid <= 0)
		return 0;
	*start = e->start;
	return e->pid;
}

/* Brings t->v in line with t->found: new namespaces get an entry, those no
 * longer seen are freed. 0 or -ENOMEM (then nothing changed). */
static int sync_list(struct netns_table *t)
{
	const struct netns_list *f = &t->found;
	struct netns_entry **v = NULL;
	size_t old = 0;
	int ret = 0;

	v = calloc(f->len ? f->len : 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < f->len; i++) {
		struct netns_entry *e = netns_table_find(t, f->v[i].ino);

		if (e == NULL && (e = entry_new(t, f->v[i].ino)) == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		e->pid = f->v[i].pid;
		e->start = f->v[i].start;
		snprintf(e->name, sizeof(e->name), "%s", f->v[i].name);
		v[i] = e;
	}
	/* Both lists are sorted by ino: free what the new one lacks. */
	for (size_t i = 0; i < t->len; i++) {
		while (old < f->len && v[old]->ino < t->v[i]->ino)
			old++;
		if (old < f->len && v[old] == t->v[i])
			continue;
		entry_free(t, t->v[i]);
	}
	free(t->v);
	t->v = v;
	t->len = f->len;
	v = NULL;
out:
	if (v != NULL) {
		/* Undo: free only the entries made here. */
		for (size_t i = 0; i < f->len; i++)
			if (v[i] != NULL && netns_table_find(t, v[i]->ino) != v[i])
				entry_free(t, v[i]);
		free(v);
	}
	return ret;
}

static void open_new(struct netns_table *t, int procfs_fd)
{
	struct netns_open_req *reqs = calloc(t->len ? t->len : 1, sizeof(*reqs));
	double now = t->o.clock();
	size_t n = 0;

	if (reqs == NULL)
		return;
	for (size_t i = 0; i < t->len; i++) {
		struct netns_entry *e = t->v[i];

		if (netns_handle_ok(&e->h))
			continue;
		/* A refusal (no capability) is retried once a minute, not
		 * every scrape; a socket that died, or a pid that moved on, at
		 * once. */
		if ((e->h.err == -EPERM || e->h.err == -EACCES) && now - e->open_time < REOPEN_SECONDS)
			continue;
		netns_handle_close(&e->h);
		e->open_time = now;
		reqs[n++] = (struct netns_open_req){e->ino, e->pid, e->name[0] ? e->name : NULL, &e->h};
	}
	if (netns_open_all(procfs_fd, t->o.procfs, t->o.run_dir, reqs, n) < 0)
		log_msg(LOG_WARN, "netns: cannot start the thread that enters namespaces");
	for (size_t i = 0; i < n; i++) {
		int e = reqs[i].h->err;

		if ((e == -EPERM || e == -EACCES) && !t->warned_open) {
			log_msg(LOG_WARN, "netns: cannot enter network namespaces (%s): the per-namespace "
				"socket census needs CAP_SYS_ADMIN (setns) and CAP_SYS_PTRACE; counters "
				"and sockstat are still exported", strerror(-e));
			t->warned_open = true;
		}
		if (e < 0)
			log_msg(LOG_DEBUG, "netns: cannot open namespace %llu: %s",
				(unsigned long long)reqs[i].ino, strerror(-e));
	}
	free(reqs);
}

static void identify(struct netns_table *t, int procfs_fd)
{
	for (size_t i = 0; i < t->len; i++) {
		struct netns_entry *e = t->v[i];

		if (e->pid == e->id_pid)
			continue;
		memset(&e->id, 0, sizeof(e->id));
		e->id_pid = e->pid;
		if (e->pid > 0 && netns_identify(procfs_fd, e->pid, &t->o.id, &e->id) < 0)
			memset(&e->id, 0, sizeof(e->id));
	}
}

/* The exporter's own namespace's tcp_ehash_entries; 0: unknown. */
static int read_self_ehash(int procfs_fd)
{
	char buf[32];
	ssize_t n;
	int fd, v = 0;

	fd = openat(procfs_fd, "sys/net/ipv4/tcp_ehash_entries", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0 || netns_parse_ehash(buf, (size_t)n, &v) < 0)
		v = 0;
	return v;
}

int netns_table_refresh(struct netns_table *t, int procfs_fd)
{
	uint64_t self_ino = 0;
	int ret;

	if (netns_ino_of(procfs_fd, 0, &self_ino) < 0)
		self_ino = 0;
	/* PID 1's namespace is the init one (in the host's PID namespace):
	 * its table is the global one, shared by every namespace made without
	 * tcp_child_ehash_entries (netns_census_own_table()). */
	if (netns_ino_of(procfs_fd, 1, &t->init_ino) < 0)
		t->init_ino = 0;
	/* PID 1's link may be unreadable (a sandboxed PID 1): the exporter's
	 * own table size, when it shares the global one, names it too. */
	t->self_ehash = read_self_ehash(procfs_fd);
	ret = netns_discover(procfs_fd, t->o.run_dir, self_ino, hint, t, &t->found);
	if (ret < 0) {
		log_msg(LOG_WARN, "netns: cannot list namespaces: %s", strerror(-ret));
		goto out;
	}
	ret = sync_list(t);
	if (ret < 0)
		goto out;
	open_new(t, procfs_fd);
	identify(t, procfs_fd);
out:
	return ret;
}

bool netns_table_still_there(const struct netns_table *t, int procfs_fd,
			     const struct netns_entry *e)
{
	const struct netns_list *l = &t->found;
	size_t lo = 0, hi = l->mlen;
	uint64_t ino;

	if (e->pid > 0 && netns_ino_of(procfs_fd, e->pid, &ino) == 0 && ino == e->ino)
		return true;
	/* The oldest exited: any other member will do (the walk is sorted). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->m[mid].ino < e->ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < l->mlen && l->m[lo].ino == e->ino; lo++)
		if (l->m[lo].pid != e->pid && netns_ino_of(procfs_fd, l->m[lo].pid, &ino) == 0 &&
		    ino == e->ino)
			return true;
	if (e->name[0] && t->o.run_dir) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", t->o.run_dir, e->name);
		return stat(path, &st) == 0 && (uint64_t)st.st_ino == e->ino;
	}
	return false;
}

int netns_table_sees_others(const char *procfs)
{
	char path[4096], link[64];
	struct netns_list l;
	uint64_t self = 0;
	ssize_t n;
	int fd, ret = -ESRCH;

	snprintf(path, sizeof(path), "%s/self/ns/pid", procfs);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		if (strcmp(link, PID_NS_INIT) == 0)
			return 0;
	}
	fd = open(procfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	netns_list_init(&l);
	if (netns_ino_of(fd, 0, &self) == 0 &&
	    netns_discover(fd, NULL, self, NULL, NULL, &l) == 0 && l.len > 0)
		ret = 0;
	netns_list_fini(&l);
	close(fd);
	return ret;
}

void netns_table_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_msg(LOG_DEBUG, "netns: cannot raise the open file limit: %s", strerror(errno));
	}
}
