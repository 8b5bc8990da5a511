/* sockdiag/reply: pure parsing of sock_diag dump replies. See sockdiag/reply.h. */
#include "sockdiag/reply.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <linux/tcp.h>

static const char *const tcp_state_names[DIAG_TCP_STATE_COUNT] = {
	[DIAG_TCP_ESTABLISHED] = "established",
	[DIAG_TCP_SYN_SENT] = "syn_sent",
	[DIAG_TCP_SYN_RECV] = "syn_recv",
	[DIAG_TCP_FIN_WAIT1] = "fin_wait1",
	[DIAG_TCP_FIN_WAIT2] = "fin_wait2",
	[DIAG_TCP_TIME_WAIT] = "time_wait",
	[DIAG_TCP_CLOSE] = "close",
	[DIAG_TCP_CLOSE_WAIT] = "close_wait",
	[DIAG_TCP_LAST_ACK] = "last_ack",
	[DIAG_TCP_LISTEN] = "listen",
	[DIAG_TCP_CLOSING] = "closing",
};

const char *diag_tcp_state_name(enum diag_tcp_state st)
{
	return (unsigned)st < DIAG_TCP_STATE_COUNT ? tcp_state_names[st] : "unknown";
}

int diag_tcp_state(uint8_t kstate)
{
	/* Kernel states 1..11 are our states 0..10 in the same order. */
	if (kstate >= DIAG_KSTATE_ESTABLISHED && kstate <= DIAG_KSTATE_CLOSING)
		return kstate - DIAG_KSTATE_ESTABLISHED;
	if (kstate == DIAG_KSTATE_NEW_SYN_RECV)
		return DIAG_TCP_SYN_RECV;
	return -1;
}

bool diag_tcp_retransmitting(const struct diag_tcp_info *i)
{
	return i->retrans > 0 || i->ca_state == DIAG_TCP_CA_RECOVERY || i->ca_state == DIAG_TCP_CA_LOSS;
}

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
static const uint8_t zero16[16];

