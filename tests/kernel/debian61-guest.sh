#!/bin/bash
# Runs inside the guest that tests/kernel/debian61.sh boots (its init
# after switch_root): the events collector on this kernel. Writes every file
# to /tmp/out (shared with the host) and a summary, then powers off.
OUT=/tmp/out
source $OUT/env
exec >$OUT/guest.log 2>&1
set -x
summary() { echo "$*" >>$OUT/summary; echo "k61: $*" >/dev/ttyS0; }
finish() { sync; echo o >/proc/sysrq-trigger; sleep 10; }
trap finish EXIT
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
# The kernel's modules are under /run/k61 (the host's / has none of its).
printf '#!/bin/sh\nexec /sbin/modprobe -d /run/k61 "$@"\n' >/run/k61-modprobe
chmod +x /run/k61-modprobe
echo /run/k61-modprobe >/proc/sys/kernel/modprobe
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t tmpfs cgroup /sys/fs/cgroup && mkdir /sys/fs/cgroup/unified &&
	mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
mount -t tmpfs netns /run/netns 2>/dev/null || { mkdir -p /run/netns && mount -t tmpfs netns /run/netns; }
ip link set lo up
ulimit -Hn 1048576 && ulimit -n 1048576 # PID 1's default is 4096
sysctl -qw kernel.bpf_stats_enabled=1 # run counts per program in bpf-progs
summary "kernel $(uname -r) ($(cat /proc/version | cut -d' ' -f3-5))"

# What this kernel's BTF offers the collector: the reason enums and which
# tracepoints exist.
bpftool btf dump file /sys/kernel/btf/vmlinux format raw >/tmp/btf.txt
for e in skb_drop_reason sk_rst_reason; do
	awk -v e="'$e'" '!/^\t/ { p = ($2 == "ENUM" && $3 == e); next } p { print $1 }' /tmp/btf.txt | tr -d "'" >$OUT/enum-$e
	summary "enum $e: $(wc -l <$OUT/enum-$e) names"
done
summary "drop reasons: $(sed 's/^SKB_DROP_REASON_//' $OUT/enum-skb_drop_reason | tr '\n' ' ')"
for tp in inet_sock_set_state tcp_send_reset tcp_receive_reset tcp_retransmit_skb tcp_retransmit_synack kfree_skb; do
	grep -q "TYPEDEF 'btf_trace_$tp'" /tmp/btf.txt && summary "tracepoint $tp: yes" || summary "tracepoint $tp: NO"
done

NE=$K61_BUILD/netstat_exporter EV=$K61_BUILD/tests/netstat_events POP=$K61_BUILD/tests/sockpop
URL=http://127.0.0.1:10730
scrape() { curl -sf --max-time 60 "$URL/metrics"; }
val() { local v; v=$(grep -F "$2 " "$1" | grep -F -m1 "$2 " | awk '{print $NF}'); echo "${v:-0}"; }
nstat_field() { awk -v f="$1" '$1 ~ /:$/ { if (!h) { split($0, k); h = 1 } else { for (i = 2; i <= NF; i++) if (k[i] == f) print $i; h = 0 } }' /proc/net/netstat; }
check() { # NAME GOT WANT
	if [ "$2" = "$3" ]; then summary "ok   $1: $2"; else summary "FAIL $1: got $2, want $3"; fi
}

"$NE" --web.listen-address=127.0.0.1:10730 --no-collector.processes --log.level=debug \
	--collector.events.ports=9,7200,7300 --collector.events.top-ports=0 >$OUT/exporter.log 2>&1 &
NE_PID=$!
for _ in $(seq 600); do curl -sf -o /dev/null "$URL/healthz" && break; sleep 0.2; done
grep -v 'level=debug' $OUT/exporter.log | while read -r l; do summary "log: $l"; done
grep 'events: libbpf' $OUT/exporter.log | head -20 | while read -r l; do summary "libbpf: $l"; done
scrape >$OUT/m0 || summary "FAIL: no scrape"
grep '^netstat_events_program_attached' $OUT/m0 | while read -r l; do summary "$l"; done
grep '^netstat_events_load_failures' $OUT/m0 | grep -v ' 0$' | while read -r l; do summary "$l"; done

# Connects to a closed port: closed-port SYNs, resets sent and received, connect failures.
N=20
scrape >$OUT/a
"$EV" refused 9 $N
scrape >$OUT/b
for s in 'netstat_tcp_closed_port_syns_total{port="9"}' \
	'netstat_tcp_resets_sent_total{port="9",reason="no_socket"}' \
	'netstat_tcp_connect_failures_total{port="9"}' \
	'netstat_tcp_resets_received_total{direction="outbound",port="9"}'; do
	check "$s after $N connects to a closed port" $(($(val $OUT/b "$s") - $(val $OUT/a "$s"))) $N
