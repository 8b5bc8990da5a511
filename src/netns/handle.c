/* netns/handle: sockets and files opened inside other network namespaces.
 * See netns/handle.h. */
#include "netns/handle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/netlink.h>

#include "events/live.h"
#include "util/numbers.h"

void netns_handle_init(struct netns_handle *h)
{
	memset(h, 0, sizeof(*h));
	h->range_fd = -1;
	h->tw_fd = -1;
	h->seed_fd = -1;
}

void netns_handle_close(struct netns_handle *h)
{
	h->nl.buf = NULL; /* lent, never ours */
	diag_nl_fini(&h->nl);
	if (h->range_fd >= 0)
		close(h->range_fd);
	if (h->tw_fd >= 0)
		close(h->tw_fd);
	if (h->seed_fd >= 0)
		close(h->seed_fd);
	netns_handle_init(h);
}

int netns_handle_ok(const struct netns_handle *h)
{
	return h->nl.nl != NULL;
}

/* A sysctl file of one integer in lo..hi. */
static int parse_int(const char *s, size_t len, int64_t lo, int64_t hi, int *out)
{
	int64_t v;
	struct parse_error err;

	if (num_parse_i64_list(s, len, &v, 1, &err) < 0 || v < lo || v > hi)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int netns_parse_ehash(const char *s, size_t len, int *out)
{
	return parse_int(s, len, -0x40000000, 0x40000000, out);
}

int netns_parse_max_tw(const char *s, size_t len, int *out)
{
	return parse_int(s, len, INT_MIN, INT_MAX, out);
}

struct opener {
	int procfs_fd;
	const char *procfs;
	const char *run_dir;
	struct netns_open_req *reqs;
	size_t n;
};

static int read_ehash(const char *procfs, int *out)
{
	char path[4096], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/sys/net/ipv4/tcp_ehash_entries", procfs);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno; /* before Linux 5.19: unknown */
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return -EIO;
	return netns_parse_ehash(buf, (size_t)n, out);
}

/* Runs in the opener thread: enters the namespace, opens what we keep. */
static int open_one(const struct opener *o, struct netns_open_req *r)
{
	char path[4096];
	struct stat st;
	int nsfd = -1, sk, ret = 0;

	if (r->pid > 0) {
		snprintf(path, sizeof(path), "%d/ns/net", r->pid);
		nsfd = openat(o->procfs_fd, path, O_RDONLY | O_CLOEXEC);
	} else if (r->name != NULL && o->run_dir != NULL) {
		snprintf(path, sizeof(path), "%s/%s", o->run_dir, r->name);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
	} else {
		errno = ENOENT;
	}
	if (nsfd < 0) {
		ret = -errno;
		goto out;
	}
	if (fstat(nsfd, &st) < 0 || (uint64_t)st.st_ino != r->ino) {
		ret = -ESTALE;
		goto out;
	}
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		ret = -errno;
		goto out;
	}
	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (sk < 0) {
		ret = -errno;
		goto out;
	}
	ret = diag_nl_adopt(&r->h->nl, sk);
	if (ret < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/sys/net/ipv4/ip_local_port_range", o->procfs);
	r->h->range_fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/sys/net/ipv4/tcp_max_tw_buckets", o->procfs);
	r->h->tw_fd = open(path, O_RDONLY | O_CLOEXEC);
	r->h->tw_err = r->h->tw_fd < 0 ? -errno : 0;
	/* An iterator walks the namespace it was made in: make it here. */
	if (events_live_on())
		r->h->seed_fd = events_live_iter_open();
	if (read_ehash(o->procfs, &r->h->ehash) < 0)
		r->h->ehash = 0;
out:
	if (nsfd >= 0)
		close(nsfd);
	return ret;
}

static void *opener_main(void *arg)
{
	struct opener *o = arg;

	for (size_t i = 0; i < o->n; i++) {
		struct netns_open_req *r = &o->reqs[i];

		netns_handle_init(r->h);
		r->h->err = open_one(o, r);
		if (r->h->err < 0) {
			int err = r->h->err;
			netns_handle_close(r->h);
			r->h->err = err;
		}
	}
	/* The thread ends here, in whatever namespace it entered last. */
	return NULL;
}

int netns_open_all(int procfs_fd, const char *procfs, const char *run_dir,
		   struct netns_open_req *reqs, size_t n)
{
	struct opener o = {procfs_fd, procfs, run_dir, reqs, n};
	pthread_t t;
	int ret;

	if (n == 0)
		return 0;
	ret = pthread_create(&t, NULL, opener_main, &o);
	if (ret != 0)
		return -ret;
	pthread_join(t, NULL);
	return 0;
}
