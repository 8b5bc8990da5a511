/* sock_diag dump replies: the bytes the kernel (or anything that can write
 * to our netlink socket) sends. The batch takes its sequence number and port
 * id from the first message, so the records are parsed, not skipped. */
#include <linux/netlink.h>
#include <netinet/in.h>
#include <string.h>

#include "sockdiag/reply.h"

static int count(const struct diag_sock *s, void *arg)
{
	(*(uint64_t *)arg) += s->sport + s->inode;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_batch b = {.protocol = IPPROTO_TCP};
	uint64_t sum = 0;

	if (size >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;

		memcpy(&h, data, sizeof(h));
		b.seq = h.nlmsg_seq;
		b.portid = h.nlmsg_pid;
	}
	diag_parse_batch(data, size, &b, count, &sum);
	return 0;
}
