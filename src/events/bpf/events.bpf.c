// SPDX-License-Identifier: GPL-2.0
/* The BPF side of the events collector: counters of TCP and UDP events by
 * (network namespace, port, kind, direction, reason), kept in kernel maps
 * that user space reads at scrape time. Only stable attach points:
 * BTF-typed tracepoints and a cgroup_skb program on the cgroup v2 root.
 * See docs/events.md for what each program sees and why it was chosen. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "events/abi.h"

#define AF_INET_ 2
#define AF_INET6_ 10
#define ETH_P_IP_ 0x0800
#define ETH_P_IPV6_ 0x86DD
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define TCPF_SYN_ 0x02
#define TCPF_RST_ 0x04
#define TCPF_ACK_ 0x10
#define SOCK_BINDPORT_LOCK_ 8
#define TCP_ESTABLISHED_ 1
#define TCP_SYN_SENT_ 2
#define TCP_SYN_RECV_ 3
#define TCP_FIN_WAIT1_ 4
#define TCP_FIN_WAIT2_ 5
#define TCP_CLOSE_ 7
#define TCP_LISTEN_ 10
#define TCP_CLOSING_ 11

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load, from the running kernel's BTF. */
const volatile __u32 drop_reason_min = 2;   /* reasons below are not drops (consumed) */
const volatile __u32 drop_reason_no_socket = 3;
const volatile __u32 drop_reason_listen_overflow = ~0u; /* ~0u: this kernel has none */
const volatile __u32 drop_reason_queue_purge = ~0u;
/* tcp_send_reset misses resets sent without a socket (before 6.10): count
 * them from the drop of the segment each answers (on_drop). */
const volatile __u8 rst_from_drops = 0;
const volatile __u8 scan_sources_on = 1;
/* The exporter's own namespace: no live states there (its census runs
 * every scrape), so its sockets cost no per-socket storage. */
const volatile __u32 own_netns = 0;
const volatile __u8 live_on = 1; /* --collector.events.live-states */

/* Every counter the programs bump on each event is per CPU (this, `live`):
 * a socket's changes and packets run on several CPUs, and one atomic add
 * to a line another CPU holds costs more than the rest of a state change
 * (measured: bench/events_bench.sh, docs/events.md). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EV_PROG_COUNT);
	__type(key, __u32);
	__type(value, struct ev_prog_stats);
} prog_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EV_COUNTS_MAX);
	__type(key, struct ev_key);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EV_SOURCES_MAX);
	__type(key, struct ev_src_key);
	__type(value, __u64);
} sources SEC(".maps");

/* Live states (abi.h): per socket, the state it is counted under (0: none);
 * per namespace and CPU, the counts (allocated as namespaces appear: a
 * preallocated per-CPU map would take EV_LIVE_NS_MAX x CPUs entries). */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} sk_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EV_LIVE_NS_MAX);
	__type(key, __u32);
	__type(value, struct ev_live);
} live SEC(".maps");

/* Namespaces whose seed walk has ended (user space adds them): their
 * sockets without storage were made since, and are counted by delta. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EV_LIVE_NS_MAX);
	__type(key, __u32);
	__type(value, __u8);
} seeded SEC(".maps");

/* The other namespaces' listeners, by address (user space never sees it),
 * for live_queues: request sockets (SYN_RECV) have no state events, but
 * their listener counts them. Added when a socket starts listening or by
 * the seed walk, taken out when it stops. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EV_LISTENERS_MAX);
	__type(key, __u64);
	__type(value, struct ev_listener);
} listener_socks SEC(".maps");

/* live_queues' sums, per namespace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EV_LIVE_NS_MAX);
	__type(key, __u32);
	__type(value, struct ev_queues);
} queues SEC(".maps");

/* The other namespaces' sockets counted in FIN_WAIT1 (docs/events.md, "Live
 * states"; user space never sees it): the kernel at times runs none of the
 * programs for a socket's changes out of FIN_WAIT1 (nor for its
 * tcp_destroy_sock), so its count there would stay. A slot gets a socket as
 * it enters FIN_WAIT1 and loses it as it leaves; whoever empties a slot (its
 * cookie swapped to 0) applies its exit, once: a change of the socket, or
 * the scrape-time sweep (fw1_sweep()) for one gone, closed or (counted by
 * delta) moved on unseen. An array with no locks, not a hash map: a hash
 * map's insert and delete (the delete on the peer's CPU, in the softirq of
 * its ACK) were 0.8 us a connection, the most of a state change's cost.
 * A socket's slot is one of FW1_WAYS from its cookie's hash; the cookie is
 * also the word a slot changes hands by (a socket's cookie is never reused,
 * so a slot seen holding one cookie holds the same socket until that cookie
 * goes): 0 free, FW1_BUSY set while its taker writes the rest. A freed
 * socket's slot is emptied by the sweep (its address holds another cookie). */
