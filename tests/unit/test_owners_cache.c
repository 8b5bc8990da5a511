/* The owners cache on fixture /proc trees built in a temp dir: socket and
 * non-socket fds, dangling links, shared inodes, unreadable fd tables, pids
 * vanishing or reused, threads, and what the cache re-reads when. */
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

#include "owners/cache.h"
#include "fixture_tree.h"

#define MIN_MS 60000ull

#define STAT_FMT "%d (%s) S 1 1 1 0 -1 0 0 0 0 0 %llu 0 0 0 20 0 1 0 %llu 0 0 " \
	"18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"

/* utime is field 14 of stat: a process that ran shows a different value. */
static void set_stat_cpu(const struct fixture_tree *t, int pid, const char *comm, unsigned long long start,
			 unsigned long long utime)
{
	char rel[32];

	snprintf(rel, sizeof(rel), "%d/stat", pid);
	ftree_putf(t, rel, STAT_FMT, pid, comm, utime, start);
}

static void set_stat(const struct fixture_tree *t, int pid, const char *comm, unsigned long long start)
{
	set_stat_cpu(t, pid, comm, start, 0);
}

/* A process directory with a stat file and an empty fd directory. */
static void add_proc(const struct fixture_tree *t, int pid, const char *comm, unsigned long long start)
{
	ftree_mkdir(t, "%d", pid);
	ftree_mkdir(t, "%d/fd", pid);
	set_stat(t, pid, comm, start);
}

/* fd N of pid links to target (which need not exist: "socket:[5]" dangles). */
static void add_fd(const struct fixture_tree *t, int pid, int n, const char *target)
{
	ftree_link(t, target, "%d/fd/%d", pid, n);
}

static void add_sock(const struct fixture_tree *t, int pid, int n, uint32_t inode)
{
	char target[32];

	snprintf(target, sizeof(target), "socket:[%u]", inode);
	add_fd(t, pid, n, target);
}

static int setup(void **state)
{
	struct fixture_tree *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	ftree_init(t);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct fixture_tree *t = *state;

	ftree_fini(t);
	free(t);
	return 0;
}

static const char *owner_comm(const struct owners *o, uint32_t inode)
{
	int slot = owners_lookup(o, inode);

	return slot < 0 ? NULL : owners_proc_at(o, (unsigned)slot)->comm;
}

static uint64_t reads(const struct owners *o)
{
	struct owners_stats st;

	owners_get_stats(o, &st);
	return st.fd_table_reads;
}

static void test_mapping(void **state)
{
	struct fixture_tree *t = *state;
	struct owners *o = owners_new(0, 5 * MIN_MS);
	struct owners_stats st;

	add_proc(t, 100, "web", 1000);
	add_sock(t, 100, 0, 11);
	add_sock(t, 100, 1, 12);
	add_fd(t, 100, 2, "/dev/null");            /* not a socket */
	add_fd(t, 100, 3, "pipe:[99]");            /* not a socket */
	add_fd(t, 100, 4, "anon_inode:[eventfd]");
	add_sock(t, 100, 5, 12);                   /* dup of fd 1: one socket */
	add_proc(t, 200, "db", 2000);
	add_sock(t, 200, 3, 21);
	add_fd(t, 200, 4, "socket:[junk]");
	/* A thread: /proc lists only processes, and task/ is never read. */
	ftree_mkdir(t, "200/task");
	ftree_mkdir(t, "200/task/201");
	/* Non-process entries. */
	ftree_link(t, "100", "self");
	ftree_mkdir(t, "sys");

	assert_non_null(o);
	assert_int_equal(owners_refresh(o, t->fd, 0), 0);
	assert_string_equal(owner_comm(o, 11), "web");
	assert_string_equal(owner_comm(o, 12), "web");
	assert_string_equal(owner_comm(o, 21), "db");
	assert_null(owner_comm(o, 99));   /* the pipe */
	assert_null(owner_comm(o, 201));
	assert_int_equal(owners_lookup(o, 0), -1);
	assert_int_equal(owners_proc_at(o, (unsigned)owners_lookup(o, 21))->pid, 200);
	owners_get_stats(o, &st);
	assert_int_equal(st.processes, 2);
	assert_int_equal(st.sockets, 3);
	assert_int_equal(st.unreadable, 0);
	assert_int_equal(st.fd_table_reads, 2);
	assert_int_equal(st.full_rescans, 1);
	owners_free(o);
}

