# Integration test of the sockets collector: a known socket population in a
# private network namespace (listeners, IPv4/IPv6/mapped established pairs,
# TIME_WAIT on both sides, FIN_WAIT2/CLOSE_WAIT, an accept backlog, UDP, and a
# real SYN_RECV backlog from SYN-ACKs dropped by nftables), scraped over HTTP
# and compared exactly, per state, per port and direction, per scope; top
# peers; ephemeral-port pressure against a hand count.
#   bash tests/integration/sockets.sh BUILD_DIR SRC_DIR
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

[ -x "$POP" ] || fail "missing $POP"
command -v nft >/dev/null || fail "nft (nftables) is required"

# Addresses of every scope, all local.
ip addr add 10.1.0.1/32 dev lo
ip addr add 203.0.113.1/32 dev lo
ip addr add 169.254.1.1/32 dev lo
ip addr add 100.64.0.1/32 dev lo
ip -6 addr add fd00::1/128 dev lo nodad
ip -6 addr add 2001:db8::1/128 dev lo nodad
sysctl -qw net.ipv4.ip_local_port_range="40000 40999"
sysctl -qw net.ipv4.tcp_syncookies=0

"$POP" L,0.0.0.0,8080 L,::,8443 L,127.0.0.1,9090,1024 L,127.0.0.1,7070,16 \
	E,30,127.0.0.2,127.0.0.1,8080 \
	E,5,203.0.113.1,10.1.0.1,8080 \
	E,4,::1,::1,8443 \
	E,3,2001:db8::1,fd00::1,8443 \
	E,6,127.0.0.3,127.0.0.1,8443 \
	E,2,169.254.1.1,100.64.0.1,8080 \
	T,7,127.0.0.4,127.0.0.1,8080 \
	X,3,127.0.0.5,127.0.0.1,8080 \
	W,4,127.0.0.6,127.0.0.1,8080 \
	Q,3,127.0.0.7,127.0.0.1,7070 \
	U,127.0.0.1,5353 U,::,5354 \
	C,127.0.0.1,127.0.0.1,5353,100 C,::1,::1,5354,64 \
	>"$TMP/pop.out" 2>&1 &
wait_ready "$TMP/pop.out"

# The SYN flood: SYN-ACKs from 9090 never leave, so the listener keeps
# request sockets (SYN_RECV) and the clients stay in SYN_SENT.
drop_syn_acks census 9090
"$POP" S,25,127.0.0.66,127.0.0.1,9090 >"$TMP/flood.out" 2>&1 &
wait_ready "$TMP/flood.out"
wait_until 10 syn_recv_count_is 25

# Population counts (the exporter's own sockets, all on port $NE_PORT, are
# read from its allowlisted series and added).
declare -A V4=([established]=86 [syn_sent]=25 [syn_recv]=25 [fin_wait1]=0 [fin_wait2]=4
	[time_wait]=10 [close]=0 [close_wait]=4 [last_ack]=0 [listen]=3 [closing]=0)
declare -A V6=([established]=20 [syn_sent]=0 [syn_recv]=0 [fin_wait1]=0 [fin_wait2]=0
	[time_wait]=0 [close]=0 [close_wait]=0 [last_ack]=0 [listen]=1 [closing]=0)
STATES="established syn_sent syn_recv fin_wait1 fin_wait2 time_wait close close_wait last_ack listen closing"