struct fw1_sock {
	__u64 cookie;
	__u64 sk;     /* the socket's address */
	__u32 netns;
	__u8 family;  /* 0 IPv4, 1 IPv6 */
	__u8 storage; /* counted by storage (its next change takes FIN_WAIT1 out) */
	__u16 pad;
	__u64 pad2;   /* 32 bytes: a socket's two slots share a cache line */
};

#define FW1_BUSY (1ULL << 63) /* cookies count up from 1: never this high */
#define FW1_WAYS 2

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EV_FW1_MAX);
	__type(key, __u32);
	__type(value, struct fw1_sock);
} fw1_socks SEC(".maps");

/* Per CPU and socket lock context (state_mark()), the state change the
 * first state program last ran for: the second program does the change's
 * work only when the first was skipped (on_state_live). */
struct state_mark {
	__u64 sk;
	__s32 oldstate, newstate;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct state_mark);
} state_marks SEC(".maps");

/* A new namespace's counts; sockets left uncounted (no storage or no room
 * for their namespace): user space stops trusting the live counts. */
struct ev_live live_zero;
__u64 live_lost;
/* Changes the second state program applied because the kernel skipped the
 * first's run: user space counts the first's skipped runs beyond these as
 * lost. */
__u64 state_recovered;
/* Exits from FIN_WAIT1 no program saw, applied since (fw1_socks); sockets
 * not followed there for want of a free slot. */
__u64 fw1_unseen;
__u64 fw1_full;

static __always_inline void bump(__u64 *v)
{
	__sync_fetch_and_add(v, 1);
}

/* Adds n to this CPU's count of prog's events, seen or lost. */
static __always_inline void prog_add(enum ev_prog prog, bool lost, __u64 n)
{
	__u32 k = prog;
	struct ev_prog_stats *s = bpf_map_lookup_elem(&prog_stats, &k);

	if (s)
		__sync_fetch_and_add(lost ? &s->lost : &s->seen, n);
}

/* Adds n to the counter of (netns, port, kind, dir, reason). */
static __always_inline void count_n(enum ev_prog prog, __u32 netns, __u16 port, enum ev_kind kind,
				    enum ev_dir dir, __u16 reason, __u64 n)
{
	struct ev_key k = {};
	__u64 *v;

	k.netns = netns;
	k.port = port;
	k.reason = reason;
	k.kind = kind;
	k.dir = dir;
	v = bpf_map_lookup_elem(&counts, &k);
	if (!v) {
		if (bpf_map_update_elem(&counts, &k, &n, BPF_NOEXIST) == 0)
			goto seen;
		v = bpf_map_lookup_elem(&counts, &k); /* another CPU made it */
		if (!v) {
			prog_add(prog, true, n);
			return;
		}
	}
	__sync_fetch_and_add(v, n);
seen:
	prog_add(prog, false, n);
}

static __always_inline void count(enum ev_prog prog, __u32 netns, __u16 port, enum ev_kind kind,
				  enum ev_dir dir, __u16 reason)
{
	count_n(prog, netns, port, kind, dir, reason, 1);
}

/* The helpers that take a socket or an skb read it directly: they are
 * given the kernel's typed (BTF) pointers, a tracepoint's arguments, which
 * the verifier lets a program load from (faulting loads read 0) without a
 * bpf_probe_read_kernel() call each, a fifth of a state change's cost. */
static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return sk->__sk_common.skc_net.net->ns.inum;
}

static __always_inline __u32 skb_netns(const struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	struct sock *sk;

	if (dev)
		return dev->nd_net.net->ns.inum;
	sk = skb->sk;
	return sk ? sk_netns(sk) : 0;
}

/* What a packet's headers say. */
struct pkt {
	__u8 proto;
	__u8 family; /* 4 or 6 */
	__u8 flags;  /* TCP flags */
	__u16 sport, dport; /* host order */
	__u8 saddr[16];
};