static void test_shared_inode_rule(void **state)
{
	struct fixture_tree *t = *state;
	struct owners *o = owners_new(0, 5 * MIN_MS);

	/* A forked server: the parent (older) and two workers hold inode 50;
	 * each worker also has its own connection. */
	add_proc(t, 300, "worker", 5000);
	add_sock(t, 300, 3, 50);
	add_sock(t, 300, 4, 51);
	add_proc(t, 30, "master", 4000);
	add_sock(t, 30, 3, 50);
	add_proc(t, 20, "worker", 5000); /* same start as 300: the lower pid wins */
	add_sock(t, 20, 3, 52);
	add_sock(t, 300, 5, 52);
	/* Socket activation: PID 1 is the oldest holder but not the owner. */
	add_proc(t, 1, "systemd", 1);
	add_sock(t, 1, 10, 60);
	add_proc(t, 400, "activated", 9000);
	add_sock(t, 400, 3, 60);
	/* Held by PID 1 alone: PID 1 it is. */
	add_sock(t, 1, 11, 61);

	assert_int_equal(owners_refresh(o, t->fd, 0), 0);
	assert_string_equal(owner_comm(o, 50), "master");
	assert_string_equal(owner_comm(o, 51), "worker");
	assert_int_equal(owners_proc_at(o, (unsigned)owners_lookup(o, 52))->pid, 20);
	assert_string_equal(owner_comm(o, 60), "activated");
	assert_string_equal(owner_comm(o, 61), "systemd");

	/* The master exits: its shared socket passes to the next holder. */
	ftree_rm(t, "30");
	assert_int_equal(owners_refresh(o, t->fd, 1), 0);
	assert_int_equal(owners_proc_at(o, (unsigned)owners_lookup(o, 50))->pid, 300);
	owners_free(o);
}

/* The pids of an inode's listed holders, "pid pid ... +more", or "-". */
static const char *holders(const struct owners *o, uint32_t inode)
{
	static char buf[256];
	struct owners_holders h;
	size_t len = 0;

	if (owners_holders(o, inode, &h) == 0)
		return "-";
	assert_int_equal(owners_lookup(o, inode), (int)h.slots[0]);
	buf[0] = '\0';
	for (unsigned i = 0; i < h.n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%d", i ? " " : "",
					owners_proc_at(o, h.slots[i])->pid);
	if (h.more)
		snprintf(buf + len, sizeof(buf) - len, " +%u", h.more);
	return buf;
}

/* Every holder of a shared socket, in the attribution order, each process
 * once however many fds it holds the socket in; past OWNERS_MAX_HOLDERS the
 * worst are counted, not listed. */
