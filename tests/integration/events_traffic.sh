# The events collector on real traffic between two network namespaces joined
# by a veth pair (ours, A, 10.18.0.1, with the exporter; a peer, B):
#   TCP 7300: A's 2 bulk senders to B, 1 in 20 segments dropped by nftables
#             `numgen random` on B's input: retransmitted_segments{outbound,
#             7300} of A's namespace equals the senders' tcpi_total_retrans
#             (`ss -ti`), read once their queues drained;
#   UDP 5300: A's receiver with a 1 KB SO_RCVBUF (the kernel doubles it),
#             never read, sent 300 datagrams by B: udp_drops{5300} equals the
#             drops `ss -uam` shows, all with reason socket_rcvbuff.
source "$(dirname "$0")/../lib/common.sh"
ne_have_events || { echo "events_traffic: built without the events collector"; exit 0; }
ne_enter_netns
for tool in nft ss; do
	command -v "$tool" >/dev/null || fail "$tool not installed"
done
TRAFFIC="$BUILD/tests/traffic"
PEER="issue18-events-peer-$$"
trap 'ip netns del "$PEER" 2>/dev/null || true; ne_cleanup' EXIT

ne_veth_peer "$PEER" 10.18.0.1 10.18.0.2
nsenter --net=/run/netns/"$PEER" nft -f - <<'EOF' || fail "nft"
table inet issue18_events {
	chain in {
		type filter hook input priority 0;
		tcp dport 7300 numgen random mod 20 == 0 drop
	}
}
EOF

ne_start --no-collector.processes --collector.events.ports=7300,5300 --collector.events.top-ports=0
ne_scrape >"$TMP/a"
nsenter --net=/run/netns/"$PEER" "$TRAFFIC" -t 60 sink,10.18.0.2,7300 >"$TMP/peer_srv" 2>&1 &
"$TRAFFIC" -t 60 udprecv,10.18.0.1,5300,1024 >"$TMP/a_srv" 2>&1 &
wait_ready "$TMP/peer_srv"
wait_ready "$TMP/a_srv"
"$TRAFFIC" -t 60 send,2,10.18.0.1,10.18.0.2,7300 >"$TMP/a_send" 2>&1 &
SEND=$!
nsenter --net=/run/netns/"$PEER" "$TRAFFIC" -t 60 udpsend,10.18.0.2,10.18.0.1,5300,300,200 \
	>"$TMP/peer_send" 2>&1 &
wait_ready "$TMP/a_send"
wait_ready "$TMP/peer_send"

# Sum of the senders' total retransmissions, and of their send queues.
retrans() {
	ss -tinH state established "( dport = :7300 )" | awk '
		{ for (i = 1; i <= NF; i++) if ($i ~ /^retrans:/) { split(substr($i, 9), r, "/"); s += r[2] } }
		END { print s + 0 }'
}
queued() { ss -tnH state established "( dport = :7300 )" | awk '{ s += $2 } END { print s + 0 }'; }
some_retrans() { [ "$(retrans)" -ge 20 ]; }
wait_until 20 some_retrans
kill -STOP "$SEND"
drained() { [ "$(queued)" = 0 ]; }
wait_until 30 drained
R=$(retrans)
ss -uamnH "( sport = :5300 )" >"$TMP/ss.5300"
ne_scrape >"$TMP/b"
kill -CONT "$SEND"

val() {
	local v
	v=$(metric_value "$1" "$2")
	echo "${v:-0}"
}
s="netstat_tcp_retransmitted_segments_total{direction=\"outbound\",port=\"7300\"}"
d=$(($(val "$TMP/b" "$s") - $(val "$TMP/a" "$s")))
[ "$d" = "$R" ] || fail "$s rose by $d, ss -ti says $R retransmissions"

want=$(grep -o 'skmem:([^)]*)' "$TMP/ss.5300" | sed -E 's/.*,d([0-9]+)\)/\1/')
[ -n "$want" ] && [ "$want" -gt 100 ] || fail "ss shows too few drops on 5300: $(cat "$TMP/ss.5300")"
got=$(awk -v p="netstat_udp_drops_total{port=\"5300\"," 'index($0, p) == 1 { s += $2 } END { print s + 0 }' "$TMP/b")
[ "$got" = "$want" ] || fail "udp drops of 5300: $got, ss -uam: $want ($(grep "netstat_udp_drops_total{port=" "$TMP/b"))"
grep -q "^netstat_udp_drops_total{port=\"5300\",reason=\"socket_rcvbuff\"} $want\$" "$TMP/b" ||
	fail "the drops' reason: $(grep "netstat_udp_drops_total{port=" "$TMP/b")"
ne_stop
echo "events_traffic: $R retransmitted segments, $want UDP drops (socket_rcvbuff), as ss says"