/* Reads the IP and TCP/UDP headers of an skb (tracing programs). */
static __always_inline int skb_parse(const struct sk_buff *skb, struct pkt *p)
{
	unsigned char *head = skb->head;
	__u16 nh = skb->network_header;
	__u16 th = skb->transport_header;
	__u8 b[20];

	if (nh == (__u16)~0U || bpf_probe_read_kernel(b, sizeof(b), head + nh))
		return -1;
	if ((b[0] >> 4) == 4) {
		p->family = 4;
		p->proto = b[9];
		__builtin_memcpy(p->saddr, &b[12], 4);
		if (th == (__u16)~0U || th == nh)
			th = nh + (b[0] & 0xf) * 4;
	} else if ((b[0] >> 4) == 6) {
		p->family = 6;
		p->proto = b[6];
		if (bpf_probe_read_kernel(p->saddr, 16, head + nh + 8))
			return -1;
		if (th == (__u16)~0U || th == nh)
			th = nh + 40;
	} else {
		return -1;
	}
	if (p->proto != IPPROTO_TCP_ && p->proto != IPPROTO_UDP_)
		return -1;
	if (bpf_probe_read_kernel(b, 14, head + th))
		return -1;
	p->sport = (__u16)(b[0] << 8 | b[1]);
	p->dport = (__u16)(b[2] << 8 | b[3]);
	p->flags = p->proto == IPPROTO_TCP_ ? b[13] : 0;
	return 0;
}

static __always_inline __u16 sk_lport(const struct sock *sk)
{
	return sk->__sk_common.skc_num;
}

static __always_inline __u16 sk_rport(const struct sock *sk)
{
	return bpf_ntohs(sk->__sk_common.skc_dport);
}

/* Inbound: the socket came from a listener. Accepted sockets inherit the
 * listener's bind lock on its port (sock_copy); connect()ed sockets have
 * none unless the program bound a fixed local port first. A test of the
 * socket alone, so it needs no per-socket storage. */
static __always_inline enum ev_dir sk_direction(struct sock *sk)
{
	return (BPF_CORE_READ_BITFIELD(sk, sk_userlocks) & SOCK_BINDPORT_LOCK_) ?
		       EV_DIR_INBOUND : EV_DIR_OUTBOUND;
}

static __always_inline __u16 dir_port(struct sock *sk, enum ev_dir dir)
{
	return dir == EV_DIR_INBOUND ? sk_lport(sk) : sk_rport(sk);
}

/* The states live counts keep: full sockets' only. SYN_RECV (request
 * sockets), TIME_WAIT (timewait sockets) and CLOSE are not counted. */
static __always_inline bool live_counted(int state)
{
	return EV_LIVE_KEPT(state);
}

/* The index of sk's family in struct ev_live: 0 IPv4, 1 IPv6. */
static __always_inline int live_family(const struct sock *sk)
{
	return sk->__sk_common.skc_family == AF_INET6_;
}

static __always_inline struct ev_live *live_of(__u32 netns, bool create)
{
	struct ev_live *e = bpf_map_lookup_elem(&live, &netns);

	if (e == NULL && create) {
		bpf_map_update_elem(&live, &netns, &live_zero, BPF_NOEXIST);
		e = bpf_map_lookup_elem(&live, &netns);
	}
	return e;
}

/* Adds d to e's count of (fam, state): masked, the index needs no bounds
 * check the verifier could lose track of. The barrier keeps the mask: clang
 * drops it where it knows the state is at most 11, and 6.1's verifier does
 * not (it loses the bound checked on state - 1) and refuses the program. */
static __always_inline void live_add(struct ev_live *e, int fam, __u32 state, __s64 d)
{
	barrier_var(state);
	__sync_fetch_and_add(&e->n[fam & 1][state & (EV_LIVE_STATES - 1)], d);
}

/* Moves one socket of family fam in e's counts from state from to state to
 * (0: none, either way) and marks the change (seq). */
static __always_inline void live_shift(struct ev_live *e, int fam, __u32 from, __u32 to)
{
	if (from > 0)
		live_add(e, fam, from, -1);
	if (to > 0)
		live_add(e, fam, to, 1);
	__sync_fetch_and_add(&e->seq, 1);
}

/* Takes the FIN_WAIT1 count of a socket out of namespace netns, family fam,
 * and adds it to state add (0: none): an exit from FIN_WAIT1 no program saw. */
static __always_inline void fw1_unseen_exit(__u32 netns, int fam, __u32 add)
{
	struct ev_live *e = live_of(netns, false);

	if (e == NULL)
		return;
	live_shift(e, fam, TCP_FIN_WAIT1_, add);
	__sync_fetch_and_add(&fw1_unseen, 1);
}

/* A socket's FW1_WAYS slots in fw1_socks, by its cookie: the two of one
 * cache line, the first by the cookie's low bits. A CPU takes cookies in
 * sequence, so the sockets it closes take slots in sequence, in lines it
 * used last. */
static __always_inline struct fw1_sock *fw1_slot(__u64 cookie, __u32 i)
{
	__u32 k = ((__u32)cookie ^ i) & (EV_FW1_MAX - 1);

	return bpf_map_lookup_elem(&fw1_socks, &k);
}

/* Writes sk's entry into slot s, taken (its cookie FW1_BUSY), and hands it
 * over: the exchange orders the writes before the cookie. */