static void test_shared_holders(void **state)
{
	struct fixture_tree *t = *state;
	struct owners *o = owners_new(0, 5 * MIN_MS);

	assert_int_equal(OWNERS_MAX_HOLDERS, 8);
	/* socat: the parent and its child hold the listener and the
	 * connection; the child holds 40 twice (a dup: one holder) and 42 alone. */
	ftree_proc(t, 10, "socat", 100, (const uint32_t[]){40, 41}, 2);
	ftree_proc(t, 11, "socat", 101, (const uint32_t[]){41, 40, 40, 42}, 4);
	/* Socket activation: PID 1 listed last, though the oldest. */
	ftree_proc(t, 1, "systemd", 1, (const uint32_t[]){60}, 1);
	ftree_proc(t, 400, "activated", 9000, (const uint32_t[]){60}, 1);
	/* Fourteen holders of inode 70: the oldest (pid 520) first, then by
	 * start time; the last, pid 530, holds it twice and is counted once. */
	for (int i = 0; i < 12; i++)
		ftree_proc(t, 500 + i, "worker", 6000 + (unsigned long long)i, (const uint32_t[]){70}, 1);
	ftree_proc(t, 520, "master", 50, (const uint32_t[]){70, 70}, 2);
	ftree_proc(t, 530, "late", 9999, (const uint32_t[]){70, 70}, 2);

	assert_int_equal(owners_refresh(o, t->fd, 0), 0);
	assert_string_equal(holders(o, 40), "10 11");
	assert_string_equal(holders(o, 41), "10 11");
	assert_string_equal(holders(o, 42), "11");
	assert_string_equal(holders(o, 60), "400 1");
	assert_string_equal(holders(o, 70), "520 500 501 502 503 504 505 506 +6");
	assert_string_equal(holders(o, 99), "-");
	assert_string_equal(holders(o, 0), "-");

	/* The parent exits: the child is the only holder; the master exits:
	 * the list moves up, the next worker is listed. */
	ftree_rm(t, "10");
	ftree_rm(t, "520");
	assert_int_equal(owners_refresh(o, t->fd, 1), 0);
	assert_string_equal(holders(o, 40), "11");
	assert_string_equal(holders(o, 41), "11");
	assert_string_equal(holders(o, 70), "500 501 502 503 504 505 506 507 +5");
	owners_free(o);
}

static void test_unreadable_and_vanishing(void **state)
{
	struct fixture_tree *t = *state;
	struct owners *o = owners_new(0, 5 * MIN_MS);
	struct owners_stats st;

	add_proc(t, 10, "ok", 1);
	add_sock(t, 10, 0, 7);
	/* An fd "table" that is a file: unreadable (as EACCES is for a
	 * non-root exporter; root reads everything, so it is simulated). */
	add_proc(t, 11, "locked", 1);
	ftree_rm(t, "11/fd");
	ftree_put(t, "11/fd", "");
	/* A pid that is listed but already gone: no stat file. */
	ftree_mkdir(t, "12");
	/* Gone between reading stat and its fd table: no fd directory. */
	add_proc(t, 13, "dying", 1);
	ftree_rm(t, "13/fd");
	/* A stat file that is not one. */
	add_proc(t, 14, "weird", 1);
	ftree_put(t, "14/stat", "garbage\n");
	add_sock(t, 14, 0, 8);

	assert_int_equal(owners_refresh(o, t->fd, 0), 0);
	assert_string_equal(owner_comm(o, 7), "ok");
	assert_null(owner_comm(o, 8));
	owners_get_stats(o, &st);
	assert_int_equal(st.processes, 2); /* ok and locked */
	assert_int_equal(st.unreadable, 1);
	assert_int_equal(st.unreadable_errno, ENOTDIR);

	/* The unreadable table is not retried while nothing changes. */
	{
		uint64_t before = reads(o);

		assert_int_equal(owners_refresh(o, t->fd, 1), 0);
		assert_int_equal(reads(o), before);
	}
	/* A process that exits disappears with its sockets. */
	ftree_rm(t, "10");
	assert_int_equal(owners_refresh(o, t->fd, 2), 0);
	assert_null(owner_comm(o, 7));
	owners_get_stats(o, &st);
	assert_int_equal(st.processes, 1);
	assert_int_equal(st.sockets, 0);
	owners_free(o);
}

