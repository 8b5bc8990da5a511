/* sockdiag/transport: the sock_diag netlink transport. See sockdiag/transport.h. */
#include "sockdiag/transport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <libmnl/libmnl.h>

_Static_assert(NL_DIAG_EXT_INFO == NL_DIAG_EXT(INET_DIAG_INFO), "idiag_ext bit of INET_DIAG_INFO");
_Static_assert(NL_DIAG_EXT_SKMEMINFO == NL_DIAG_EXT(INET_DIAG_SKMEMINFO), "idiag_ext bit of INET_DIAG_SKMEMINFO");

int diag_nl_init(struct diag_nl *d)
{
	memset(d, 0, sizeof(*d));
	d->buf = malloc(NL_DIAG_BUF_SIZE);
	if (d->buf == NULL)
		return -ENOMEM;
	/* Any start value works; a varying one keeps replies of an earlier
	 * process that reused our port id from matching. */
	d->seq = (uint32_t)time(NULL);
	return 0;
}

static void close_socket(struct diag_nl *d)
{
	if (d->nl != NULL)
		mnl_socket_close(d->nl);
	d->nl = NULL;
}

void diag_nl_fini(struct diag_nl *d)
{
	if (d == NULL)
		return;
	close_socket(d);
	free(d->buf);
	d->buf = NULL;
}

static int open_socket(struct diag_nl *d)
{
	int ret = 0;

	d->nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (d->nl == NULL) {
		ret = -errno;
		goto out;
	}
	if (mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		close_socket(d);
		goto out;
	}
	d->portid = mnl_socket_get_portid(d->nl);
out:
	return ret;
}

int diag_nl_open(struct diag_nl *d)
{
	if (d->nl != NULL)
		return 0;
	if (d->adopted)
		return -ENOTCONN;
	return open_socket(d);
}

int diag_nl_adopt(struct diag_nl *d, int fd)
{
	int ret = 0;

	close_socket(d);
	d->adopted = true;
	d->nl = mnl_socket_fdopen(fd);
	if (d->nl == NULL) {
		ret = errno ? -errno : -ENOMEM;
		close(fd);
		goto out;
	}
	if (mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		close_socket(d);
		goto out;
	}
	d->portid = mnl_socket_get_portid(d->nl);
out:
	return ret;
}

/* Stands between the batch walk and the consumer: once the consumer returns
 * non-zero it sees no more sockets, but the reply is still read to its end,
 * so the kernel finishes the dump (the next request would get EBUSY). */
struct relay {
	diag_sock_fn fn;
	void *arg;
	int ret; /* the consumer's first non-zero return */
};

static int relay_sock(const struct diag_sock *s, void *arg)
{
	struct relay *r = arg;

	if (r->ret == 0)
		r->ret = r->fn(s, r->arg);
	return 0;
}

int diag_nl_dump(struct diag_nl *d, uint8_t family, uint8_t protocol,
		 uint32_t states, uint8_t ext, const struct diag_bc *bc, diag_sock_fn fn, void *arg)
{
	/* Header, request, and the bytecode attribute at its largest. */
	union {
		struct nlmsghdr align;
		uint8_t bytes[MNL_ALIGN(sizeof(struct nlmsghdr)) + MNL_ALIGN(sizeof(struct inet_diag_req_v2)) +
			      MNL_ATTR_HDRLEN + MNL_ALIGN(DIAG_BC_MAX_LEN)];
	} msg;
	struct nlmsghdr *nlh;
	struct inet_diag_req_v2 *req;
	struct relay rl = {fn, arg, 0};
	struct diag_batch b;
	int ret = 0;

	if (bc != NULL && (bc->len == 0 || bc->len > DIAG_BC_MAX_LEN)) {
		ret = -EINVAL;
		goto out;
	}
	ret = diag_nl_open(d);
	if (ret < 0)
		goto out;
	memset(&msg, 0, sizeof(msg));
	nlh = mnl_nlmsg_put_header(msg.bytes);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++d->seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = protocol;
	req->idiag_states = states;
	req->idiag_ext = ext;
	/* The attribute only when there is a filter. */
	if (bc != NULL)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, bc->len, bc->ops);

	memset(&b, 0, sizeof(b));
	b.seq = nlh->nlmsg_seq;
	b.portid = d->portid;
	b.protocol = protocol;
	if (mnl_socket_sendto(d->nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		close_socket(d);
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(d->nl, d->buf, NL_DIAG_BUF_SIZE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EPIPE;
			close_socket(d);
			goto out;
		}
		ret = diag_parse_batch(d->buf, (size_t)n, &b, relay_sock, &rl);
		if (ret == 0)
			continue;
		if (ret == -EBADMSG) {
			/* The end of a garbled reply cannot be found: use a
			 * fresh socket next time. */
			close_socket(d);
			goto out;
		}
		/* 1: complete; < 0: the kernel's error, the dump is over. */
		break;
	}
	if (ret == 1)
		ret = 0;
	if (ret == 0 && rl.ret != 0)
		ret = rl.ret;
	if (ret == 0 && b.interrupted)
		ret = -EINTR;
out:
	return ret;
}