static __always_inline void fw1_fill(struct fw1_sock *s, struct sock *sk, __u64 cookie,
				     __u32 netns, int fam, bool storage)
{
	s->sk = (__u64)(unsigned long)sk;
	s->netns = netns;
	s->family = (__u8)fam;
	s->storage = storage;
	__sync_lock_test_and_set(&s->cookie, cookie);
}

/* Adds sk, now counted in FIN_WAIT1, to fw1_socks. No free slot: sk is not
 * followed (a census corrects it if its exit goes unseen), counted in
 * fw1_full. */
static __always_inline void fw1_track(struct sock *sk, __u32 netns, int fam, bool storage)
{
	__u64 cookie = bpf_get_socket_cookie(sk);
	struct fw1_sock *s;

#pragma unroll
	for (__u32 i = 0; i < FW1_WAYS; i++) {
		s = fw1_slot(cookie, i);
		if (s == NULL)
			return;
		if (s->cookie == 0 &&
		    __sync_val_compare_and_swap(&s->cookie, 0, cookie | FW1_BUSY) == 0) {
			fw1_fill(s, sk, cookie, netns, fam, storage);
			return;
		}
	}
	__sync_fetch_and_add(&fw1_full, 1);
}

/* Takes sk out of fw1_socks: true when it was there (this caller applies
 * its exit from FIN_WAIT1). A socket with no cookie was never followed. */
static __always_inline bool fw1_untrack(struct sock *sk)
{
	__u64 cookie = sk->__sk_common.skc_cookie.counter;
	struct fw1_sock *s;

	if (cookie == 0)
		return false;
#pragma unroll
	for (__u32 i = 0; i < FW1_WAYS; i++) {
		s = fw1_slot(cookie, i);
		if (s == NULL)
			return false;
		if (s->cookie == cookie)
			return __sync_val_compare_and_swap(&s->cookie, cookie, 0) == cookie;
	}
	return false;
}

/* A change of a socket made after its namespace's seed walk (live_move()):
 * e is its namespace's counts on this CPU (NULL: none yet). */
static __always_inline void live_delta(struct sock *sk, __u32 netns, struct ev_live *e,
				       int oldstate, int newstate)
{
	bool add = live_counted(newstate), take = live_counted(oldstate);
	int fam = live_family(sk);

	/* Leaving FIN_WAIT1: out of fw1_socks. Leaving a state that follows
	 * it, with the socket still there: its exit from FIN_WAIT1 went
	 * unseen, it is counted there: moved to the old state first. */
	if (oldstate == TCP_FIN_WAIT1_)
		fw1_untrack(sk);
	else if ((oldstate == TCP_FIN_WAIT2_ || oldstate == TCP_CLOSING_) && fw1_untrack(sk))
		fw1_unseen_exit(netns, fam, (__u32)oldstate);
	if (newstate == TCP_FIN_WAIT1_)
		fw1_track(sk, netns, fam, false);
	if (!add && !take)
		return;
	if (e == NULL && add)
		e = live_of(netns, true);
	if (e == NULL) {
		if (add)
			__sync_fetch_and_add(&live_lost, 1);
		return;
	}
	live_shift(e, fam, take ? (__u32)oldstate : 0, add ? (__u32)newstate : 0);
}

/* Adds listener sk to listener_socks (listening) or takes it out. A
 * listener left in after it stopped (were a change lost) is ignored by
 * live_queues. */
static __always_inline void listener_mark(struct sock *sk, __u32 netns, bool listening)
{
	__u64 key = (__u64)(unsigned long)sk;
	struct ev_listener v = {.netns = netns, .family = (__u32)live_family(sk)};

	if (!listening)
		bpf_map_delete_elem(&listener_socks, &key);
	else if (bpf_map_update_elem(&listener_socks, &key, &v, BPF_ANY) != 0)
		__sync_fetch_and_add(&live_lost, 1);
}

/* A state change of socket sk, in one of two ways:
 *  - by storage, for the sockets of a namespace whose seed walk has not
 *    ended, and for those that have storage: the state a socket is counted
 *    under is kept with it, and a change moves it to the new one. The first
 *    of the seed walk and the events to see a socket counts it (the walk
 *    skips sockets that have storage; a socket's first event counts only
 *    its new state): sockets are locked for both, so each is counted once;
 *  - by delta, for sockets made after their namespace's seed walk ended
 *    (no storage, the namespace in `seeded`): every such socket was counted
 *    from its first change, so the change's old state is what it is counted
 *    under. Nothing is stored (creating a socket's storage is most of the
 *    cost).
 * Each change is applied once: by on_state, or by on_state_live when the
 * kernel skipped on_state's run. What the kernel does not report (a socket
 * it closes without the tracepoint) the netns collector's census
 * reconciles. */