static void test_cache_rereads_only_changes(void **state)
{
	struct fixture_tree *t = *state;
	struct owners *o = owners_new(0, 5 * MIN_MS);
	uint64_t r;

	add_proc(t, 10, "a", 1);
	add_sock(t, 10, 0, 1001);
	add_proc(t, 20, "b", 2);
	add_sock(t, 20, 0, 2001);
	assert_int_equal(owners_refresh(o, t->fd, 0), 0);
	r = reads(o);
	assert_int_equal(r, 2);

	/* Steady state: nothing is re-read. */
	assert_int_equal(owners_refresh(o, t->fd, 1000), 0);
	assert_int_equal(reads(o), r);

	/* A new socket in b: only b is re-read. */
	add_sock(t, 20, 1, 2002);
	assert_int_equal(owners_refresh(o, t->fd, 2000), 0);
	assert_int_equal(reads(o), r + 1);
	assert_string_equal(owner_comm(o, 2002), "b");
	r = reads(o);

	/* A closed socket: b again, and the inode is gone. */
	ftree_rm(t, "20/fd/0");
	assert_int_equal(owners_refresh(o, t->fd, 3000), 0);
	assert_int_equal(reads(o), r + 1);
	assert_null(owner_comm(o, 2001));
	r = reads(o);

	/* A new process: just that one. */
	add_proc(t, 30, "c", 3);
	add_sock(t, 30, 0, 3001);
	assert_int_equal(owners_refresh(o, t->fd, 4000), 0);
	assert_int_equal(reads(o), r + 1);
	assert_string_equal(owner_comm(o, 3001), "c");
	r = reads(o);

	/* A renamed process (prctl): the name follows without a re-read. */
	set_stat(t, 10, "a-renamed", 1);
	assert_int_equal(owners_refresh(o, t->fd, 5000), 0);
	assert_int_equal(reads(o), r);
	assert_string_equal(owner_comm(o, 1001), "a-renamed");

	/* A reused pid (new start time) is a new process, fds re-read. */
	set_stat(t, 10, "other", 77);
	assert_int_equal(owners_refresh(o, t->fd, 6000), 0);
	assert_int_equal(reads(o), r + 1);
	assert_string_equal(owner_comm(o, 1001), "other");
	r = reads(o);

	/* Within a rescan interval of its last read, every table is re-read
	 * (each at a time of its own; see test_rescan_spread). */
	assert_int_equal(owners_refresh(o, t->fd, 5 * MIN_MS + 6000), 0);
	assert_int_equal(reads(o), r + 3);
	owners_free(o);
}

static void test_missing_inodes(void **state)
{
	struct fixture_tree *t = *state;
	struct owners *o = owners_new(0, 5 * MIN_MS);
	struct owners_stats st;
	uint32_t unknown[] = {9001, 9002, 0};
	uint64_t r;

	add_proc(t, 10, "a", 1);
	add_sock(t, 10, 0, 1001);
	assert_int_equal(owners_refresh(o, t->fd, 0), 0);
	/* A socket swapped for another with the fd count unchanged: only the
	 * dump can tell. Simulate a change the fingerprint misses by making
	 * the new link and restoring the directory's times and size. */
	{
		struct stat before;

		assert_int_equal(fstatat(t->fd, "10/fd", &before, 0), 0);
		ftree_rm(t, "10/fd/0");
		add_sock(t, 10, 0, 9001);
		struct timespec ts[2] = {before.st_atim, before.st_mtim};
		assert_int_equal(utimensat(t->fd, "10/fd", ts, 0), 0);
	}
	r = reads(o);
	assert_int_equal(owners_refresh(o, t->fd, 1000), 0);
	assert_int_equal(reads(o), r);
	assert_null(owner_comm(o, 9001)); /* stale, as expected */

	/* Two dumps in a row report 9001 and 9002 unknown: one full read
	 * finds 9001; 9002 belongs to nobody we can see (another pid
	 * namespace). */
	owners_note_missing(o, unknown, 3);
	assert_int_equal(owners_refresh(o, t->fd, 2000), 0); /* reported once: no full read */
	assert_null(owner_comm(o, 9001));
	assert_int_equal(reads(o), r);
	owners_note_missing(o, unknown, 3);
	assert_int_equal(owners_refresh(o, t->fd, 3000), 0); /* too soon for a full read */
	assert_int_equal(reads(o), r);
	owners_note_missing(o, unknown, 3);
	assert_int_equal(owners_refresh(o, t->fd, OWNERS_MISS_RESCAN_MS), 0);
	assert_int_equal(reads(o), r + 1);
	assert_string_equal(owner_comm(o, 9001), "a");
	owners_get_stats(o, &st);
	assert_int_equal(st.full_rescans, 2);
	assert_int_equal(st.missing, 1);

	/* 9002 stays unknown in later dumps without forcing more full reads. */
	for (int i = 0; i < 3; i++) {
		owners_note_missing(o, unknown + 1, 1);
		assert_int_equal(owners_refresh(o, t->fd, 3 * OWNERS_MISS_RESCAN_MS + (uint64_t)i), 0);
	}
	owners_get_stats(o, &st);
	assert_int_equal(st.full_rescans, 2);
	assert_int_equal(reads(o), r + 1);

	/* Once a dump no longer reports it, it is forgotten. */
	owners_note_missing(o, NULL, 0);
	assert_int_equal(owners_refresh(o, t->fd, 4 * OWNERS_MISS_RESCAN_MS), 0);
	owners_get_stats(o, &st);
	assert_int_equal(st.missing, 0);
	owners_free(o);
}

