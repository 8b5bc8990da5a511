# The events collector against what the test itself did, in its own network
# namespace (the exporter's: its series carry no netns label, so events of
# other namespaces on the host, labelled with theirs, never count): connects to a closed port
# (closed-port SYNs, resets sent with their reason, connect failures, resets
# received), a scan of 200 ports from 3 sources (the sources ranked), a SYN
# flood under tcp_syncookies=2 (SYNs received and syncookies sent equal the
# SYNs nftables saw, while no request socket exists), and a listener that
# overflows (drops{reason="listen_overflow"} equal TcpExtListenOverflows;
# skipped, with the reason printed, on a kernel whose BTF has no
# SKB_DROP_REASON_TCP_LISTEN_OVERFLOW, as Debian 12's 6.1: it frees those
# packets without a reason, docs/events.md), and connections closed first by
# the server (their purged FINs are no drops).
source "$(dirname "$0")/../lib/common.sh"
ne_have_events || { echo "events: built without the events collector; integration.events_unavailable covers that"; exit 0; }
ne_enter_netns
for tool in nft ss promtool; do
	command -v "$tool" >/dev/null || fail "$tool not installed"
done
NS=$(readlink /proc/self/ns/net | tr -dc 0-9)
EV="$BUILD/tests/netstat_events"

# Allowlisted ports: their series exist whatever the rest of the host does.
ne_start --no-collector.processes --collector.events.ports=9,7100,7200,7300 --collector.events.top-ports=0
grep -q 'level=info msg="events collector on' "$TMP/ne.log" || fail "events collector not on: $(cat "$TMP/ne.log")"
# Read once, printed: whether this kernel can count listen_overflow drops.
if btf_enum_has skb_drop_reason SKB_DROP_REASON_TCP_LISTEN_OVERFLOW; then LISTEN_OVERFLOW=yes; else LISTEN_OVERFLOW=no; fi
echo "events: kernel $(uname -r), BTF enum skb_drop_reason has SKB_DROP_REASON_TCP_LISTEN_OVERFLOW: $LISTEN_OVERFLOW"

# Value of series $2 in scrape file $1, 0 when absent.
val() {
	local v
	v=$(metric_value "$1" "$2")
	echo "${v:-0}"
}

# --- N connects to a closed port.
N=50
ne_scrape >"$TMP/a"
"$EV" refused 9 "$N" || fail "netstat_events refused"
ne_scrape >"$TMP/b"
for s in "netstat_tcp_closed_port_syns_total{port=\"9\"}" \
	"netstat_tcp_resets_sent_total{port=\"9\",reason=\"no_socket\"}" \
	"netstat_tcp_connect_failures_total{port=\"9\"}" \
	"netstat_tcp_resets_received_total{direction=\"outbound\",port=\"9\"}"; do
	d=$(($(val "$TMP/b" "$s") - $(val "$TMP/a" "$s")))
	[ "$d" = "$N" ] || fail "$s rose by $d after $N connects to a closed port, want $N"
done
expect_promtool_clean "$TMP/b"
# The exporter's own namespace has no netns label, as in every other family.
! grep -q "netns=\"$NS\"" "$TMP/b" || fail "own namespace labelled: $(grep "netns=\"$NS\"" "$TMP/b" | head -3)"

# --- A scan of 200 ports from 3 sources: 200, 120 and 40 ports.
specs=()
for p in $(seq 20000 20199); do
	specs+=("S,1,127.0.0.2,127.0.0.1,$p")
	[ "$p" -lt 20120 ] && specs+=("S,1,127.0.0.3,127.0.0.1,$p")
	[ "$p" -lt 20040 ] && specs+=("S,1,127.0.0.4,127.0.0.1,$p")