static __always_inline void live_move(struct sock *sk, __u32 netns, int oldstate, int newstate)
{
	__u32 *st, prev, target;
	bool add = live_counted(newstate);
	struct ev_live *e;
	int fam;

	/* A listener's child starts as its copy (LISTEN -> SYN_RECV): it is
	 * counted from its next change, and takes nothing from the listener. */
	if (netns == own_netns || (oldstate == TCP_LISTEN_ && newstate == TCP_SYN_RECV_))
		return;
	if (newstate == TCP_LISTEN_ || oldstate == TCP_LISTEN_)
		listener_mark(sk, netns, newstate == TCP_LISTEN_);
	target = add ? (__u32)newstate : 0;
	st = bpf_sk_storage_get(&sk_state, sk, 0, 0);
	if (st == NULL) {
		/* Whether the namespace is in `seeded`, kept in its counts on
		 * each CPU once seen there: one map lookup a change, not two. */
		e = live_of(netns, false);
		if (e == NULL || !e->seeded) {
			if (bpf_map_lookup_elem(&seeded, &netns) == NULL)
				goto storage;
			if (e != NULL)
				e->seeded = 1;
		}
		live_delta(sk, netns, e, oldstate, newstate);
		return;
	}
storage:
	if (st == NULL)
		st = bpf_sk_storage_get(&sk_state, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (st != NULL && *st == target)
		return;
	e = live_of(netns, add);
	if (st == NULL || (e == NULL && add)) {
		__sync_fetch_and_add(&live_lost, 1);
		return;
	}
	prev = *st;
	*st = target;
	fam = live_family(sk);
	if (prev == TCP_FIN_WAIT1_)
		fw1_untrack(sk);
	if (target == TCP_FIN_WAIT1_)
		fw1_track(sk, netns, fam, true);
	if (e == NULL) /* a namespace user space forgot (gone): nothing to take from */
		return;
	live_shift(e, fam, prev, target);
}

/* Everything a TCP state change counts (either program). */
static __always_inline void state_change(struct sock *sk, __u32 netns, int oldstate, int newstate)
{
	if (live_on)
		live_move(sk, netns, oldstate, newstate);
	if (newstate == TCP_ESTABLISHED_ &&
	    (oldstate == TCP_SYN_SENT_ || oldstate == TCP_SYN_RECV_)) {
		enum ev_dir dir = oldstate == TCP_SYN_RECV_ ? EV_DIR_INBOUND : EV_DIR_OUTBOUND;

		count(EV_PROG_STATE, netns, dir_port(sk, dir), EV_OPENED, dir, 0);
	} else if (oldstate == TCP_SYN_SENT_ && newstate == TCP_CLOSE_) {
		count(EV_PROG_STATE, netns, sk_rport(sk), EV_CONNECT_FAILED, EV_DIR_NONE, 0);
	}
}

/* The mark of sk's lock context on this CPU: a task holding the socket
 * (lock_sock: owned), or not (softirq, or a task with bottom halves off
 * under bh_lock_sock). Two changes of one context never nest on a CPU: an
 * interrupt never changes the state of a socket a task owns (it queues to
 * the socket's backlog or retries later), and nothing that changes a state
 * interrupts a context with bottom halves off. */
static __always_inline struct state_mark *state_mark(struct sock *sk)
{
	__u32 ctx = sk->sk_lock.owned ? 0 : 1;

	return bpf_map_lookup_elem(&state_marks, &ctx);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_state, struct sock *sk, int oldstate, int newstate)
{
	struct state_mark *m;

	if (BPF_CORE_READ_BITFIELD(sk, sk_protocol) != IPPROTO_TCP_)
		return 0;
	if (live_on && (m = state_mark(sk)) != NULL) {
		m->sk = (__u64)sk;
		m->oldstate = oldstate;
		m->newstate = newstate;
	}
	state_change(sk, sk_netns(sk), oldstate, newstate);
	return 0;
}

/* The same tracepoint again, attached after on_state (with live states
 * only). The kernel skips a program's run when the same program is running
 * on that CPU (its recursion check): a change in softirq that interrupts
 * one in a task anywhere from the kernel's entry to on_state to its exit
 * (a few per thousand connections under churn). This program then runs for
 * the interrupting change and finds no mark of it (on_state wrote none, and
 * the interrupted change's mark is the other context's), so it does
 * on_state's work. Otherwise on_state ran and marked the change: nothing to
 * do. When the interrupt hits this program instead, on_state runs for the
 * interrupting change and this one is skipped: that change too is applied
 * once, and its mark stays until its context's next change replaces or
 * clears it (a later change could be mistaken for it only if of the same
 * socket address, states and context, on the same CPU, with on_state
 * skipped). Needs on_state first on the tracepoint: the kernel runs a
 * tracepoint's programs in the order they were attached. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_state_live, struct sock *sk, int oldstate, int newstate)
{
	struct state_mark *m;
	bool ran;

	if (BPF_CORE_READ_BITFIELD(sk, sk_protocol) != IPPROTO_TCP_ ||
	    (m = state_mark(sk)) == NULL)
		return 0;
	ran = m->sk == (__u64)sk && m->oldstate == oldstate && m->newstate == newstate;
	m->sk = 0;
	if (ran)
		return 0;
	__sync_fetch_and_add(&state_recovered, 1);
	state_change(sk, sk_netns(sk), oldstate, newstate);
	return 0;
}

static __always_inline void rst_sent(const struct sock *sk, const struct sk_buff *skb, __u16 reason)
{
	struct pkt p = {};
	__u32 netns;
	__u16 port;

	if (skb && skb_parse(skb, &p) == 0 && p.proto == IPPROTO_TCP_) {
		port = p.dport; /* the packet answered: its destination is our port */
		netns = sk ? sk_netns(sk) : skb_netns(skb);
	} else if (sk) {
		port = sk_lport(sk);
		netns = sk_netns(sk);
	} else {
		return;
	}
	count(EV_PROG_RST_SENT, netns, port, EV_RST_SENT, EV_DIR_NONE, reason);
}