static bool is_mapped(const uint8_t a[16])
{
	return memcmp(a, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0;
}

/* End of a tcp_info field: the attribute must be this long to carry it. */
#define TCPI_END(f) (offsetof(struct tcp_info, f) + sizeof(((struct tcp_info *)0)->f))
/* Copies field f of the kernel's tcp_info at p (any alignment) into dst. */
#define TCPI_GET(dst, p, f)                                                        \
	do {                                                                       \
		_Static_assert(sizeof(dst) == sizeof(((struct tcp_info *)0)->f), #f); \
		memcpy(&(dst), (p) + offsetof(struct tcp_info, f), sizeof(dst));   \
	} while (0)

/* Reads the tcp_info fields a len-byte INET_DIAG_INFO payload covers. The
 * kernel's struct may be longer or shorter than ours; offsets never change
 * (fields are only ever appended). */
static void parse_tcp_info(const uint8_t *p, size_t len, struct diag_sock *out)
{
	if (len >= TCPI_END(tcpi_total_retrans)) {
		out->have |= DIAG_HAVE_TCP_INFO;
		TCPI_GET(out->info.ca_state, p, tcpi_ca_state);
		TCPI_GET(out->info.retrans, p, tcpi_retrans);
		TCPI_GET(out->info.rtt_us, p, tcpi_rtt);
		TCPI_GET(out->info.total_retrans, p, tcpi_total_retrans);
	}
	if (len >= TCPI_END(tcpi_bytes_received)) {
		out->have |= DIAG_HAVE_TCP_BYTES;
		TCPI_GET(out->info.bytes_acked, p, tcpi_bytes_acked);
		TCPI_GET(out->info.bytes_received, p, tcpi_bytes_received);
	}
}

/* INET_DIAG_SKMEMINFO: an array of u32 indexed by SK_MEMINFO_*; older
 * kernels send fewer entries (no drops before Linux 4.7). */
static void parse_meminfo(const uint8_t *p, size_t len, struct diag_sock *out)
{
	if (len >= (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)) {
		memcpy(&out->drops, p + SK_MEMINFO_DROPS * sizeof(uint32_t), sizeof(uint32_t));
		out->have |= DIAG_HAVE_DROPS;
	}
}

/* Walks the attributes after inet_diag_msg. 0 or -EBADMSG. */
static int parse_attrs(const uint8_t *p, size_t len, struct diag_sock *out)
{
	while (len >= NLA_HDRLEN) {
		struct nlattr a;
		size_t plen, step;

		memcpy(&a, p, sizeof(a));
		if (a.nla_len < NLA_HDRLEN || a.nla_len > len)
			return -EBADMSG;
		plen = a.nla_len - NLA_HDRLEN;
		switch (a.nla_type & NLA_TYPE_MASK) {
		case INET_DIAG_INFO:
			if (out->protocol == IPPROTO_TCP)
				parse_tcp_info(p + NLA_HDRLEN, plen, out);
			break;
		case INET_DIAG_SKMEMINFO:
			parse_meminfo(p + NLA_HDRLEN, plen, out);
			break;
		default:
			break;
		}
		/* The last attribute's padding may be left out. */
		step = NLA_ALIGN(a.nla_len);
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
	/* 1-3 bytes left over: a header cut short. */
	return len > 0 ? -EBADMSG : 0;
}

int diag_parse_msg(const struct nlmsghdr *nlh, uint8_t protocol, struct diag_sock *out)
{
	struct inet_diag_msg m;
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(m)));

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(m)))
		return -EBADMSG;
	/* The payload may sit at any 4-byte offset in a receive buffer. */
	memcpy(&m, NLMSG_DATA(nlh), sizeof(m));
	memset(out, 0, sizeof(*out));
	out->family = m.idiag_family;
	out->protocol = protocol;
	out->kstate = m.idiag_state;
	out->timer = m.idiag_timer;
	out->sport = ntohs(m.id.idiag_sport);
	out->dport = ntohs(m.id.idiag_dport);
	out->inode = m.idiag_inode;
	out->uid = m.idiag_uid;
	out->rqueue = m.idiag_rqueue;
	out->wqueue = m.idiag_wqueue;
	if (m.idiag_family == AF_INET) {
		out->addr_family = AF_INET;
		memcpy(out->src, m.id.idiag_src, 4);
		memcpy(out->dst, m.id.idiag_dst, 4);
	} else if (m.idiag_family == AF_INET6) {
		const uint8_t *src = (const uint8_t *)m.id.idiag_src;
		const uint8_t *dst = (const uint8_t *)m.id.idiag_dst;
		bool s4 = is_mapped(src), d4 = is_mapped(dst);
		bool sz = memcmp(src, zero16, 16) == 0, dz = memcmp(dst, zero16, 16) == 0;

		/* A dual-stack socket speaking IPv4: mapped ends, or one mapped
		 * end and the other still unspecified. */
		if ((s4 && (d4 || dz)) || (d4 && sz)) {
			out->addr_family = AF_INET;
			memcpy(out->src, src + 12, 4);
			memcpy(out->dst, dst + 12, 4);
		} else {
			out->addr_family = AF_INET6;
			memcpy(out->src, src, 16);
			memcpy(out->dst, dst, 16);
		}
	} else {
		return -EBADMSG;
	}
	if (nlh->nlmsg_len > off)
		return parse_attrs((const uint8_t *)nlh + off, nlh->nlmsg_len - off, out);
	return 0;
}

int diag_parse_batch(const void *buf, size_t len, struct diag_batch *b,
		     diag_sock_fn fn, void *arg)
{
	const uint8_t *p = buf;
	int ret = 0;

	while (len > 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t step;

		if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
		    nlh->nlmsg_len > len) {
			ret = -EBADMSG;
			goto out;
		}
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step > len)
			step = len;
		if (nlh->nlmsg_seq != b->seq || nlh->nlmsg_pid != b->portid)
			goto next;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			b->interrupted = true;

		if (nlh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr e;
			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(e))) {
				ret = -EBADMSG;
				goto out;
			}
			memcpy(&e, NLMSG_DATA(nlh), sizeof(e));
			/* error 0 is an acknowledgement: the dump is over. */
			ret = e.error < 0 ? e.error : 1;
			goto out;
		}
		if (nlh->nlmsg_type == NLMSG_DONE) {
			int err = 0;
			/* The dump's own error can ride in DONE's payload. */
			if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
				memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
			ret = err < 0 ? err : 1;
			goto out;
		}
		if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			struct diag_sock s;
			ret = diag_parse_msg(nlh, b->protocol, &s);
			if (ret < 0)
				goto out;
			b->sockets++;
			ret = fn(&s, arg);
			if (ret != 0)
				goto out;
		}
next:
		p += step;
		len -= step;
	}
out:
	return ret;
}