check_scrape() { # THREADS
	local m="$TMP/metrics.$1" port st v own in_own=0 out_own=0 want
	ne_start --collector.sockets.threads="$1" --collector.sockets.ports="8080,$NE_PORT" \
		--collector.sockets.top-peers=2 --collector.sockets.peer-min-sockets=5
	ne_scrape >"$m" || fail "scrape failed"
	expect_promtool_clean "$m"
	expect_value "$m" 'netstat_exporter_collector_success{collector="sockets"}' 1

	for st in $STATES; do
		[ "$st" = listen ] && continue
		v=$(metric_value "$m" "netstat_tcp_port_sockets{direction=\"inbound\",port=\"$NE_PORT\",state=\"$st\"}")
		[ -n "$v" ] || fail "no inbound series for allowlisted port $NE_PORT state $st"
		own=$(metric_value "$m" "netstat_tcp_port_sockets{direction=\"outbound\",port=\"$NE_PORT\",state=\"$st\"}")
		in_own=$((in_own + v))
		out_own=$((out_own + own))
		want=$((V4[$st] + v + own))
		expect_value "$m" "netstat_tcp_sockets{family=\"ipv4\",state=\"$st\"}" "$want"
		expect_value "$m" "netstat_tcp_sockets{family=\"ipv6\",state=\"$st\"}" "${V6[$st]}"
	done
	expect_value "$m" 'netstat_tcp_sockets{family="ipv4",state="listen"}' $((V4[listen] + 1))
	expect_value "$m" 'netstat_tcp_sockets{family="ipv6",state="listen"}' 1

	# Per port and direction.
	expect_value "$m" 'netstat_tcp_port_sockets{direction="inbound",port="8080",state="established"}' 37
	expect_value "$m" 'netstat_tcp_port_sockets{direction="inbound",port="8080",state="time_wait"}' 3
	expect_value "$m" 'netstat_tcp_port_sockets{direction="inbound",port="8080",state="close_wait"}' 4
	expect_value "$m" 'netstat_tcp_port_sockets{direction="inbound",port="8080",state="fin_wait2"}' 0
	expect_value "$m" 'netstat_tcp_port_sockets{direction="outbound",port="8080",state="established"}' 37
	expect_value "$m" 'netstat_tcp_port_sockets{direction="outbound",port="8080",state="time_wait"}' 7
	expect_value "$m" 'netstat_tcp_port_sockets{direction="outbound",port="8080",state="fin_wait2"}' 4
	expect_value "$m" 'netstat_tcp_port_sockets{direction="outbound",port="8080",state="close_wait"}' 0
	expect_value "$m" 'netstat_tcp_port_sockets{direction="inbound",port="8443",state="established"}' 13
	expect_value "$m" 'netstat_tcp_port_sockets{direction="outbound",port="8443",state="established"}' 13
	expect_value "$m" 'netstat_tcp_port_sockets{direction="inbound",port="9090",state="syn_recv"}' 25
	expect_value "$m" 'netstat_tcp_port_sockets{direction="outbound",port="9090",state="syn_sent"}' 25
	expect_value "$m" 'netstat_tcp_port_sockets{direction="inbound",port="7070",state="established"}' 3
	expect_value "$m" 'netstat_tcp_port_sockets{direction="outbound",port="7070",state="established"}' 3
	# Nothing else: every port series is one of ours, and no "other".
	v=$(grep '^netstat_tcp_port_sockets{' "$m" | grep -Ev "port=\"(8080|8443|9090|7070|$NE_PORT)\"" || true)
	[ -z "$v" ] || fail "unexpected port series: $v"
	v=$(grep -c '^netstat_tcp_port_sockets{' "$m")
	# 10 states x 2 directions for each of 2 allowlisted ports, plus 6 seen elsewhere.
	[ "$v" = 46 ] || fail "want 46 port series, got $v"

	# Listeners.
	for port in 8080 8443 9090 7070 "$NE_PORT"; do
		expect_value "$m" "netstat_tcp_listeners{port=\"$port\"}" 1
	done
	expect_value "$m" 'netstat_tcp_listen_queue_length{port="7070"}' 3
	expect_value "$m" 'netstat_tcp_listen_backlog{port="7070"}' 16
	expect_value "$m" 'netstat_tcp_listen_queue_length{port="9090"}' 0
	expect_value "$m" 'netstat_tcp_listen_backlog{port="9090"}' 1024
	expect_value "$m" 'netstat_tcp_listen_queue_length{port="8080"}' 0

	# Peers by scope and direction.
	expect_value "$m" 'netstat_tcp_peer_sockets{scope="loopback",direction="inbound"}' $((75 + in_own))
	expect_value "$m" 'netstat_tcp_peer_sockets{scope="public",direction="inbound"}' 8
	expect_value "$m" 'netstat_tcp_peer_sockets{scope="link_local",direction="inbound"}' 2
	expect_value "$m" 'netstat_tcp_peer_sockets{scope="private",direction="inbound"}' 0
	expect_value "$m" 'netstat_tcp_peer_sockets{scope="loopback",direction="outbound"}' $((79 + out_own))
	expect_value "$m" 'netstat_tcp_peer_sockets{scope="private",direction="outbound"}' 10
	expect_value "$m" 'netstat_tcp_peer_sockets{scope="public",direction="outbound"}' 0
	expect_value "$m" 'netstat_tcp_peer_sockets{scope="link_local",direction="outbound"}' 0

	# The flooding address tops syn_recv; K=2, at least 5 sockets.
	expect_value "$m" 'netstat_tcp_top_inbound_peer_sockets{state="syn_recv",address="127.0.0.66"}' 25
	expect_value "$m" 'netstat_tcp_top_inbound_peer_sockets{state="established",address="127.0.0.2"}' 30
	expect_value "$m" 'netstat_tcp_top_inbound_peer_sockets{state="established",address="127.0.0.3"}' 6
	v=$(grep -c '^netstat_tcp_top_inbound_peer_sockets{' "$m")
	[ "$v" = 3 ] || fail "want 3 top peer series, got $v"

	# Ephemeral pressure: the 30 clients 127.0.0.2 -> 127.0.0.1:8080 over a
	# 1000-port range (the exporter's own scrapes use far fewer).
	expect_value "$m" 'netstat_tcp_ephemeral_ports_max_used' 30
	v=$(metric_value "$m" 'netstat_tcp_ephemeral_ports_max_used_ratio')
	awk -v v="$v" 'BEGIN { exit !(v == 30 / 1000) }' || fail "ratio: got '$v', want 0.03"
	expect_value "$m" 'netstat_tcp_untracked_sockets{table="peer_addresses"}' 0

	# UDP.
	expect_value "$m" 'netstat_udp_sockets{family="ipv4",state="unconnected"}' 1
	expect_value "$m" 'netstat_udp_sockets{family="ipv4",state="connected"}' 1
	expect_value "$m" 'netstat_udp_sockets{family="ipv6",state="unconnected"}' 1
	expect_value "$m" 'netstat_udp_sockets{family="ipv6",state="connected"}' 1
	v=$(metric_value "$m" 'netstat_udp_receive_queue_bytes{family="ipv4"}')
	[ "${v:-0}" -ge 100 ] || fail "ipv4 UDP receive queue: got '$v', want >= 100 (one unread datagram)"
	v=$(metric_value "$m" 'netstat_udp_receive_queue_bytes{family="ipv6"}')
	[ "${v:-0}" -ge 64 ] || fail "ipv6 UDP receive queue: got '$v', want >= 64"

	ne_scrape 'application/openmetrics-text;version=1.0.0' >"$m.om" || fail "OpenMetrics scrape failed"
	grep -q '^netstat_tcp_sockets{family="ipv4",state="syn_recv"} ' "$m.om" || fail "OpenMetrics body lacks the census"
	ne_stop
}

check_scrape 1
# Again with two dump threads, on the same port: the first exporter's
# leftovers (TIME_WAIT) are on that port, so they count as the exporter's own.
check_scrape 2

# A bad option is one line naming the flag, exit status 2.
rc=0
"$NE_BIN" --web.listen-address=127.0.0.1:$((NE_PORT + 1)) --collector.sockets.top-peers=x >"$TMP/bad.log" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "bad option: exit status $rc, want 2"
grep -q -- '--collector.sockets.top-peers' "$TMP/bad.log" || fail "bad option message: $(cat "$TMP/bad.log")"
echo "PASS sockets"