/* Kernels with enum sk_rst_reason (6.10 on) pass it; older ones do not:
 * user space loads one of the two. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(on_rst_sent, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	rst_sent(sk, skb, (__u16)reason);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(on_rst_sent_noreason, const struct sock *sk, const struct sk_buff *skb)
{
	rst_sent(sk, skb, EV_RST_UNKNOWN);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(on_rst_received, struct sock *sk)
{
	enum ev_dir dir = sk_direction(sk);

	count(EV_PROG_RST_RECEIVED, sk_netns(sk), dir_port(sk, dir), EV_RST_RECEIVED, dir, 0);
	return 0;
}

/* Segments, as tcpi_total_retrans counts them: an skb may hold several. */
static __always_inline void retransmit(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_skb_cb *cb = (struct tcp_skb_cb *)&skb->cb[0];
	enum ev_dir dir = sk_direction(sk);
	__u16 segs = BPF_CORE_READ(cb, tcp_gso_segs);

	count_n(EV_PROG_RETRANSMIT, sk_netns(sk), dir_port(sk, dir), EV_RETRANSMIT, dir, 0,
		segs ? segs : 1);
}

/* Kernels that pass err (6.x on) also trace failed retransmissions, which
 * tcpi_total_retrans does not count; older ones trace successes only: user
 * space loads one of the two. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(on_retransmit, struct sock *sk, const struct sk_buff *skb, int err)
{
	if (err == 0)
		retransmit(sk, skb);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(on_retransmit_noerr, struct sock *sk, const struct sk_buff *skb)
{
	retransmit(sk, skb);
	return 0;
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(on_synack_retransmit, const struct sock *sk, const struct request_sock *req)
{
	count(EV_PROG_SYNACK, sk_netns(sk), sk_lport(sk), EV_SYNACK_RETRANSMIT, EV_DIR_NONE, 0);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(on_drop, struct sk_buff *skb, void *location, int reason)
{
	struct ev_src_key sk = {};
	struct pkt p = {};
	__u16 proto = skb->protocol;
	__u64 one = 1, *v;
	__u32 netns;

	if ((__u32)reason < drop_reason_min)
		return 0;
	/* A queue purged with its socket frees the FIN that closed it, with
	 * no data left in it (len 0, its headers pulled): one a connection
	 * closed first by this side, and nothing lost. Not a drop. */
	if ((__u32)reason == drop_reason_queue_purge && skb->len == 0)
		return 0;
	if (proto != bpf_htons(ETH_P_IP_) && proto != bpf_htons(ETH_P_IPV6_))
		return 0;
	if (skb_parse(skb, &p))
		return 0;
	netns = skb_netns(skb);
	/* The local port: a received packet's destination (skb_iif is the
	 * interface it came in on), a packet being sent's source. */
	count(EV_PROG_DROP, netns, skb->skb_iif ? p.dport : p.sport,
	      p.proto == IPPROTO_TCP_ ? EV_TCP_DROP : EV_UDP_DROP, EV_DIR_NONE, (__u16)reason);
	if (p.proto != IPPROTO_TCP_ || (__u32)reason != drop_reason_no_socket)
		return 0;
	/* The kernel answers a segment no socket takes with a reset, unless it
	 * is one (tcp_v4_rcv's no_tcp_socket; tcp_v6_rcv's alike). */
	if (rst_from_drops && !(p.flags & TCPF_RST_))
		count(EV_PROG_DROP, netns, p.dport, EV_RST_SENT, EV_DIR_NONE, EV_RST_NO_SOCKET_DROP);
	/* A SYN nothing listens for: the scan signal. */
	if ((p.flags & (TCPF_SYN_ | TCPF_ACK_ | TCPF_RST_)) != TCPF_SYN_)
		return 0;
	count(EV_PROG_DROP, netns, p.dport, EV_CLOSED_PORT_SYN, EV_DIR_NONE, 0);
	if (!scan_sources_on)
		return 0;
	sk.netns = netns;
	sk.family = p.family;
	__builtin_memcpy(sk.addr, p.saddr, 16);
	v = bpf_map_lookup_elem(&sources, &sk);
	if (v)
		bump(v);
	else if (bpf_map_update_elem(&sources, &sk, &one, BPF_NOEXIST))
		prog_add(EV_PROG_DROP, true, 1);
	return 0;
}