/* A connection that one dump shows and the next does not (the scrape's own,
 * a health check's: accepted by a process whose fd count it did not change)
 * is gone before anyone can find it: no full read for it, however long ago
 * the last one was. Every scrape brings a new one; before, each made every
 * table be re-read once OWNERS_MISS_RESCAN_MS had passed (the spike every
 * sixth scrape at 300k sockets). */
static void test_missing_once(void **state)
{
	struct fixture_tree *t = *state;
	struct owners *o = owners_new(0, 5 * MIN_MS);
	struct owners_stats st;
	uint64_t r;

	add_proc(t, 10, "a", 1);
	add_sock(t, 10, 0, 1001);
	assert_int_equal(owners_refresh(o, t->fd, 0), 0);
	r = reads(o);
	for (uint32_t i = 1; i <= 4; i++) { /* within half the rescan interval */
		uint32_t fleeting = 9000 + i;

		owners_note_missing(o, &fleeting, 1);
		assert_int_equal(owners_refresh(o, t->fd, i * OWNERS_MISS_RESCAN_MS), 0);
	}
	owners_get_stats(o, &st);
	assert_int_equal(st.full_rescans, 1);
	assert_int_equal(reads(o), r);
	assert_int_equal(st.missing, 1); /* the last one, until a dump says it is gone */
	owners_note_missing(o, NULL, 0);
	assert_int_equal(owners_refresh(o, t->fd, 5 * OWNERS_MISS_RESCAN_MS), 0);
	owners_get_stats(o, &st);
	assert_int_equal(st.missing, 0);
	assert_int_equal(st.full_rescans, 1);
	owners_free(o);
}

/* The rescan interval's re-reads spread over the refreshes: 40 processes
 * read at once at the start are each re-read exactly once in the following
 * interval, none before half of it, and no refresh (every 15 s) re-reads
 * more than a fifth of them. Before, one refresh re-read all 40. */
static void test_rescan_spread(void **state)
{
	struct fixture_tree *t = *state;
	struct owners *o = owners_new(0, 5 * MIN_MS);
	uint64_t r, most = 0;

	for (int pid = 100; pid < 140; pid++) {
		add_proc(t, pid, "w", (unsigned long long)pid * 7);
		add_sock(t, pid, 0, (uint32_t)pid * 10);
	}
	assert_int_equal(owners_refresh(o, t->fd, 0), 0);
	r = reads(o);
	assert_int_equal(r, 40);
	for (uint64_t now = 15000; now <= 5 * MIN_MS; now += 15000) {
		uint64_t before = reads(o);

		owners_note_missing(o, NULL, 0);
		assert_int_equal(owners_refresh(o, t->fd, now), 0);
		if (now < 5 * MIN_MS / 2)
			assert_int_equal(reads(o), before);
		if (reads(o) - before > most)
			most = reads(o) - before;
	}
	assert_int_equal(reads(o), r + 40);
	assert_true(most <= 8);
	for (int pid = 100; pid < 140; pid++)
		assert_string_equal(owner_comm(o, (uint32_t)pid * 10), "w");
	owners_free(o);
}

/* An unknown inode in a process that ran since the last refresh is found by
 * re-reading just the processes that ran: no full read. */