done
grep '^netstat_tcp_resets_sent_total{port="9"' $OUT/b | while read -r l; do summary "seen $l"; done
# Accepted connections: opened inbound and outbound, with the listener's port.
exec 3> >("$EV" hold 7200 5 >$OUT/hold.out)
for _ in $(seq 300); do grep -q ready $OUT/hold.out 2>/dev/null && break; sleep 0.2; done
scrape >$OUT/c
exec 3>&-
for d in inbound outbound; do
	s="netstat_tcp_connections_opened_total{direction=\"$d\",port=\"7200\"}"
	check "$s after 5 accepted" $(($(val $OUT/c "$s") - $(val $OUT/b "$s"))) 5
done
# A listen overflow: drops{reason="listen_overflow"} against TcpExtListenOverflows.
o0=$(nstat_field ListenOverflows)
scrape >$OUT/d
"$EV" overflow 7300 8
scrape >$OUT/e
o1=$(nstat_field ListenOverflows)
ov='netstat_tcp_drops_total{port="7300",reason="listen_overflow"}'
if grep -q 'no drop reason TCP_LISTEN_OVERFLOW' $OUT/exporter.log; then
	check "$ov (said lacking)" "$(grep -c "^$ov" $OUT/e)" 0
else
	check "$ov = ListenOverflows delta" $(($(val $OUT/e "$ov") - $(val $OUT/d "$ov"))) $((o1 - o0))
fi
summary "ListenOverflows delta $((o1 - o0))"

# A second namespace: live states seeded from the iterator, then kept from events.
ip netns add k61b
B=/run/netns/k61b
INO=$(stat -L -c %i $B)
nsenter --net=$B ip link set lo up
nsenter --net=$B "$POP" L,127.0.0.1,8080 E,6,127.0.0.1,127.0.0.1,8080 K,3,127.0.0.1,127.0.0.1,8080 >$OUT/pop1.out 2>&1 &
P1=$!
for _ in $(seq 300); do grep -q ready $OUT/pop1.out && break; sleep 0.2; done
scrape >$OUT/f
# Changes after the seed: more pairs, and the first population gone.
nsenter --net=$B "$POP" L,127.0.0.1,8081 E,4,127.0.0.1,127.0.0.1,8081 >$OUT/pop2.out 2>&1 &
for _ in $(seq 300); do grep -q ready $OUT/pop2.out && break; sleep 0.2; done
kill $P1; wait $P1
for _ in $(seq 100); do # the kernel done with the first population's sockets
	nsenter --net=$B ss -Htn state established state close-wait state last-ack state fin-wait-1 state fin-wait-2 state closing '( sport = :8080 or dport = :8080 )' | grep -q . || break
	sleep 0.1
done
scrape >$OUT/g
nsenter --net=$B ss -Htan >$OUT/ss-g
check "netstat_netns_live_states{netns=\"$INO\"}" "$(grep "^netstat_netns_live_states{netns=\"$INO\"" $OUT/g | awk '{print $NF}')" 1
for st in established close_wait listen fin_wait2; do
	want=$(awk -v s="$st" '{ x = tolower($1); sub("^estab$", "established", x); gsub("-", "_", x); if (x == s) n++ } END { print n + 0 }' $OUT/ss-g)
	got=$(grep "^netstat_netns_tcp_sockets{" $OUT/g | grep "netns=\"$INO\"" | grep "state=\"$st\"" | awk '{s += $NF} END {print s + 0}')
	check "k61b $st (live) vs ss" "$got" "$want"
done
bpftool prog show >$OUT/bpf-progs 2>&1
for m in live seeded; do bpftool map dump name $m >$OUT/bpf-map-$m 2>&1; done
grep "^netstat_events_state_drift_sockets" $OUT/g | while read -r l; do summary "$l"; done

summary "families: $(grep -h '^# TYPE netstat_\(tcp_\(connections_opened\|connect_failures\|resets\|closed_port\|scan\|syns_\|syncookies\|retransmitted\|synack\|drops\)\|udp_drops\|events_\|netns_live\)' $OUT/g | awk '{print $3}' | sort -u | tr '\n' ' ')"
summary "drop reasons seen: $(grep -ho 'reason="[a-z_0-9]*"' $OUT/g | sort -u | tr '\n' ' ')"
kill $NE_PID; wait $NE_PID
grep -c 'msg="events collector' $OUT/exporter.log | { read -r n; summary "events collector start-up lines: $n"; }

for t in $K61_TESTS; do
	if timeout "$K61_TEST_TIMEOUT" bash $K61_SRC/tests/integration/$t.sh $K61_BUILD $K61_SRC >$OUT/test-$t.log 2>&1; then
		summary "ok   integration.$t"
	else
		summary "FAIL integration.$t (test-$t.log)"
	fi
done
summary "done"
