/* diag_floor: the kernel floor for a TCP socket census. One thread, one
 * plain NETLINK_SOCK_DIAG socket, one dump per family (AF_INET, AF_INET6)
 * asking every connection state, 32 KiB+ receives, and nothing done per socket but
 * counting its state. Prints the median wall time of RUNS such censuses.
 *
 *   diag_floor [RUNS]     -> "floor_ms=1.234 sockets=150012" */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>

static uint64_t states[16];

static int dump(int fd, uint8_t family, uint32_t seq)
{
	static char buf[65536];
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;

	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.nlh.nlmsg_seq = seq;
	msg.req.sdiag_family = family;
	msg.req.sdiag_protocol = IPPROTO_TCP;
	/* Every connection state, 1..12 (NEW_SYN_RECV included). Not bit 13,
	 * TCP_BOUND_INACTIVE: that makes the kernel walk the bind hash too,
	 * which no census needs and which would flatter the exporter. */
	msg.req.idiag_states = ((1u << 13) - 1) & ~1u;
	if (send(fd, &msg, sizeof(msg), 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -EPROTO;
			states[((struct inet_diag_msg *)NLMSG_DATA(h))->idiag_state & 15]++;
		}
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 11;
	double *t = calloc((size_t)runs, sizeof(*t));
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	uint64_t total = 0;

	if (t == NULL || runs < 1 || fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("diag_floor");
		return 1;
	}
	for (int r = 0; r < runs; r++) {
		struct timespec a, b;
		memset(states, 0, sizeof(states));
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (dump(fd, AF_INET, 2 * (uint32_t)r + 1) < 0 || dump(fd, AF_INET6, 2 * (uint32_t)r + 2) < 0) {
			perror("dump");
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		t[r] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	}
	for (int s = 0; s < 16; s++)
		total += states[s];
	qsort(t, (size_t)runs, sizeof(*t), cmp);
	printf("floor_ms=%.3f sockets=%llu\n", t[runs / 2], (unsigned long long)total);
	return 0;
}