/* Reads net.ipv4.tcp_syncookies whatever its width on this kernel. */
static __always_inline __u32 syncookies_of(struct net *net)
{
	if (bpf_core_field_size(net->ipv4.sysctl_tcp_syncookies) == 1) {
		__u8 v = 0;

		bpf_core_read(&v, 1, &net->ipv4.sysctl_tcp_syncookies);
		return v;
	}
	int v = 0;

	bpf_core_read(&v, sizeof(v), &net->ipv4.sysctl_tcp_syncookies);
	return (__u32)v;
}

/* Every SYN that reaches a listener passes here (tcp_filter, before
 * tcp_conn_request), whether it will be answered from a request socket or
 * with a syncookie: the cookie decision is made from what the kernel reads
 * next, the namespace's tcp_syncookies and the listener's queues. */
SEC("cgroup_skb/ingress")
int on_syn(struct __sk_buff *skb)
{
	struct bpf_sock *bs = skb->sk;
	struct tcp_sock *tp;
	struct net *net;
	__u8 b[14];
	__u32 off, netns = 0, cookies, qlen, max, backlog;

	/* Most packets are a connection's: the state is in the common part,
	 * so they leave before the helper call. */
	if (!bs || bs->state != TCP_LISTEN_)
		return 1;
	bs = bpf_sk_fullsock(bs);
	if (!bs || bs->protocol != IPPROTO_TCP_)
		return 1;
	if (skb->protocol == bpf_htons(ETH_P_IP_)) {
		if (bpf_skb_load_bytes(skb, 0, b, 1))
			return 1;
		off = (b[0] & 0xf) * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6_)) {
		off = 40;
	} else {
		return 1;
	}
	if (bpf_skb_load_bytes(skb, off, b, 14) ||
	    (b[13] & (TCPF_SYN_ | TCPF_ACK_ | TCPF_RST_)) != TCPF_SYN_)
		return 1;
	tp = bpf_skc_to_tcp_sock(bs);
	if (!tp)
		return 1;
	net = BPF_CORE_READ(tp, inet_conn.icsk_inet.sk.__sk_common.skc_net.net);
	netns = BPF_CORE_READ(net, ns.inum);
	count(EV_PROG_SYN, netns, (__u16)bs->src_port, EV_SYN_RECEIVED, EV_DIR_NONE, 0);
	cookies = syncookies_of(net);
	qlen = (__u32)BPF_CORE_READ(tp, inet_conn.icsk_accept_queue.qlen.counter);
	max = BPF_CORE_READ(tp, inet_conn.icsk_inet.sk.sk_max_ack_backlog);
	backlog = BPF_CORE_READ(tp, inet_conn.icsk_inet.sk.sk_ack_backlog);
	/* As tcp_conn_request() decides: a cookie when tcp_syncookies=2 or the
	 * SYN queue is full (and cookies are on; off, the SYN is dropped);
	 * then a full accept queue drops the SYN (ListenOverflows), which the
	 * kernel frees as consumed, with no drop reason: counted here. */
	if ((cookies == 2 || qlen >= max) && cookies == 0)
		return 1;
	if (backlog > max) {
		if (drop_reason_listen_overflow != ~0u)
			count(EV_PROG_SYN, netns, (__u16)bs->src_port, EV_TCP_DROP, EV_DIR_NONE,
			      (__u16)drop_reason_listen_overflow);
		return 1;
	}
	if (cookies == 2 || qlen >= max)
		count(EV_PROG_SYN, netns, (__u16)bs->src_port, EV_SYNCOOKIE_SENT, EV_DIR_NONE, 0);
	return 1;
}

/* The seed walk of one namespace (user space creates the iterator inside
 * it and reads it once): counts each full socket no event has counted yet,
 * under its current state. The kernel holds the socket's lock while this
 * runs, as it does around every state change. */
