#include "owners/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs/reader.h"
#include "procfs/open.h"

/* An open-addressing map from non-zero uint32 keys to uint32 values. */
struct u32map {
	uint32_t *keys; /* owned; 0 marks an empty bucket */
	uint32_t *vals; /* owned */
	uint32_t mask;  /* buckets - 1; 0 when nothing is allocated */
	size_t n;
};

/* Where an fd directory stood when it was last read. */
struct fdprint {
	off_t size;
	struct timespec mtime;
	ino_t ino;
};

struct proc {
	struct owners_proc pub;
	bool used;
	bool unreadable;     /* the last read of its fd table failed */
	bool other_userns;   /* ... and it is in another user namespace than ours */
	int read_errno;
	unsigned seen;       /* refresh generation that last found it */
	uint64_t cpu;        /* utime + stime: a process that has not run changed nothing */
	uint64_t read_ms;    /* when its fd table was last read */
	struct fdprint print;
	uint32_t *inodes;    /* owned; socket inodes of its fd table, as read */
	size_t ninodes, cap;
};

/* The holders of a shared socket inode. The inode map's value is the slot of
 * a socket's only holder, or SHARED | the index of one of these. */
#define SHARED 0x80000000u
struct shared {
	uint32_t n;     /* listed in slot[] */
	uint32_t more;  /* holders past the list */
	uint32_t last;  /* the last process added (one holding it in two fds counts once) */
	uint32_t slot[OWNERS_MAX_HOLDERS]; /* best holder first (better_holder()) */
};

/* Value of a missing-inode entry: the generation that last noted it, shifted
 * left twice; MISSING_UNOWNED says a full read already failed to find it,
 * MISSING_AGAIN that more than one dump reported it. */
#define MISSING_UNOWNED 1u
#define MISSING_AGAIN 2u
#define MISSING_SHIFT 2

struct owners {
	unsigned want;
	uint64_t rescan_ms;
	bool have_full;
	uint64_t last_full_ms;
	unsigned gen;            /* bumped by every refresh */
	unsigned prev_full_gen;  /* generation of the full read before the last one */
	unsigned last_full_gen;
	unsigned note_gen;       /* generation of the last owners_note_missing() */
	uint64_t now_ms;         /* of the refresh under way */

	struct proc *procs;      /* owned; slots */
	unsigned nslots, capslots;
	unsigned *free_slots;    /* owned; stack of unused slot numbers */
	unsigned nfree;

	struct u32map pids;      /* pid -> slot */
	struct u32map inodes;    /* inode -> slot of its only holder, or SHARED | index in shared */
	struct shared *shared;   /* owned; the shared inodes' holders */
	size_t nshared, capshared;
	bool dirty;              /* inodes needs a rebuild */

	struct u32map missing;   /* inode -> see MISSING_UNOWNED */
	size_t npending;         /* missing entries no full read has looked for yet */

	uint64_t fd_table_reads;
	uint64_t full_rescans;

	struct strbuf text;      /* the last /proc/PID file read */
	struct strbuf self_map;  /* self/uid_map, read when first needed in a walk */
	unsigned self_map_gen;   /* the walk it was read in; 0: never */
};

/* Larger /proc/PID/stat or status files are not what we expect. */
#define OWNERS_FILE_CAP (64 * 1024)

static uint32_t hash32(uint32_t k)
{
	k ^= k >> 16;
	k *= 0x7feb352dU;
	k ^= k >> 15;
	k *= 0x846ca68bU;
	k ^= k >> 16;
	return k;
}

