# Per-port service health (--collector.sockets.tcp-info, queues, UDP drops)
# against `ss` taken at the same time, on real traffic between two network
# namespaces joined by a veth pair: ours (A, 10.13.0.1, the exporter) and a
# peer (B, 10.13.0.2).
#   port 7001: A's 4 bulk senders to B, through an HTB class of 6 Mbit/s with
#              a 4 MB FIFO; each sender's SO_SNDBUF caps its bytes in flight
#              (about 64 KB), so the queue settles near 350 ms (4 x 64 KB at
#              750 KB/s) and never drops;
#   port 7002: A's 4 bulk senders to B, unshaped, 1 in 20 segments dropped by
#              nftables `numgen random` on B's input (a drop on A's output
#              would be a local error, which TCP does not count as a
#              retransmission): retransmissions, sub-ms RTT;
#   port 7003: B's 3 senders to A's server that never reads: A's receive
#              queues fill and stay full (inbound direction);
#   UDP 5300:  A's receiver with a tiny SO_RCVBUF, never read, sent 300
#              datagrams by B: it drops most.
# Checked: the RTT gauge histogram of 7001 against `ss -tin` taken before
# and after the scrape (exact for every socket whose RTT stays in one bucket
# and away from its edges), 7002's count and bound; retransmitted segments between the two
# `ss` sums; queue bytes and drops exactly; the two ports differ as staged;
# promtool on the text format; the gaugehistogram type in OpenMetrics.
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

for tool in tc nft ss promtool; do
	command -v "$tool" >/dev/null || fail "$tool not installed"
done
TRAFFIC="$BUILD/tests/traffic"
[ -x "$TRAFFIC" ] || fail "$TRAFFIC not built (tests/helpers/traffic.c)"
PEER="issue13-tcpinfo-peer-${TMP##*/}" # $$ is 1 in every test's PID namespace
trap 'ip netns del "$PEER" 2>/dev/null || true; ne_cleanup' EXIT

# --- the peer namespace and the veth pair
ne_veth_peer "$PEER" 10.13.0.1 10.13.0.2
# Loss-based congestion control (reno is allowed in a child namespace
# here, cubic is not): BBR would keep the FIFO short.
sysctl -qw net.ipv4.tcp_congestion_control=reno

# --- 7001 shaped: HTB class at 2 Mbit/s with a deep byte FIFO; the rest free
tc qdisc add dev veth-a root handle 1: htb default 20
tc class add dev veth-a parent 1: classid 1:10 htb rate 6mbit ceil 6mbit quantum 60000
tc class add dev veth-a parent 1: classid 1:20 htb rate 10gbit quantum 60000
tc qdisc add dev veth-a parent 1:10 handle 10: bfifo limit 4000000
tc filter add dev veth-a parent 1: protocol ip prio 1 u32 match ip dport 7001 0xffff flowid 1:10
# --- 7002 lossy
nsenter --net=/run/netns/"$PEER" nft -f - <<'EOF' || fail "nft"
table inet issue13_health {
	chain in {
		type filter hook input priority 0;
		tcp dport 7002 numgen random mod 20 == 0 drop
	}
}
EOF

ne_start --collector.sockets.tcp-info --collector.sockets.ports=7001,7002,7003,5300

# --- traffic: servers first, then senders
nsenter --net=/run/netns/"$PEER" "$TRAFFIC" -t 40 sink,10.13.0.2,7001 sink,10.13.0.2,7002 >"$TMP/peer_srv" 2>&1 &
"$TRAFFIC" -t 40 stall,10.13.0.1,7003 udprecv,10.13.0.1,5300,1024 >"$TMP/a_srv" 2>&1 &
wait_ready "$TMP/peer_srv"
wait_ready "$TMP/a_srv"
"$TRAFFIC" -t 40 send,4,10.13.0.1,10.13.0.2,7001,16384 send,4,10.13.0.1,10.13.0.2,7002 >"$TMP/a_send" 2>&1 &
nsenter --net=/run/netns/"$PEER" "$TRAFFIC" -t 40 send,3,10.13.0.2,10.13.0.1,7003 \
	udpsend,10.13.0.2,10.13.0.1,5300,300,200 >"$TMP/peer_send" 2>&1 &
wait_ready "$TMP/a_send"
wait_ready "$TMP/peer_send"

# The RTT bucket bounds, microseconds (the exporter's are fixed, see docs).
BOUNDS_US="100 250 500 1000 2500 5000 10000 25000 50000 100000 250000 500000 1000000 2500000 5000000 10000000"
LE="0.0001 0.00025 0.0005 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10"

