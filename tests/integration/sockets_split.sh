# Integration test of the split TCP dumps (diag_bc): a 100-port ephemeral
# range, so that every group of 60 client sockets has ports in both halves of
# the split (a half is 50 ports wide), with established pairs (IPv4, IPv6),
# client-side TIME_WAIT, and request sockets (SYN_RECV, SYN-ACKs dropped by
# nftables) whose only ephemeral port is the remote one; plus 20 server-side
# TIME_WAIT, from 20 client addresses (from one, a later client would reuse
# the port of a closed one and take over its TIME_WAIT: the range is small). diag_split checks on the kernel that the two bytecode halves
# are exactly the whole dump, socket by socket, that both are populated, and
# that the kernel refuses bad bytecode with EINVAL (nl_diag_dump returns it,
# so the collector fails instead of counting nothing); then the exporter's
# counts are compared exactly with 1 thread (no split) and 2 (split).
#   bash tests/integration/sockets_split.sh BUILD_DIR SRC_DIR
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

SPLIT="$BUILD/tests/diag_split"
[ -x "$POP" ] && [ -x "$SPLIT" ] || fail "missing $POP or $SPLIT"
command -v nft >/dev/null || fail "nft (nftables) is required"

sysctl -qw net.ipv4.ip_local_port_range="40000 40099"
sysctl -qw net.ipv4.tcp_syncookies=0

"$POP" L,127.0.0.1,8080 L,::,8443 L,127.0.0.1,9090,1024 \
	E,60,127.0.0.2,127.0.0.1,8080 \
	E,60,::1,::1,8443 \
	T,60,127.0.0.4,127.0.0.1,8080 \
	$(for i in $(seq 20); do echo "X,1,127.0.1.$i,127.0.0.1,8080"; done) \
	>"$TMP/pop.out" 2>&1 &
wait_ready "$TMP/pop.out"
drop_syn_acks split 9090
"$POP" S,60,127.0.0.66,127.0.0.1,9090 >"$TMP/flood.out" 2>&1 &
wait_ready "$TMP/flood.out"
wait_until 10 syn_recv_count_is 60

# The kernel's view of the split, before any exporter socket exists.
"$SPLIT" 40000 40099 >"$TMP/split.out" 2>&1 || fail "diag_split: $(cat "$TMP/split.out")"
cat "$TMP/split.out"
grep -qx 'ipv4 all=320 a=[0-9]* b=[0-9]*' "$TMP/split.out" || fail "ipv4 population: $(cat "$TMP/split.out")"
grep -qx 'ipv6 all=120 a=[0-9]* b=[0-9]*' "$TMP/split.out" || fail "ipv6 population: $(cat "$TMP/split.out")"
# Every kind of socket in both halves: 60 distinct ports never fit one half.
for f in ipv4 ipv6; do
	grep -Eq "^$f all=[0-9]+ a=[1-9][0-9]* b=[1-9][0-9]*$" "$TMP/split.out" || fail "$f: a half is empty"
done
grep -Eq '^ipv4 a_syn_recv=[1-9][0-9]* b_syn_recv=[1-9][0-9]* a_time_wait=[1-9][0-9]* b_time_wait=[1-9][0-9]*$' \
	"$TMP/split.out" || fail "request or TIME_WAIT sockets missing from a half"
"$SPLIT" bad >"$TMP/bad.out" 2>&1 || fail "the kernel took bad bytecode: $(cat "$TMP/bad.out")"
grep -c 'Invalid argument, 0 sockets' "$TMP/bad.out" | grep -qx 3 || fail "bad bytecode: $(cat "$TMP/bad.out")"

declare -A V4=([established]=120 [syn_sent]=60 [syn_recv]=60 [fin_wait1]=0 [fin_wait2]=0
	[time_wait]=80 [close]=0 [close_wait]=0 [last_ack]=0 [closing]=0)
declare -A V6=([established]=120 [syn_sent]=0 [syn_recv]=0 [fin_wait1]=0 [fin_wait2]=0
	[time_wait]=0 [close]=0 [close_wait]=0 [last_ack]=0 [closing]=0)

check_scrape() { # THREADS
	local m="$TMP/metrics.$1" st v own
	ne_start --collector.sockets.threads="$1" --collector.sockets.ports="8080,$NE_PORT"
	ne_scrape >"$m" || fail "scrape failed"
	expect_value "$m" 'netstat_exporter_collector_success{collector="sockets"}' 1
	for st in "${!V4[@]}"; do
		# The exporter's own sockets are all on port $NE_PORT.
		v=$(metric_value "$m" "netstat_tcp_port_sockets{direction=\"inbound\",port=\"$NE_PORT\",state=\"$st\"}")
		own=$(metric_value "$m" "netstat_tcp_port_sockets{direction=\"outbound\",port=\"$NE_PORT\",state=\"$st\"}")
		expect_value "$m" "netstat_tcp_sockets{family=\"ipv4\",state=\"$st\"}" $((V4[$st] + v + own))
		expect_value "$m" "netstat_tcp_sockets{family=\"ipv6\",state=\"$st\"}" "${V6[$st]}"
	done
	expect_value "$m" 'netstat_tcp_sockets{family="ipv4",state="listen"}' 3
	expect_value "$m" 'netstat_tcp_sockets{family="ipv6",state="listen"}' 1
	expect_value "$m" 'netstat_tcp_port_sockets{direction="inbound",port="8080",state="established"}' 60
	expect_value "$m" 'netstat_tcp_port_sockets{direction="outbound",port="8080",state="established"}' 60
	expect_value "$m" 'netstat_tcp_port_sockets{direction="inbound",port="8080",state="time_wait"}' 20
	expect_value "$m" 'netstat_tcp_port_sockets{direction="outbound",port="8080",state="time_wait"}' 60
	expect_value "$m" 'netstat_tcp_port_sockets{direction="inbound",port="9090",state="syn_recv"}' 60
	expect_value "$m" 'netstat_tcp_port_sockets{direction="outbound",port="9090",state="syn_sent"}' 60
	expect_value "$m" 'netstat_tcp_port_sockets{direction="inbound",port="8443",state="established"}' 60
	expect_value "$m" 'netstat_tcp_port_sockets{direction="outbound",port="8443",state="established"}' 60
	# 127.0.0.2 and 127.0.0.4 each hold 60 ports towards 127.0.0.1:8080.
	expect_value "$m" 'netstat_tcp_ephemeral_ports_max_used' 60
	ne_stop
}

check_scrape 1
check_scrape 2
echo "PASS sockets_split"
