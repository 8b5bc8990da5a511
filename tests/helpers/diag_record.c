/* diag_record: writes the raw netlink replies of one sock_diag dump to a
 * file, for unit-test fixtures (tests/fixtures/NAME.nl). The bytes are exactly
 * what recvmsg() returned, buffer after buffer.
 *
 *   diag_record inet|inet6 tcp|udp STATEMASK(hex) OUTFILE [EXT(hex): idiag_ext] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	static char buf[65536];
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	FILE *out;
	int fd, done = 0;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: diag_record inet|inet6 tcp|udp STATEMASK OUTFILE [EXT]\n");
		return 2;
	}
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("netlink");
		return 1;
	}
	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.nlh.nlmsg_seq = 4242;
	msg.req.sdiag_family = strcmp(argv[1], "inet6") == 0 ? AF_INET6 : AF_INET;
	msg.req.sdiag_protocol = strcmp(argv[2], "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	msg.req.idiag_states = (uint32_t)strtoul(argv[3], NULL, 16);
	if (argc == 6)
		msg.req.idiag_ext = (uint8_t)strtoul(argv[5], NULL, 16);
	if (send(fd, &msg, sizeof(msg), 0) < 0) {
		perror("send");
		return 1;
	}
	out = fopen(argv[4], "wb");
	if (out == NULL) {
		perror(argv[4]);
		return 1;
	}
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0) {
			perror("recv");
			return 1;
		}
		fwrite(buf, 1, (size_t)n, out);
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				done = 1;
	}
	return fclose(out) == 0 ? 0 : 1;
}