# `ss -tin` of A's senders to port $1 as "LOCALPORT RTT_US TOTAL_RETRANS" lines.
ss_port() {
	ss -tinH state established "( dport = :$1 )" | awk '
		/^[0-9]/ { split($3, a, ":"); lp = a[length(a)]; next }
		{
			rtt = ""; tr = 0
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^rtt:/) { split(substr($i, 5), r, "/"); rtt = r[1] * 1000 }
				if ($i ~ /^retrans:/) { split(substr($i, 9), r, "/"); tr = r[2] }
			}
			if (rtt != "") printf "%s %d %d\n", lp, rtt, tr
		}'
}

# The smoothed RTT climbs towards 350 ms over a few seconds; wait until
# 7001's senders are all 10% past the 250 ms edge (at most 15 s).
for _ in $(seq 75); do
	n=$(ss_port 7001 | awk '$2 > 275000' | wc -l)
	[ "$n" = 4 ] && break
	sleep 0.2
done
[ "$n" = 4 ] || fail "port 7001's senders never reached 275 ms of RTT: $(ss -tinH state established '( dport = :7001 )')"

# Stopped reading: wait until A's receive queues on 7003 stop growing.
prev=""
for _ in $(seq 50); do
	cur=$(ss -tnH state established "( sport = :7003 )" | awk '{ s += $1; n++ } END { print n, s }')
	[ "$cur" = "$prev" ] && break
	prev=$cur
	sleep 0.2
done
[ "$cur" = "$prev" ] || fail "receive queues on 7003 still changing: $cur"

# --- one scrape between two ss snapshots
ss_port 7001 >"$TMP/before.7001"
ss_port 7002 >"$TMP/before.7002"
ne_scrape >"$TMP/m"
ss_port 7001 >"$TMP/after.7001"
ss_port 7002 >"$TMP/after.7002"
ss -tnH state established "( sport = :7003 )" >"$TMP/ss.7003"
ss -uamnH "( sport = :5300 )" >"$TMP/ss.5300"
expect_promtool_clean "$TMP/m"

series() { # NAME DIRECTION PORT [LE]
	if [ -n "${4:-}" ]; then
		metric_value "$TMP/m" "$1{direction=\"$2\",port=\"$3\",le=\"$4\"}"
	else
		metric_value "$TMP/m" "$1{direction=\"$2\",port=\"$3\"}"
	fi
}

