/* events/abi: what the BPF programs (src/events/bpf/events.bpf.c) and user
 * space (events/loader, the events collector) share: map keys and the event
 * kinds they count. Plain fixed-size types only; the includer defines
 * __u8.. __u32 first (<linux/types.h> in user space, vmlinux.h in BPF). */
#ifndef NETSTAT_EVENTS_ABI_H
#define NETSTAT_EVENTS_ABI_H

/* What one counter counts; one exported family each. */
enum ev_kind {
	EV_OPENED = 0,       /* direction, port */
	EV_CONNECT_FAILED,   /* port (remote) */
	EV_RST_SENT,         /* port, reason (enum sk_rst_reason) */
	EV_RST_RECEIVED,     /* direction, port */
	EV_CLOSED_PORT_SYN,  /* port (local) */
	EV_SYN_RECEIVED,     /* port (listener) */
	EV_SYNCOOKIE_SENT,   /* port (listener) */
	EV_RETRANSMIT,       /* direction, port */
	EV_SYNACK_RETRANSMIT,/* port (listener) */
	EV_TCP_DROP,         /* port (destination), reason (enum skb_drop_reason) */
	EV_UDP_DROP,         /* port (destination), reason */
	EV_KIND_COUNT
};

/* EV_RST_SENT reasons that are no value of enum sk_rst_reason: the
 * tracepoint passes none (before 6.10), and a reset counted from the drop of
 * the segment it answered, no socket (kernels whose tracepoint misses those:
 * before 6.10 too). */
#define EV_RST_UNKNOWN 0xffff
#define EV_RST_NO_SOCKET_DROP 0xfffe

/* The programs, for the per-program self-metrics (struct events_bss.seen). */
enum ev_prog {
	EV_PROG_STATE = 0,   /* tp_btf/inet_sock_set_state */
	EV_PROG_RST_SENT,    /* tp_btf/tcp_send_reset */
	EV_PROG_RST_RECEIVED,/* tp_btf/tcp_receive_reset */
	EV_PROG_RETRANSMIT,  /* tp_btf/tcp_retransmit_skb */
	EV_PROG_SYNACK,      /* tp_btf/tcp_retransmit_synack */
	EV_PROG_DROP,        /* tp_btf/kfree_skb */
	EV_PROG_SYN,         /* cgroup_skb/ingress */
	EV_PROG_SEED,        /* iter/tcp: the live states' seed walk */
	EV_PROG_COUNT
};

enum ev_dir {
	EV_DIR_INBOUND = 0,
	EV_DIR_OUTBOUND,
	EV_DIR_NONE          /* a family without direction */
};

/* Key of the counts map (12 bytes, no holes). */
struct ev_key {
	__u32 netns;  /* network namespace inode */
	__u16 port;   /* host order */
	__u16 reason; /* kernel enum value; 0 for families without reason */
	__u8 kind;    /* enum ev_kind */
	__u8 dir;     /* enum ev_dir */
	__u16 pad;
};

/* Key of the scan-sources map: a source of SYNs to closed ports. */
struct ev_src_key {
	__u32 netns;
	__u8 family;  /* 4 or 6 */
	__u8 pad[3];
	__u8 addr[16]; /* network order; IPv4 in the first 4 bytes */
};

/* Live TCP states per network namespace (docs/events.md, "Live states"):
 * full sockets per (family, kernel state), kept from inet_sock_set_state
 * with per-socket storage and seeded by an iter/tcp walk. Only ESTABLISHED
 * .. CLOSING and LISTEN are counted (SYN_RECV, TIME_WAIT and CLOSE are not:
 * request and timewait sockets have no state events). seq moves with every
 * change, so a reader can tell whether the counts moved while it looked. */
#define EV_LIVE_STATES 16 /* kernel TCP states 0..11; a power of two, so a mask bounds the index */
/* Whether live counts keep kernel TCP state s (1 ESTABLISHED .. 11 CLOSING):
 * every one but SYN_RECV (3), TIME_WAIT (6) and CLOSE (7). The one list, for
 * the BPF programs and the netns collector alike. */
#define EV_LIVE_KEPT(s) ((s) >= 1 && (s) <= 11 && (s) != 3 && (s) != 6 && (s) != 7)
struct ev_live {
	__s64 n[2][EV_LIVE_STATES]; /* [ipv4, ipv6][state] */
	__u64 seq;
	__u64 seeded; /* BPF side: this CPU has seen the namespace in `seeded` */
};
/* The BPF side keeps struct ev_live per CPU (a socket's changes may run on
 * any CPU, so one CPU's counts can be negative): readers sum the copies. */

/* Per program and CPU: events counted, and events lost (a full map). */
struct ev_prog_stats {
	__u64 seen;
	__u64 lost;
};

/* Request sockets (SYN_RECV) per network namespace: the listeners' SYN
 * queues summed by the queues walk (events/live.h), by listener family. */
struct ev_queues {
	__u64 n[2]; /* [ipv4, ipv6] */
};

/* A listener of another namespace (the BPF side's listener_socks). */
struct ev_listener {
	__u32 netns;
	__u32 family; /* 0 IPv4, 1 IPv6 */
};

#define EV_COUNTS_MAX 16384
#define EV_LISTENERS_MAX 16384
#define EV_FW1_MAX 16384 /* other namespaces' sockets in FIN_WAIT1 followed at once */
#define EV_LIVE_NS_MAX 4096
#define EV_SOURCES_MAX 4096

#endif