done
ne_scrape >/dev/null # starts the interval
"$POP" "${specs[@]}" >"$TMP/scan" &
SCAN=$!
wait_ready "$TMP/scan"
# Every SYN answered (the connects fail at once on loopback).
scanned() { [ "$(ss -Htn state syn-sent | wc -l)" = 0 ]; }
wait_until 10 scanned
ne_scrape >"$TMP/c"
kill "$SCAN"
wait "$SCAN" 2>/dev/null || true
grep "^netstat_tcp_scan_sources{address=" "$TMP/c" >"$TMP/ranked"
want="netstat_tcp_scan_sources{address=\"127.0.0.2\"} 200
netstat_tcp_scan_sources{address=\"127.0.0.3\"} 120
netstat_tcp_scan_sources{address=\"127.0.0.4\"} 40"
[ "$(cat "$TMP/ranked")" = "$want" ] || fail "scan sources: got
$(cat "$TMP/ranked")
want
$want"
# The next interval has none of them.
ne_scrape >"$TMP/d"
! grep -q "^netstat_tcp_scan_sources{address=" "$TMP/d" || fail "scan sources kept after their interval"

# --- A SYN flood under tcp_syncookies=2 from several sources: the listener's
# SYN-ACKs are dropped (the clients never complete), nftables counts the SYNs.
sysctl -qw net.ipv4.tcp_syncookies=2
nft add table inet ev
nft add chain inet ev in '{ type filter hook input priority 0; }'
nft add rule inet ev in tcp dport 7100 'tcp flags & (syn|ack) == syn' counter
drop_syn_acks evout 7100
"$POP" L,127.0.0.1,7100,128 >"$TMP/lst" &
LST=$!
wait_ready "$TMP/lst"
ne_scrape >"$TMP/e"
"$POP" S,40,127.0.0.5,127.0.0.1,7100 S,40,127.0.0.6,127.0.0.1,7100 S,40,127.0.0.7,127.0.0.1,7100 >"$TMP/flood" &
FLOOD=$!
wait_ready "$TMP/flood"
nsyn() { nft list chain inet ev in | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }
flooded() { [ "$(nsyn)" -ge 120 ]; }
wait_until 10 flooded
[ "$(ss -Htn state syn-recv | wc -l)" = 0 ] || fail "request sockets under tcp_syncookies=2"
ne_scrape >"$TMP/mid"
expect_value "$TMP/mid" 'netstat_tcp_sockets{family="ipv4",state="syn_recv"}' 0
kill "$FLOOD"
wait "$FLOOD" 2>/dev/null || true
SYNS=$(nsyn)
ne_scrape >"$TMP/f"
for s in "netstat_tcp_syns_received_total{port=\"7100\"}" \
	"netstat_tcp_syncookies_sent_total{port=\"7100\"}"; do
	d=$(($(val "$TMP/f" "$s") - $(val "$TMP/e" "$s")))
	[ "$d" = "$SYNS" ] || fail "$s rose by $d, nftables saw $SYNS SYNs"
done
kill "$LST"
wait "$LST" 2>/dev/null || true
sysctl -qw net.ipv4.tcp_syncookies=1
nft delete table inet ev
nft delete table inet evout

# --- A listener with backlog 1 that never accepts, under connects.
overflows() { awk '$1 == "TcpExt:" { if (!h) { split($0, n); h = 1 } else { split($0, v); for (i in n) if (n[i] == "ListenOverflows") print v[i] } }' /proc/net/netstat; }
o1=$(overflows)
ne_scrape >"$TMP/g"
"$EV" overflow 7200 20 || fail "netstat_events overflow"
o2=$(overflows)
ne_scrape >"$TMP/h"
s="netstat_tcp_drops_total{port=\"7200\",reason=\"listen_overflow\"}"
d=$(($(val "$TMP/h" "$s") - $(val "$TMP/g" "$s")))
[ "$((o2 - o1))" -gt 0 ] || fail "the listener did not overflow"
if [ "$LISTEN_OVERFLOW" = yes ]; then
	[ "$d" = "$((o2 - o1))" ] || fail "$(grep 7200 "$TMP/h") $s rose by $d, TcpExtListenOverflows by $((o2 - o1))"
else
	echo "SKIP: listen_overflow drops: the kernel's BTF has no SKB_DROP_REASON_TCP_LISTEN_OVERFLOW (it frees overflowing SYNs and last ACKs without a reason); TcpExtListenOverflows rose by $((o2 - o1))"
	d="skipped"
fi

# --- Connections the server closes first: each server side's queue is
# purged in TIME_WAIT with the client's FIN in it (kfree_skb, reason
# queue_purge where the kernel has it, an empty packet): not a drop (docs/events.md).
C=40
"$EV" closes 7300 "$C" || fail "netstat_events closes"
ne_scrape >"$TMP/i"
rose() { echo $(($(val "$TMP/i" "$1") - $(val "$TMP/h" "$1"))); }
s="netstat_tcp_connections_opened_total{direction=\"inbound\",port=\"7300\"}"
[ "$(rose "$s")" = "$C" ] || fail "$s rose by $(rose "$s") after $C connections, want $C"
s="netstat_tcp_drops_total{port=\"7300\",reason=\"queue_purge\"}"
[ "$(rose "$s")" = 0 ] || fail "$s rose by $(rose "$s") after $C closes: empty FINs purged counted as drops"

# Self-metrics: every program attached on this kernel, nothing lost.
for p in inet_sock_set_state tcp_send_reset tcp_receive_reset tcp_retransmit_skb \
	tcp_retransmit_synack kfree_skb cgroup_skb_ingress; do
	expect_value "$TMP/i" "netstat_events_program_attached{program=\"$p\"}" 1
done
ne_stop
echo "events: closed-port SYNs and resets $N of $N, scan sources ranked, $SYNS SYNs = syncookies, listen overflows $d, $C closes no drop"