# Checks port $1's RTT buckets against the two ss snapshots: a socket is
# certain when both put it in the same bucket, at least 10% from its edges;
# at most $2 may be uncertain.
check_rtt() {
	local port=$1 le i=0 got lo hi certain
	certain=$(join <(sort "$TMP/before.$port") <(sort "$TMP/after.$port") | awk -v b="$BOUNDS_US" '
		function bucket(us,   i) { for (i = 1; i <= nb; i++) if (us <= B[i]) return i; return nb + 1 }
		function near(us,   i) { for (i = 1; i <= nb; i++) if (us > B[i] * 0.9 && us < B[i] * 1.1) return 1; return 0 }
		BEGIN { nb = split(b, B, " ") }
		{ x = bucket($2); y = bucket($4); if (x == y && !near($2) && !near($4)) print x; else print "u" }')
	[ "$(wc -l <<<"$certain")" = 4 ] || fail "port $port: want 4 sockets in both ss snapshots: $certain"
	[ "$(grep -c u <<<"$certain" || true)" -le "$2" ] ||
		fail "port $port: RTTs too close to bucket edges or moving to compare: $(cat "$TMP/before.$port" "$TMP/after.$port")"
	got=$(series netstat_tcp_port_rtt_seconds_gcount outbound "$port")
	[ "$got" = 4 ] || fail "port $port: gcount $got, want 4"
	for le in $LE; do
		i=$((i + 1))
		lo=$(awk -v i="$i" '$1 != "u" && $1 <= i' <<<"$certain" | wc -l)
		hi=$((lo + $(grep -c u <<<"$certain" || true)))
		got=$(series netstat_tcp_port_rtt_seconds_bucket outbound "$port" "$le")
		[ "$got" -ge "$lo" ] && [ "$got" -le "$hi" ] ||
			fail "port $port le=$le: got $got sockets, ss says $lo..$hi"
	done
	got=$(series netstat_tcp_port_rtt_seconds_bucket outbound "$port" "+Inf")
	[ "$got" = 4 ] || fail "port $port le=+Inf: got $got, want 4"
}
# 7001 settles mid-bucket (0.25-0.5 s) and moves slowly: 3 of 4 must be
# certain. 7002's sub-ms RTT jumps across the 100 us and 250 us edges from
# one ack to the next (even back and forth between two ss snapshots), so
# only its count and that all 4 are under 100 ms are checked.
check_rtt 7001 1
for le in 0.1 +Inf; do
	got=$(series netstat_tcp_port_rtt_seconds_bucket outbound 7002 "$le")
	[ "$got" = 4 ] || fail "port 7002 le=$le: got $got, want 4"
done
[ "$(series netstat_tcp_port_rtt_seconds_gcount outbound 7002)" = 4 ] || fail "port 7002: gcount"
[ "$(series netstat_tcp_port_rtt_seconds_bucket outbound 7001 0.1)" = 0 ] || fail "port 7001: sockets under 100 ms"
# The two ports differ as staged: 7001 queues (mean RTT above 100 ms, none
# under, 7002 all under, above); 7002 retransmits, 7001 never dropped a segment.
[ "$(wc -l <"$TMP/before.7002")" = 4 ] || fail "ss shows $(wc -l <"$TMP/before.7002") senders on 7002"
mean() { awk -v s="$(series netstat_tcp_port_rtt_seconds_gsum outbound "$1")" \
	-v c="$(series netstat_tcp_port_rtt_seconds_gcount outbound "$1")" 'BEGIN { print s / c }'; }
awk -v m="$(mean 7001)" 'BEGIN { exit !(m > 0.1) }' || fail "port 7001 mean RTT $(mean 7001) s, want > 0.1"
for port in 7001 7002; do
	lo=$(awk '{ s += $3 } END { print s + 0 }' "$TMP/before.$port")
	hi=$(awk '{ s += $3 } END { print s + 0 }' "$TMP/after.$port")
	got=$(series netstat_tcp_port_retransmitted_segments outbound "$port")
	[ "$got" -ge "$lo" ] && [ "$got" -le "$hi" ] ||
		fail "port $port retransmitted segments: got $got, ss says $lo..$hi"
done
[ "$(series netstat_tcp_port_retransmitted_segments outbound 7001)" = 0 ] || fail "port 7001 retransmitted"
# Nothing lost on 7001: no socket in recovery; on 7002 at most its 4.
[ "$(series netstat_tcp_port_retransmitting_sockets outbound 7001)" = 0 ] || fail "port 7001 retransmitting"
got=$(series netstat_tcp_port_retransmitting_sockets outbound 7002)
[ -n "$got" ] && [ "$got" -le 4 ] || fail "port 7002 retransmitting sockets: '$got'"
[ "$(series netstat_tcp_port_retransmitted_segments outbound 7002)" -gt 10 ] || fail "port 7002 hardly retransmitted"
got=$(series netstat_tcp_port_acked_bytes outbound 7002)
[ "$got" -gt 1000000 ] || fail "port 7002 acked bytes: $got"

# Stopped reading: every byte and socket exactly as ss saw them.
want=$(awk '{ s += $1 } END { print s }' "$TMP/ss.7003")
[ "$want" -gt 0 ] || fail "ss shows no receive queue on 7003"
expect_value "$TMP/m" 'netstat_tcp_port_receive_queue_bytes{direction="inbound",port="7003"}' "$want"
expect_value "$TMP/m" 'netstat_tcp_port_receive_queue_nonempty_sockets{direction="inbound",port="7003"}' 3
expect_value "$TMP/m" 'netstat_tcp_port_receive_queue_nonempty_sockets{direction="outbound",port="7001"}' 0
# The senders' side: 7003's senders are in the peer; 7001's queue in A.
got=$(series netstat_tcp_port_send_queue_bytes outbound 7001)
[ "$got" -gt 0 ] || fail "port 7001 send queue: $got"

# UDP: drops and queued bytes exactly as ss -uam.
want=$(grep -o 'skmem:([^)]*)' "$TMP/ss.5300" | sed -E 's/.*,d([0-9]+)\)/\1/')
[ -n "$want" ] && [ "$want" -gt 100 ] || fail "ss shows too few drops on 5300: $(cat "$TMP/ss.5300")"
expect_value "$TMP/m" 'netstat_udp_port_dropped_datagrams{port="5300"}' "$want"
expect_value "$TMP/m" 'netstat_udp_port_receive_queue_bytes{port="5300"}' "$(awk 'NR == 1 { print $2 }' "$TMP/ss.5300")"

# OpenMetrics: the RTT family is a gaugehistogram with _gcount and _gsum.
ne_scrape 'application/openmetrics-text;version=1.0.0' >"$TMP/m.om"
grep -qx '# TYPE netstat_tcp_port_rtt_seconds gaugehistogram' "$TMP/m.om" || fail "OpenMetrics: no gaugehistogram"
grep -q '^netstat_tcp_port_rtt_seconds_gcount{direction="outbound",port="7001"} 4$' "$TMP/m.om" ||
	fail "OpenMetrics: no _gcount for 7001"
echo "PASS sockets_health: 7001 mean RTT $(mean 7001) s, 7002 $(mean 7002) s, $(series netstat_tcp_port_retransmitted_segments outbound 7002) retransmitted on 7002, $want UDP drops"