static void test_missing_found_in_active(void **state)
{
	struct fixture_tree *t = *state;
	struct owners *o = owners_new(0, 5 * MIN_MS);
	struct owners_stats st;
	uint32_t unknown = 9001;
	uint64_t r;

	add_proc(t, 10, "busy", 1);
	add_sock(t, 10, 0, 1001);
	add_proc(t, 20, "idle", 2);
	add_sock(t, 20, 0, 2001);
	assert_int_equal(owners_refresh(o, t->fd, 0), 0);
	{
		struct stat before;

		assert_int_equal(fstatat(t->fd, "10/fd", &before, 0), 0);
		ftree_rm(t, "10/fd/0");
		add_sock(t, 10, 0, 9001);
		struct timespec ts[2] = {before.st_atim, before.st_mtim};
		assert_int_equal(utimensat(t->fd, "10/fd", ts, 0), 0);
	}
	set_stat_cpu(t, 10, "busy", 1, 5);
	r = reads(o);
	owners_note_missing(o, &unknown, 1);
	assert_int_equal(owners_refresh(o, t->fd, 1000), 0);
	assert_string_equal(owner_comm(o, 9001), "busy");
	assert_int_equal(reads(o), r + 1); /* busy only */
	owners_get_stats(o, &st);
	assert_int_equal(st.full_rescans, 1);
	assert_int_equal(st.missing, 0);
	owners_free(o);
}

static void test_identity(void **state)
{
	struct fixture_tree *t = *state;
	struct owners *o = owners_new(OWNERS_WANT_UID | OWNERS_WANT_EXE, 5 * MIN_MS);
	const struct owners_proc *pr;

	add_proc(t, 10, "srv", 1);
	add_sock(t, 10, 0, 5);
	ftree_put(t, "10/status", "Name:\tsrv\nUid:\t0\t33\t33\t33\n");
	ftree_link(t, "/usr/sbin/srv (deleted)", "10/exe");
	add_proc(t, 11, "kthread", 1); /* no status, no exe */
	add_sock(t, 11, 0, 6);

	assert_int_equal(owners_refresh(o, t->fd, 0), 0);
	pr = owners_proc_at(o, (unsigned)owners_lookup(o, 5));
	assert_true(pr->has_uid);
	assert_int_equal(pr->uid, 33);
	assert_string_equal(pr->exe, "/usr/sbin/srv (deleted)");
	pr = owners_proc_at(o, (unsigned)owners_lookup(o, 6));
	assert_false(pr->has_uid);
	assert_null(pr->exe);
	owners_free(o);
}

/* Many processes and sockets: the hash maps grow and stay consistent. */
static void test_many(void **state)
{
	struct fixture_tree *t = *state;
	struct owners *o = owners_new(0, 5 * MIN_MS);
	struct owners_stats st;

	for (int pid = 1000; pid < 1100; pid++) {
		add_proc(t, pid, "many", (unsigned long long)pid);
		for (int i = 0; i < 30; i++)
			add_sock(t, pid, i, (uint32_t)(pid * 100 + i));
	}
	assert_int_equal(owners_refresh(o, t->fd, 0), 0);
	for (int pid = 1000; pid < 1100; pid += 7)
		for (int i = 0; i < 30; i += 5)
			assert_int_equal(owners_proc_at(o, (unsigned)owners_lookup(o, (uint32_t)(pid * 100 + i)))->pid, pid);
	for (int pid = 1000; pid < 1100; pid += 2)
		ftree_rm(t, "%d", pid);
	assert_int_equal(owners_refresh(o, t->fd, 1), 0);
	owners_get_stats(o, &st);
	assert_int_equal(st.processes, 50);
	assert_int_equal(st.sockets, 50 * 30);
	assert_int_equal(owners_lookup(o, 1000 * 100 + 3), -1);
	assert_int_equal(owners_proc_at(o, (unsigned)owners_lookup(o, 1001 * 100 + 3))->pid, 1001);
	owners_free(o);
}

static void test_procfs_missing(void **state)
{
	struct owners *o = owners_new(0, 0);

	(void)state;
	assert_int_equal(owners_refresh(o, -1, 0), -EBADF);
	assert_int_equal(owners_lookup(o, 5), -1);
	owners_free(o);
	owners_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_inode_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_holders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_and_vanishing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_rereads_only_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_inodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rescan_spread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_found_in_active, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test(test_procfs_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