SEC("iter/tcp")
int live_seed(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;
	struct ev_live *e;
	struct sock *sk;
	__u32 netns, *st;
	int state, fam;

	if (skc == NULL || (tp = bpf_skc_to_tcp_sock(skc)) == NULL)
		return 0;
	sk = (struct sock *)tp;
	state = sk->__sk_common.skc_state;
	netns = sk_netns(sk);
	if (state == TCP_LISTEN_ && netns != own_netns)
		listener_mark(sk, netns, true);
	if (!live_counted(state) || bpf_sk_storage_get(&sk_state, sk, 0, 0) != NULL)
		return 0;
	/* A namespace walked before counts its newer sockets by delta. */
	if (netns == own_netns || bpf_map_lookup_elem(&seeded, &netns) != NULL)
		return 0;
	st = bpf_sk_storage_get(&sk_state, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	e = live_of(netns, true);
	if (st == NULL || e == NULL) {
		__sync_fetch_and_add(&live_lost, 1);
		return 0;
	}
	*st = (__u32)state;
	fam = live_family(sk);
	if (state == TCP_FIN_WAIT1_)
		fw1_track(sk, netns, fam, true);
	live_shift(e, fam, 0, (__u32)state);
	prog_add(EV_PROG_SEED, false, 1);
	return 0;
}

/* One listener's SYN queue into `queues` (live_queues). The listener is
 * read by address: a socket that is no longer one listening in the same
 * namespace (freed and reused, had the kernel skipped both runs that would
 * have taken it out) is skipped. */
static long queue_of(struct bpf_map *map, __u64 *key, struct ev_listener *v, void *ctx)
{
	struct inet_connection_sock *icsk = (struct inet_connection_sock *)(unsigned long)*key;
	struct ev_queues zero = {}, *e;
	__u32 netns = v->netns;
	int qlen;

	if (BPF_CORE_READ(icsk, icsk_inet.sk.__sk_common.skc_state) != TCP_LISTEN_ ||
	    BPF_CORE_READ(icsk, icsk_inet.sk.__sk_common.skc_net.net, ns.inum) != netns)
		return 0;
	qlen = BPF_CORE_READ(icsk, icsk_accept_queue.qlen.counter);
	if (qlen <= 0)
		return 0;
	e = bpf_map_lookup_elem(&queues, &netns);
	if (e == NULL) {
		bpf_map_update_elem(&queues, &netns, &zero, BPF_NOEXIST);
		if ((e = bpf_map_lookup_elem(&queues, &netns)) == NULL)
			return 0;
	}
	__sync_fetch_and_add(&e->n[v->family & 1], (__u64)qlen);
	return 0;
}

/* One slot of fw1_socks: applies its socket's exit from FIN_WAIT1 if no
 * program did and none will. The socket is read by address, its state
 * first, then the slot is emptied (so a change of it after the read empties
 * it first, or finds it empty and counts from the state read). Its exit is
 * applied when it is gone (another cookie at its address: freed) or,
 * counted by delta, closed or in a state that follows FIN_WAIT1 (added
 * there: its next change takes it from there). A socket counted by storage
 * that is still there is left: its next change takes FIN_WAIT1 out (its
 * storage says so). */
static long fw1_sweep(struct bpf_map *map, __u32 *key, struct fw1_sock *v, void *ctx)
{
	__u64 c = v->cookie, cookie;
	struct fw1_sock o;
	struct sock *sk;
	int state;
	bool there, moved;

	if (c == 0 || (c & FW1_BUSY))
		return 0;
	barrier(); /* the rest is read after the cookie */
	o = *v;
	sk = (struct sock *)(unsigned long)o.sk;
	cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	there = cookie == c;
	moved = state == TCP_FIN_WAIT2_ || state == TCP_CLOSING_;
	/* Still there: a state before FIN_WAIT1 is the entering change's,
	 * whose program ran and whose store has yet to come. */
	if (there && (o.storage || (state != TCP_CLOSE_ && !moved)))
		return 0;
	if (__sync_val_compare_and_swap(&v->cookie, c, 0) != c)
		return 0;
	fw1_unseen_exit(o.netns, o.family, there && moved ? (__u32)state : 0);
	return 0;
}

/* Run once per scrape by user space (BPF_PROG_TEST_RUN), attached nowhere,
 * before the live counts are read: the SYN queues of every listener in
 * listener_socks, summed per namespace and family into `queues`, and the
 * sweep of fw1_socks. A cost in listeners and sockets in FIN_WAIT1. */
SEC("raw_tp")
int live_queues(void *ctx)
{
	bpf_for_each_map_elem(&listener_socks, queue_of, NULL, 0);
	bpf_for_each_map_elem(&fw1_socks, fw1_sweep, NULL, 0);
	return 0;
}