static void map_fini(struct u32map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* Empties m and makes room for at least n keys at load <= 1/2. */
static int map_reset(struct u32map *m, size_t n)
{
	size_t want = 64;
	int ret = 0;

	while (want < 2 * n)
		want *= 2;
	if (m->mask + 1 != want || m->keys == NULL) {
		uint32_t *k = calloc(want, sizeof(*k));
		uint32_t *v = malloc(want * sizeof(*v));

		if (k == NULL || v == NULL) {
			free(k);
			free(v);
			ret = -ENOMEM;
			goto out;
		}
		map_fini(m);
		m->keys = k;
		m->vals = v;
		m->mask = (uint32_t)(want - 1);
	} else {
		memset(m->keys, 0, want * sizeof(*m->keys));
	}
	m->n = 0;
out:
	return ret;
}

/* Bucket of key: where it is, or the empty bucket where it would go. */
static uint32_t map_find(const struct u32map *m, uint32_t key)
{
	uint32_t i = hash32(key) & m->mask;

	while (m->keys[i] != 0 && m->keys[i] != key)
		i = (i + 1) & m->mask;
	return i;
}

static bool map_get(const struct u32map *m, uint32_t key, uint32_t *val)
{
	uint32_t i;

	if (m->keys == NULL)
		return false;
	i = map_find(m, key);
	if (m->keys[i] == 0)
		return false;
	*val = m->vals[i];
	return true;
}

/* Inserts or overwrites; grows at load > 1/2. 0 or -ENOMEM. */
static int map_put(struct u32map *m, uint32_t key, uint32_t val)
{
	uint32_t i;

	if (m->keys == NULL || 2 * (m->n + 1) > (size_t)m->mask + 1) {
		struct u32map bigger = {0};
		int ret = map_reset(&bigger, m->n + 1 < 32 ? 32 : 2 * (m->n + 1));

		if (ret < 0)
			return ret;
		for (size_t j = 0; m->keys && j <= m->mask; j++)
			if (m->keys[j] != 0) {
				uint32_t b = map_find(&bigger, m->keys[j]);

				bigger.keys[b] = m->keys[j];
				bigger.vals[b] = m->vals[j];
				bigger.n++;
			}
		map_fini(m);
		*m = bigger;
	}
	i = map_find(m, key);
	if (m->keys[i] == 0) {
		m->keys[i] = key;
		m->n++;
	}
	m->vals[i] = val;
	return 0;
}

/* Removes key, re-placing the probe run after it. */
static void map_del(struct u32map *m, uint32_t key)
{
	uint32_t i, j;

	if (m->keys == NULL)
		return;
	i = map_find(m, key);
	if (m->keys[i] == 0)
		return;
	m->keys[i] = 0;
	m->n--;
	for (j = (i + 1) & m->mask; m->keys[j] != 0; j = (j + 1) & m->mask) {
		uint32_t k = m->keys[j], v = m->vals[j], b;

		m->keys[j] = 0;
		b = map_find(m, k);
		m->keys[b] = k;
		m->vals[b] = v;
	}
}

struct owners *owners_new(unsigned want, uint64_t rescan_interval_ms)
{
	struct owners *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->want = want;
	o->rescan_ms = rescan_interval_ms;
	return o;
}

static void proc_clear(struct proc *p)
{
	free(p->pub.exe);
	free(p->inodes);
	memset(p, 0, sizeof(*p));
}

void owners_free(struct owners *o)
{
	if (o == NULL)
		return;
	for (unsigned i = 0; i < o->nslots; i++)
		proc_clear(&o->procs[i]);
	free(o->procs);
	free(o->free_slots);
	map_fini(&o->pids);
	map_fini(&o->inodes);
	free(o->shared);
	map_fini(&o->missing);
	sb_fini(&o->text);
	sb_fini(&o->self_map);
	free(o);
}

/* A directory under the procfs dirfd, for readdir. NULL with errno set. */
static DIR *opendir_at(int dirfd, const char *path)
{
	int fd = procfs_open(dirfd, path, O_RDONLY | O_DIRECTORY);
	DIR *dir;

	if (fd < 0)
		return NULL;
	dir = fdopendir(fd);
	if (!dir) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return dir;
}

static int proc_add_inode(struct proc *p, uint32_t inode)
{
	if (p->ninodes == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		uint32_t *n = realloc(p->inodes, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		p->inodes = n;
		p->cap = cap;
	}
	p->inodes[p->ninodes++] = inode;
	return 0;
}

/* Reads the socket inodes of one fd table. 0; -ENOENT when the process went
 * away; -ENOMEM; or another negative errno when the table is unreadable. */
static int read_fds(struct owners *o, struct proc *p, int procfs_fd, const char *pidname)
{
	char path[32], link[32];
	struct dirent *de;
	DIR *dir = NULL;
	int ret = 0;

	o->fd_table_reads++;
	p->ninodes = 0;
	snprintf(path, sizeof(path), "%s/fd", pidname);
	dir = opendir_at(procfs_fd, path);
	if (!dir) {
		ret = -errno;
		goto out;
	}
	errno = 0;
	while ((de = readdir(dir)) != NULL) {
		ssize_t n;
		uint32_t inode;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(dir), de->d_name, link, sizeof(link));
		if (n < 0) {
			if (errno == ENOENT) /* closed since the listing */
				continue;
			ret = -errno;
			goto out;
		}
		if ((size_t)n < sizeof(link) && pid_parse_socket_link(link, (size_t)n, &inode) == 0 &&
		    inode != 0 && (ret = proc_add_inode(p, inode)) < 0)
			goto out;
		errno = 0;
	}
	if (errno != 0)
		ret = -errno;
out:
	if (dir)
		closedir(dir);
	return ret;
}

/* Whether a process is in another user namespace than the reader of procfs
 * ("self"), where our capabilities do not reach. Its ns/user link needs the
 * very access that was refused, so when the links cannot both be read the
 * uid maps decide: world-readable, and shown relative to the reader's
 * namespace, they differ when the namespaces do. Unknown counts as ours. */
static bool in_other_userns(struct owners *o, int procfs_fd, const char *pidname)
{
	char path[32], mine[64], theirs[64];
	ssize_t m, t;

	snprintf(path, sizeof(path), "%s/ns/user", pidname);
	t = readlinkat(procfs_fd, path, theirs, sizeof(theirs));
	m = readlinkat(procfs_fd, "self/ns/user", mine, sizeof(mine));
	if (t > 0 && m > 0)
		return t != m || memcmp(theirs, mine, (size_t)t) != 0;
	if (o->self_map_gen != o->gen) {
		if (procfs_read(procfs_fd, "self/uid_map", OWNERS_FILE_CAP, &o->self_map) < 0)
			sb_reset(&o->self_map);
		o->self_map_gen = o->gen;
	}
	snprintf(path, sizeof(path), "%s/uid_map", pidname);
	if (o->self_map.len == 0 || procfs_read(procfs_fd, path, OWNERS_FILE_CAP, &o->text) < 0)
		return false;
	return o->text.len != o->self_map.len ||
	       memcmp(o->text.buf, o->self_map.buf, o->text.len) != 0;
}

/* Reads uid and exe, as wanted; what cannot be read stays unset. */
static void read_identity(struct owners *o, struct proc *p, int procfs_fd, const char *pidname)
{
	char path[32], buf[4096];
	ssize_t n;

	if (o->want & OWNERS_WANT_UID) {
		snprintf(path, sizeof(path), "%s/status", pidname);
		p->pub.has_uid = procfs_read(procfs_fd, path, OWNERS_FILE_CAP, &o->text) == 0 &&
				 pid_parse_status_euid(o->text.buf, o->text.len, &p->pub.uid) == 0;
	}
	if (o->want & OWNERS_WANT_EXE) {
		free(p->pub.exe);
		p->pub.exe = NULL;
		snprintf(path, sizeof(path), "%s/exe", pidname);
		n = readlinkat(procfs_fd, path, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			pid_clean_name(buf);
			p->pub.exe = strdup(buf);
		}
	}
}

static int slot_alloc(struct owners *o, unsigned *slot)
{
	if (o->nfree > 0) {
		*slot = o->free_slots[--o->nfree];
		return 0;
	}
	if (o->nslots == o->capslots) {
		unsigned cap = o->capslots ? 2 * o->capslots : 64;
		struct proc *np = realloc(o->procs, cap * sizeof(*np));
		unsigned *nf;

		if (np == NULL)
			return -ENOMEM;
		o->procs = np;
		nf = realloc(o->free_slots, cap * sizeof(*nf));
		if (nf == NULL)
			return -ENOMEM;
		o->free_slots = nf;
		memset(o->procs + o->capslots, 0, (cap - o->capslots) * sizeof(*np));
		o->capslots = cap;
	}
	*slot = o->nslots++;
	return 0;
}

static void slot_release(struct owners *o, unsigned slot)
{
	struct proc *p = &o->procs[slot];

	map_del(&o->pids, (uint32_t)p->pub.pid);
	proc_clear(p);
	o->free_slots[o->nfree++] = slot;
	o->dirty = true;
}

static bool same_print(const struct fdprint *a, const struct fdprint *b)
{
	return a->size == b->size && a->ino == b->ino && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* Whether a table the fingerprint says is unchanged is due for a re-read
 * anyway: each process at its own time between half the rescan interval and
 * the whole of it after its last read (a hash of pid and start time), so the
 * re-reads of a node's processes spread over the refreshes instead of all
 * falling on one scrape. */
static bool reread_due(const struct owners *o, const struct proc *p)
{
	uint64_t half = o->rescan_ms / 2, period;

	period = o->rescan_ms - hash32((uint32_t)p->pub.pid ^ (uint32_t)p->pub.start) % (half + 1);
	return o->now_ms - p->read_ms >= period;
}

enum pass {
	PASS_CHANGED = 0, /* re-read new processes and changed fd directories */
	PASS_ACTIVE,      /* also processes that ran since the last refresh */
	PASS_FULL,        /* everything */
	PASS_COUNT
};

/* Brings one process up to date. 0 (also when it vanished: then it is simply
 * not marked seen), or -ENOMEM. */
static int refresh_one(struct owners *o, int procfs_fd, int pid, const char *pidname, enum pass pass)
{
	char path[32];
	char comm[PROC_COMM_MAX + 1];
	struct pid_stat ss;
	struct fdprint print;
	struct stat st;
	struct proc *p;
	uint32_t slotv;
	unsigned slot;
	bool fresh = false;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/stat", pidname);
	if (procfs_read(procfs_fd, path, OWNERS_FILE_CAP, &o->text) < 0 || o->text.len == 0 ||
	    pid_parse_stat(o->text.buf, o->text.len, &ss) < 0 ||
	    pid_parse_comm(o->text.buf, o->text.len, comm) < 0)
		goto out; /* gone, or not a process we can make sense of */
	snprintf(path, sizeof(path), "%s/fd", pidname);
	memset(&print, 0, sizeof(print));
	if (fstatat(procfs_fd, path, &st, 0) == 0) {
		print.size = st.st_size;
		print.mtime = st.st_mtim;
		print.ino = st.st_ino;
	} else if (errno == ENOENT) {
		goto out;
	}

	if (map_get(&o->pids, (uint32_t)pid, &slotv) && o->procs[slotv].pub.start != ss.starttime_ticks)
		slot_release(o, slotv); /* the pid was reused */
	if (!map_get(&o->pids, (uint32_t)pid, &slotv)) {
		if ((ret = slot_alloc(o, &slot)) < 0)
			goto out;
		if ((ret = map_put(&o->pids, (uint32_t)pid, slot)) < 0) {
			o->free_slots[o->nfree++] = slot;
			goto out;
		}
		p = &o->procs[slot];
		p->used = true;
		p->pub.pid = pid;
		p->pub.start = ss.starttime_ticks;
		fresh = true;
	} else {
		slot = slotv;
		p = &o->procs[slot];
	}
	memcpy(p->pub.comm, comm, sizeof(comm)); /* prctl(PR_SET_NAME) may change it */

	if (fresh || pass == PASS_FULL || !same_print(&print, &p->print) ||
	    (pass == PASS_ACTIVE && p->cpu != ss.utime_ticks + ss.stime_ticks) || reread_due(o, p)) {
		p->read_ms = o->now_ms;
		ret = read_fds(o, p, procfs_fd, pidname);
		/* A process reaped between listing its fds and reading their
		 * links makes readlink fail with EACCES, not ENOENT. */
		if ((ret == -EACCES || ret == -EPERM) && fstatat(procfs_fd, pidname, &st, 0) < 0 &&
		    errno == ENOENT)
			ret = -ENOENT;
		if (ret == -ENOENT)
			goto vanished;
		if (ret == -ENOMEM)
			goto out;
		p->unreadable = ret < 0;
		p->read_errno = -ret;
		p->other_userns = (ret == -EACCES || ret == -EPERM) &&
				  in_other_userns(o, procfs_fd, pidname);
		ret = 0;
		p->print = print;
		read_identity(o, p, procfs_fd, pidname);
		o->dirty = true;
	}
	p->cpu = ss.utime_ticks + ss.stime_ticks;
	p->seen = o->gen;
	goto out;
vanished:
	ret = 0;
	slot_release(o, slot);
out:
	return ret;
}

/* Whether holder a should own a shared socket rather than holder b. */
static bool better_holder(const struct owners_proc *a, const struct owners_proc *b)
{
	if ((a->pid == 1) != (b->pid == 1))
		return b->pid == 1;
	if (a->start != b->start)
		return a->start < b->start;
	return a->pid < b->pid;
}

/* Adds holder slot to a shared inode's list, kept in better_holder() order;
 * past OWNERS_MAX_HOLDERS the worst one is only counted. */
static void shared_add(const struct owners *o, struct shared *h, uint32_t slot)
{
	const struct owners_proc *p = &o->procs[slot].pub;
	uint32_t i = 0;

	if (h->last == slot)
		return; /* the same process, another fd */
	h->last = slot;
	while (i < h->n && !better_holder(p, &o->procs[h->slot[i]].pub))
		i++;
	if (h->n == OWNERS_MAX_HOLDERS) {
		h->more++;
		if (i == h->n)
			return;
		h->n--; /* the last one goes to more */
	}
	memmove(h->slot + i + 1, h->slot + i, (h->n - i) * sizeof(h->slot[0]));
	h->slot[i] = slot;
	h->n++;
}

/* Turns an inode's only holder into a list of one. 0 or -ENOMEM. */
static int shared_new(struct owners *o, uint32_t first, uint32_t *val)
{
	struct shared *h;

	if (o->nshared == o->capshared) {
		size_t cap = o->capshared ? 2 * o->capshared : 64;
		struct shared *n = realloc(o->shared, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		o->shared = n;
		o->capshared = cap;
	}
	h = &o->shared[o->nshared];
	memset(h, 0, sizeof(*h));
	h->n = 1;
	h->slot[0] = h->last = first;
	*val = SHARED | (uint32_t)o->nshared++;
	return 0;
}

static int rebuild_inodes(struct owners *o)
{
	size_t total = 0;
	int ret;

	for (unsigned s = 0; s < o->nslots; s++)
		total += o->procs[s].used ? o->procs[s].ninodes : 0;
	ret = map_reset(&o->inodes, total);
	if (ret < 0)
		goto out;
	o->nshared = 0;
	for (unsigned s = 0; s < o->nslots; s++) {
		const struct proc *p = &o->procs[s];

		for (size_t i = 0; p->used && i < p->ninodes; i++) {
			uint32_t b = map_find(&o->inodes, p->inodes[i]);
			uint32_t *v = &o->inodes.vals[b];

			if (o->inodes.keys[b] == 0) {
				o->inodes.keys[b] = p->inodes[i];
				*v = s;
				o->inodes.n++;
				continue;
			}
			if (*v == s)
				continue; /* the same process, another fd */
			if (!(*v & SHARED) && (ret = shared_new(o, *v, v)) < 0)
				goto out;
			shared_add(o, &o->shared[*v & ~SHARED], s);
		}
	}
	o->dirty = false;
out:
	return ret;
}

/* After a full read: forget missing inodes that are found now or were not
 * seen since the full read before; the rest are unowned. */
static int settle_missing(struct owners *o)
{
	struct u32map keep = {0};
	int ret = 0;

	if (o->missing.n == 0)
		goto out;
	ret = map_reset(&keep, o->missing.n);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i <= o->missing.mask; i++) {
		uint32_t k = o->missing.keys[i], v = o->missing.vals[i];

		if (k == 0 || owners_lookup(o, k) >= 0 || (v >> MISSING_SHIFT) < o->prev_full_gen)
			continue;
		ret = map_put(&keep, k, v | MISSING_UNOWNED);
		if (ret < 0)
			goto out;
	}
	map_fini(&o->missing);
	o->missing = keep;
	keep = (struct u32map){0};
out:
	map_fini(&keep);
	o->npending = 0;
	return ret;
}

/* One walk over the process directories. */
static int walk(struct owners *o, int procfs_fd, enum pass pass)
{
	struct dirent *de;
	DIR *dir = NULL;
	int ret = 0;

	o->gen++;
	dir = opendir_at(procfs_fd, ".");
	if (!dir) {
		ret = -errno;
		goto out;
	}
	errno = 0;
	while ((de = readdir(dir)) != NULL) {
		int pid = pid_parse_pid(de->d_name);

		if (pid > 0 && (ret = refresh_one(o, procfs_fd, pid, de->d_name, pass)) < 0)
			goto out;
		errno = 0;
	}
	if (errno != 0) {
		ret = -errno;
		goto out;
	}
	for (unsigned s = 0; s < o->nslots; s++)
		if (o->procs[s].used && o->procs[s].seen != o->gen)
			slot_release(o, s);
	if (o->dirty)
		ret = rebuild_inodes(o);
out:
	if (dir)
		closedir(dir);
	if (ret < 0)
		o->dirty = true; /* rebuild whatever we have next time */
	return ret;
}

/* Drops the unknown inodes the cache knows now, and those the last dump no
 * longer showed (closed: nothing to look for). Returns how many of the
 * pending rest more than one dump reported: a socket that lives on unknown,
 * where a full read may find it. One reported once may be a connection that
 * came and went between two scrapes (the scrape's own, a health check's);
 * its holder ran, so the active pass has read it if it is still open. */
static size_t drop_found(struct owners *o)
{
	size_t left = 0, lasting = 0;

	for (size_t i = 0; o->missing.keys && i <= o->missing.mask; i++) {
		uint32_t k = o->missing.keys[i], v = o->missing.vals[i];

		if (k == 0)
			continue;
		if (owners_lookup(o, k) >= 0 || (v >> MISSING_SHIFT) < o->note_gen) {
			map_del(&o->missing, k);
			i--; /* map_del may have moved a later key here */
			continue;
		}
		if (v & MISSING_UNOWNED)
			continue;
		left++;
		if (v & MISSING_AGAIN)
			lasting++;
	}
	o->npending = left;
	return lasting;
}

int owners_refresh(struct owners *o, int procfs_fd, uint64_t now_ms)
{
	bool full = !o->have_full || o->rescan_ms == 0;
	int ret;

	o->now_ms = now_ms;

	/* Sockets the last dump showed and the cache did not know are most
	 * likely in a process that ran since (an fd swapped for another keeps
	 * the count); only if they are still there in the next dump and no
	 * table holds them is everything re-read. The rescan interval is no
	 * full read: each table comes due on its own (reread_due()). */
	ret = walk(o, procfs_fd, full ? PASS_FULL : o->npending > 0 ? PASS_ACTIVE : PASS_CHANGED);
	if (ret < 0)
		goto out;
	/* Inodes held where we cannot look (unreadable tables, other pid
	 * namespaces) keep coming: bound what they cost. */
	if (!full && o->missing.n > 0 && drop_found(o) > 0 &&
	    now_ms - o->last_full_ms >= OWNERS_MISS_RESCAN_MS) {
		full = true;
		ret = walk(o, procfs_fd, PASS_FULL);
		if (ret < 0)
			goto out;
	}
	if (full) {
		o->prev_full_gen = o->last_full_gen;
		o->last_full_gen = o->gen;
		o->have_full = true;
		o->last_full_ms = now_ms;
		o->full_rescans++;
		ret = settle_missing(o);
	}
out:
	return ret;
}

int owners_lookup(const struct owners *o, uint32_t inode)
{
	uint32_t v;

	if (inode == 0 || !map_get(&o->inodes, inode, &v))
		return -1;
	return (int)(v & SHARED ? o->shared[v & ~SHARED].slot[0] : v);
}

unsigned owners_holders(const struct owners *o, uint32_t inode, struct owners_holders *h)
{
	uint32_t b;

	memset(h, 0, sizeof(*h));
	if (inode == 0 || o->inodes.keys == NULL)
		goto out;
	b = map_find(&o->inodes, inode);
	if (o->inodes.keys[b] == 0)
		goto out;
	if (o->inodes.vals[b] & SHARED) {
		const struct shared *s = &o->shared[o->inodes.vals[b] & ~SHARED];

		h->slots = s->slot;
		h->n = s->n;
		h->more = s->more;
	} else {
		h->slots = &o->inodes.vals[b];
		h->n = 1;
	}
out:
	return h->n;
}

unsigned owners_slots(const struct owners *o)
{
	return o->nslots;
}

const struct owners_proc *owners_proc_at(const struct owners *o, unsigned slot)
{
	return slot < o->nslots && o->procs[slot].used ? &o->procs[slot].pub : NULL;
}

void owners_note_missing(struct owners *o, const uint32_t *inodes, size_t n)
{
	o->note_gen = o->gen;
	for (size_t i = 0; i < n; i++) {
		uint32_t v;

		if (inodes[i] == 0)
			continue;
		if (map_get(&o->missing, inodes[i], &v)) {
			uint32_t again = (v >> MISSING_SHIFT) != o->gen ? MISSING_AGAIN : v & MISSING_AGAIN;

			(void)map_put(&o->missing, inodes[i],
				      (o->gen << MISSING_SHIFT) | again | (v & MISSING_UNOWNED));
			continue;
		}
		if (o->missing.n >= OWNERS_MAX_MISSING)
			continue; /* bounded: such inodes stay unknown until their holder's re-read */
		if (map_put(&o->missing, inodes[i], o->gen << MISSING_SHIFT) == 0)
			o->npending++;
	}
}

void owners_get_stats(const struct owners *o, struct owners_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned s = 0; s < o->nslots; s++) {
		const struct proc *p = &o->procs[s];

		if (!p->used)
			continue;
		st->processes++;
		if (!p->unreadable)
			continue;
		st->unreadable++;
		if (p->other_userns)
			st->unreadable_userns++;
		else if (st->unreadable_errno == 0) {
			st->unreadable_errno = p->read_errno;
			st->unreadable_pid = p->pub.pid;
			memcpy(st->unreadable_comm, p->pub.comm, sizeof(st->unreadable_comm));
		}
	}
	st->sockets = o->inodes.n;
	st->missing = o->missing.n;
	st->fd_table_reads = o->fd_table_reads;
	st->full_rescans = o->full_rescans;
}
