# Integration test of the netns collector: three network namespaces made here
# (two with `ip netns add`, one held by an `unshare -n` process; one with its
# own TCP hash table), each with a known socket population (a SYN backlog and
# an accept queue in one, TIME_WAIT in another, a port range of its own in the
# third; tcp_max_tw_buckets of their own in two), their first processes
# placed in cgroup v2 directories shaped like Kubernetes (systemd driver,
# containerd), Docker and a systemd service, a fake /var/log/pods and Docker
# container directory: every per-namespace count and label compared exactly.
# A namespace whose tcp_max_tw_buckets is unreadable (/dev/null bound over it,
# seen from that namespace alone) has no such sample, a debug line says why,
# and the scrape succeeds. Then the rotating census (budget 0: the namespace
# with its own table is refreshed every scrape, the others one per scrape,
# oldest first; a census older than the interval is not served), the
# namespace cap (netns="other"), and namespaces made and destroyed during
# scrapes: no failed scrape, no stale series, process_open_fds back to its
# baseline.
# Runs in private PID, mount and network namespaces (its own /proc and
# /run/netns), so it sees no other test's namespaces.
#   bash tests/integration/netns.sh BUILD_DIR SRC_DIR
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns
mkdir -p /run/netns
mount -t tmpfs issue10c-netns /run/netns

[ -x "$POP" ] || fail "missing $POP"
command -v nft >/dev/null || fail "nft (nftables) is required"
CGROOT=/sys/fs/cgroup/unified
[ -w "$CGROOT/cgroup.procs" ] || CGROOT=/sys/fs/cgroup
CG="$CGROOT/issue10c-netns-${TMP##*/}" # $$ is 1 in every test's PID namespace

cleanup() {
	ne_cleanup
	[ -d "$CG" ] && find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null
	true
}
trap cleanup EXIT

UID_K8S=3f1c9a52-8b0e-4d7a-9c61-0a1b2c3d4e5f
CID_A=$(printf 'a%.0s' $(seq 64))
CID_B=$(printf '%s' "b1$(printf 'c%.0s' $(seq 62))")
CG_A="$CG/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_K8S//-/_}.slice/cri-containerd-$CID_A.scope"
CG_B="$CG/system.slice/docker-$CID_B.scope"
CG_C="$CG/system.slice/issue10c-api.service"
mkdir -p "$CG_A" "$CG_B" "$CG_C"
mkdir -p "$TMP/pods/issue10c-shop_issue10c-web-0_$UID_K8S/web" "$TMP/docker/$CID_B"
printf '{"ID":"%s","Name":"/issue10c-redis","State":{"Running":true}}' "$CID_B" \
	>"$TMP/docker/$CID_B/config.v2.json"


# A: a Kubernetes pod (containerd): established pairs, FIN_WAIT2/CLOSE_WAIT,
# an accept queue, and a SYN backlog (SYN-ACKs from 9090 dropped).
ip netns add issue10c-a
NSA=/run/netns/issue10c-a
nsenter --net=$NSA ip link set lo up
nsenter --net=$NSA sysctl -qw net.ipv4.tcp_syncookies=0
nsenter --net=$NSA sysctl -qw net.ipv4.tcp_max_tw_buckets=4093
in_cgroup "$CG_A" nsenter --net=$NSA "$POP" L,0.0.0.0,8080,64 L,127.0.0.1,9090,32 L,127.0.0.1,7070,16 \
	E,12,127.0.0.1,127.0.0.1,8080 W,3,127.0.0.1,127.0.0.1,8080 Q,3,127.0.0.1,127.0.0.1,7070 \
	>"$TMP/a.out" 2>&1 &
wait_ready "$TMP/a.out"
nsenter --net=$NSA bash -c "$(declare -f drop_syn_acks); drop_syn_acks issue10c 9090"
nsenter --net=$NSA "$POP" S,9,127.0.0.2,127.0.0.1,9090 >"$TMP/a2.out" 2>&1 &
wait_ready "$TMP/a2.out"
wait_until 10 syn_recv_count_is 9 nsenter --net=$NSA

# B: a Docker container held by its process alone: IPv6 pairs and TIME_WAIT.
in_cgroup "$CG_B" unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$POP" \
	L,::,6379 E,4,::1,::1,6379 L,0.0.0.0,6380 T,7,127.0.0.1,127.0.0.1,6380 >"$TMP/b.out" 2>&1 &
PID_B=$!
wait_ready "$TMP/b.out"

# C: a systemd service with PrivateNetwork-like namespace of its own, its own
# TCP hash table, and a port range of 10 ports.
sysctl -qw net.ipv4.tcp_child_ehash_entries=1024 2>/dev/null || fail "kernel without tcp_child_ehash_entries"
ip netns add issue10c-c
sysctl -qw net.ipv4.tcp_child_ehash_entries=0
NSC=/run/netns/issue10c-c
nsenter --net=$NSC ip link set lo up
nsenter --net=$NSC sysctl -qw net.ipv4.ip_local_port_range="20000 20009"
nsenter --net=$NSC sysctl -qw net.ipv4.tcp_max_tw_buckets=777
in_cgroup "$CG_C" nsenter --net=$NSC "$POP" L,127.0.0.1,7000,8 E,5,127.0.0.1,127.0.0.1,7000 \
	U,127.0.0.1,5353 C,127.0.0.1,127.0.0.1,5353,10 >"$TMP/c.out" 2>&1 &
wait_ready "$TMP/c.out"

INO_A=$(stat -L -c %i $NSA)
INO_B=$(readlink /proc/$PID_B/ns/net | tr -dc 0-9)
INO_C=$(stat -L -c %i $NSC)
[ -n "$INO_B" ] && [ "$INO_A" != "$INO_B" ] || fail "namespace inodes: A=$INO_A B=$INO_B C=$INO_C"

STATES="established syn_sent syn_recv fin_wait1 fin_wait2 time_wait close close_wait last_ack listen closing"
declare -A A4=([established]=30 [syn_sent]=9 [syn_recv]=9 [fin_wait2]=3 [close_wait]=3 [listen]=3)
declare -A A6=()
declare -A B4=([time_wait]=7 [listen]=1)
declare -A B6=([established]=8 [listen]=1)
declare -A C4=([established]=10 [listen]=1)
declare -A C6=()

# Labels every per-namespace series starts with.
L_A="netns=\"$INO_A\",namespace=\"issue10c-shop\",pod=\"issue10c-web-0\",container=\"$CID_A\""
L_B="netns=\"$INO_B\",namespace=\"\",pod=\"\",container=\"issue10c-redis\""
L_C="netns=\"$INO_C\",namespace=\"\",pod=\"\",container=\"\""

check_states() { # FILE LABELS ARRAY4 ARRAY6
	local m=$1 l=$2 st
	local -n v4=$3 v6=$4
	for st in $STATES; do
		expect_value "$m" "netstat_netns_tcp_sockets{$l,family=\"ipv4\",state=\"$st\"}" "${v4[$st]:-0}"
		expect_value "$m" "netstat_netns_tcp_sockets{$l,family=\"ipv6\",state=\"$st\"}" "${v6[$st]:-0}"
	done
}

OPTS=(--collector.netns.pods-root="$TMP/pods" --collector.netns.docker-root="$TMP/docker")

# ---- every count and label, exactly ----
ne_start "${OPTS[@]}" --collector.netns.census-budget=10s
M="$TMP/m1"
ne_scrape >"$M" || fail "scrape failed"
expect_promtool_clean "$M"
expect_value "$M" 'netstat_exporter_collector_success{collector="netns"}' 1
expect_value "$M" 'netstat_netns_namespaces' 3

expect_value "$M" "netstat_netns_info{netns=\"$INO_A\",namespace=\"issue10c-shop\",pod=\"issue10c-web-0\",pod_uid=\"$UID_K8S\",container=\"$CID_A\",unit=\"\",comm=\"sockpop\"}" 1
expect_value "$M" "netstat_netns_info{netns=\"$INO_B\",namespace=\"\",pod=\"\",pod_uid=\"\",container=\"issue10c-redis\",unit=\"\",comm=\"sockpop\"}" 1
expect_value "$M" "netstat_netns_info{netns=\"$INO_C\",namespace=\"\",pod=\"\",pod_uid=\"\",container=\"\",unit=\"issue10c-api.service\",comm=\"sockpop\"}" 1

check_states "$M" "$L_A" A4 A6
check_states "$M" "$L_B" B4 B6
check_states "$M" "$L_C" C4 C6
for l in "$L_A" "$L_B"; do
	for f in ipv4 ipv6; do
		expect_value "$M" "netstat_netns_udp_sockets{$l,family=\"$f\",state=\"connected\"}" 0
		expect_value "$M" "netstat_netns_udp_sockets{$l,family=\"$f\",state=\"unconnected\"}" 0
	done
done
expect_value "$M" "netstat_netns_udp_sockets{$L_C,family=\"ipv4\",state=\"connected\"}" 1
expect_value "$M" "netstat_netns_udp_sockets{$L_C,family=\"ipv4\",state=\"unconnected\"}" 1

expect_value "$M" "netstat_netns_tcp_listen_queue_length{$L_A,port=\"7070\"}" 3
expect_value "$M" "netstat_netns_tcp_listen_backlog{$L_A,port=\"7070\"}" 16
expect_value "$M" "netstat_netns_tcp_listen_queue_length{$L_A,port=\"9090\"}" 0
expect_value "$M" "netstat_netns_tcp_listen_backlog{$L_A,port=\"9090\"}" 32
expect_value "$M" "netstat_netns_tcp_listen_backlog{$L_A,port=\"8080\"}" 64
expect_value "$M" "netstat_netns_tcp_listen_backlog{$L_C,port=\"7000\"}" 8
[ "$(grep -c "^netstat_netns_tcp_listen_backlog{$L_B," "$M")" = 2 ] || fail "B: want 2 listening ports"

# Five outbound sockets to one address and port, over a range of 10 ports.
expect_value "$M" "netstat_netns_tcp_ephemeral_ports_max_used_ratio{$L_C}" 0.5
expect_value "$M" "netstat_netns_tcp_ehash_entries{$L_C}" 1024
ehash_a=$(metric_value "$M" "netstat_netns_tcp_ehash_entries{$L_A}")
[ "${ehash_a:-0}" -lt 0 ] || fail "A shares the host's hash table: want a negative tcp_ehash_entries, got '$ehash_a'"

expect_value "$M" "netstat_netns_sockstat_tcp_tw{$L_B}" 7
# Each namespace's own tcp_max_tw_buckets (A and C set above, B the default
# its namespace got), as its sysctl says.
expect_value "$M" "netstat_netns_tcp_max_tw_buckets{$L_A}" "$(nsenter --net=$NSA sysctl -n net.ipv4.tcp_max_tw_buckets)"
expect_value "$M" "netstat_netns_tcp_max_tw_buckets{$L_B}" "$(nsenter --net=/proc/$PID_B/ns/net sysctl -n net.ipv4.tcp_max_tw_buckets)"
expect_value "$M" "netstat_netns_tcp_max_tw_buckets{$L_C}" "$(nsenter --net=$NSC sysctl -n net.ipv4.tcp_max_tw_buckets)"
[ "$(metric_value "$M" "netstat_netns_tcp_max_tw_buckets{$L_A}")" = 4093 ] &&
	[ "$(metric_value "$M" "netstat_netns_tcp_max_tw_buckets{$L_C}")" = 777 ] || fail "A's and C's tcp_max_tw_buckets not as set"
# The kernel's orphan count is node-wide (docs/netns.md): not a pod's.
grep -q '^netstat_netns_sockstat_tcp_orphan' "$M" && fail "a node-wide count exported with a pod's labels"
expect_value "$M" "netstat_netns_tcp_curr_estab{$L_A}" 33
expect_value "$M" "netstat_netns_tcp_curr_estab{$L_B}" 8
expect_value "$M" "netstat_netns_tcp_curr_estab{$L_C}" 10
for c in tcp_retrans_segs tcp_out_rsts tcp_estab_resets tcp_attempt_fails tcpext_listen_overflows \
	tcpext_listen_drops tcpext_syncookies_sent tcpext_tcp_timeouts; do
	[ -n "$(metric_value "$M" "netstat_netns_${c}_total{$L_A}")" ] || fail "no netstat_netns_${c}_total for A"
done
for l in "$L_A" "$L_B" "$L_C"; do
	age=$(metric_value "$M" "netstat_netns_census_age_seconds{$l}")
	awk -v a="${age:-x}" 'BEGIN { exit !(a ~ /^[0-9.e-]+$/ && a < 5) }' || fail "census age '$age'"
done

# Attribution: the pods' programs, with their namespace.
# 30 established less the 3 still in the accept queue: no process holds those yet.
expect_value "$M" "netstat_process_sockets{comm=\"sockpop\",netns=\"$INO_A\",protocol=\"tcp\",state=\"established\"}" 27
expect_value "$M" "netstat_process_sockets{comm=\"sockpop\",netns=\"$INO_A\",protocol=\"tcp\",state=\"syn_sent\"}" 9
expect_value "$M" "netstat_process_sockets{comm=\"sockpop\",netns=\"$INO_B\",protocol=\"tcp\",state=\"established\"}" 8
expect_value "$M" "netstat_process_sockets{comm=\"sockpop\",netns=\"$INO_C\",protocol=\"udp\",state=\"connected\"}" 1
grep -q "^netstat_process_sockets{comm=\"sockpop\",netns=\"$INO_B\",protocol=\"tcp\",state=\"time_wait\"}" "$M" &&
	fail "TIME_WAIT sockets have no owner"
expect_value "$M" "netstat_listener_info{comm=\"sockpop\",netns=\"$INO_C\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"7000\"}" 1
ne_stop

# ---- an unreadable tcp_max_tw_buckets: no sample, a debug line, no failure ----
# /dev/null bound over C's file: /proc/sys/net resolves per network namespace,
# so A, B and the test's own namespace still read theirs.
nsenter --net=$NSC mount --bind /dev/null /proc/sys/net/ipv4/tcp_max_tw_buckets
[ -z "$(nsenter --net=$NSC cat /proc/sys/net/ipv4/tcp_max_tw_buckets)" ] || fail "C's tcp_max_tw_buckets still readable"
ne_start "${OPTS[@]}" --collector.netns.census-budget=10s --log.level=debug
M="$TMP/m-tw"
ne_scrape >"$M" || fail "scrape failed"
expect_value "$M" 'netstat_exporter_collector_success{collector="netns"}' 1
grep -q "^netstat_netns_tcp_max_tw_buckets{$L_C}" "$M" && fail "a sample for C's unreadable tcp_max_tw_buckets"
expect_value "$M" "netstat_netns_tcp_max_tw_buckets{$L_A}" 4093
expect_value "$M" "netstat_netns_tcp_sockets{$L_C,family=\"ipv4\",state=\"established\"}" 10
grep -q "level=debug msg=\"netns: cannot read net.ipv4.tcp_max_tw_buckets of namespace $INO_C: " "$TMP/ne.log" ||
	fail "no debug line for C's tcp_max_tw_buckets: $(grep tcp_max_tw "$TMP/ne.log")"
ne_scrape >"$M" || fail "scrape failed"
[ "$(grep -c "tcp_max_tw_buckets of namespace $INO_C" "$TMP/ne.log")" = 1 ] || fail "the debug line repeats every scrape"
ne_stop
nsenter --net=$NSC umount /proc/sys/net/ipv4/tcp_max_tw_buckets

# ---- the namespace cap: the two largest keep their series ----
ne_start "${OPTS[@]}" --collector.netns.census-budget=10s --collector.netns.max-namespaces=2
M="$TMP/m2"
ne_scrape >"$M" || fail "scrape failed"
expect_promtool_clean "$M"
grep -q "^netstat_netns_.*netns=\"$INO_C\"" "$M" && fail "C is the smallest: it belongs under netns=\"other\""
L_O='netns="other",namespace="",pod="",container=""'
check_states "$M" "$L_O" C4 C6
expect_value "$M" "netstat_netns_tcp_listen_backlog{$L_O,port=\"7000\"}" 8
grep -q "^netstat_netns_tcp_max_tw_buckets{$L_O}" "$M" && fail "a tcp_max_tw_buckets for netns=\"other\" (no one namespace's)"
check_states "$M" "$L_A" A4 A6
ne_stop

# ---- rotation: budget 0, interval 3s ----
# C has its own hash table: a full census every scrape. A and B share the
# host's: with no budget, exactly one of them per scrape (progress), oldest
# census first; their listeners are current in every scrape. A census older
# than the interval is stale: its state series are left out (listen stays,
# it is current), its age stays. Censuses alone: the events collector's live
# states would keep the full sockets' series current (integration.live_states).
ne_start "${OPTS[@]}" --collector.netns.census-budget=0 --collector.netns.census-interval=3s \
	--no-collector.events
ne_scrape >"$TMP/r1" || fail "scrape failed"
expect_value "$TMP/r1" netstat_netns_census_interval_seconds 3
check_states "$TMP/r1" "$L_C" C4 C6
expect_value "$TMP/r1" "netstat_netns_tcp_listen_backlog{$L_B,port=\"6379\"}" 4096
if grep -q "^netstat_netns_census_age_seconds{$L_B}" "$TMP/r1"; then
	LX=$L_B LY=$L_A
else
	LX=$L_A LY=$L_B
fi
expect_value "$TMP/r1" "netstat_netns_census_age_seconds{$LX}" 0
grep -q "^netstat_netns_census_age_seconds{$LY}" "$TMP/r1" && fail "one shared census per scrape with no budget"
grep -q "^netstat_netns_tcp_sockets{$LY,family=\"ipv4\",state=\"established\"}" "$TMP/r1" &&
	fail "no census yet: no state but listen"
grep -q "^netstat_netns_tcp_sockets{$LY,family=\"ipv4\",state=\"listen\"}" "$TMP/r1" ||
	fail "the listeners are current without a census"
ne_scrape >"$TMP/r2" || fail "scrape failed"
expect_value "$TMP/r2" "netstat_netns_census_age_seconds{$LY}" 0
check_states "$TMP/r2" "$L_A" A4 A6
check_states "$TMP/r2" "$L_B" B4 B6
age=$(metric_value "$TMP/r2" "netstat_netns_census_age_seconds{$LX}")
awk -v a="$age" 'BEGIN { exit !(a > 0 && a <= 3) }' || fail "X's census should be older than this scrape: age '$age'"
nsenter --net=/proc/$PID_B/ns/net "$POP" L,0.0.0.0,6381 T,5,127.0.0.1,127.0.0.1,6381 >"$TMP/b2.out" 2>&1 &
PID_B2=$!
nsenter --net=$NSC "$POP" L,127.0.0.1,7001 E,1,127.0.0.1,127.0.0.1,7001 >"$TMP/c2.out" 2>&1 &
wait_ready "$TMP/b2.out"
wait_ready "$TMP/c2.out"
ne_scrape >"$TMP/r3" || fail "scrape failed"
expect_value "$TMP/r3" "netstat_netns_sockstat_tcp_tw{$L_B}" 12
expect_value "$TMP/r3" "netstat_netns_tcp_sockets{$L_B,family=\"ipv4\",state=\"listen\"}" 2
expect_value "$TMP/r3" "netstat_netns_census_age_seconds{$LX}" 0
if [ "$LX" = "$L_B" ]; then
	expect_value "$TMP/r3" "netstat_netns_tcp_sockets{$L_B,family=\"ipv4\",state=\"time_wait\"}" 12
else # B's census is from r2, still fresh: served as of then
	expect_value "$TMP/r3" "netstat_netns_tcp_sockets{$L_B,family=\"ipv4\",state=\"time_wait\"}" 7
fi
expect_value "$TMP/r3" "netstat_netns_tcp_sockets{$L_C,family=\"ipv4\",state=\"established\"}" 12
expect_value "$TMP/r3" "netstat_netns_census_age_seconds{$L_C}" 0
sleep 3.2
ne_scrape >"$TMP/r4" || fail "scrape failed"
# Y is censused; X's census (r3's) is over 3 s old: stale, not served.
expect_value "$TMP/r4" "netstat_netns_census_age_seconds{$LY}" 0
age=$(metric_value "$TMP/r4" "netstat_netns_census_age_seconds{$LX}")
awk -v a="$age" 'BEGIN { exit !(a > 3) }' || fail "X's census should be stale: age '$age'"
for st in established time_wait close_wait syn_recv; do
	grep -q "^netstat_netns_tcp_sockets{$LX,family=\"ipv4\",state=\"$st\"}" "$TMP/r4" &&
		fail "a stale census served as current ($st)"
done
grep -q "^netstat_netns_udp_sockets{$LX," "$TMP/r4" && fail "a stale census served as current (udp)"
grep -q "^netstat_netns_tcp_sockets{$LX,family=\"ipv4\",state=\"listen\"}" "$TMP/r4" ||
	fail "the listeners are current with a stale census"
expect_value "$TMP/r4" 'netstat_exporter_collector_success{collector="netns"}' 1
ne_scrape >"$TMP/r5" || fail "scrape failed"
expect_value "$TMP/r5" "netstat_netns_census_age_seconds{$LX}" 0
expect_value "$TMP/r5" "netstat_netns_tcp_sockets{$L_B,family=\"ipv4\",state=\"time_wait\"}" 12
ne_stop

# ---- churn: namespaces made and destroyed between and during scrapes ----
ne_start "${OPTS[@]}"
# The baseline from the second scrape: the first opens what stays open
# (the dump workers' sockets, the namespaces' handles) while it runs.
ne_scrape >/dev/null || fail "scrape failed"
ne_scrape >"$TMP/c0" || fail "scrape failed"
FDS0=$(metric_value "$TMP/c0" process_open_fds)
fd_kinds() { ls -l /proc/$NE_PID/fd | awk '{ print $NF }' | sed 's/[0-9]//g' | sort | uniq -c; }
fd_kinds >"$TMP/fds0"
churn() {
	for i in $(seq 40); do
		unshare -n sleep 0.0$((RANDOM % 9 + 1)) &
		if [ $((i % 4)) = 0 ]; then
			ip netns add "issue10c-churn$i" && ip netns del "issue10c-churn$i"
		fi
		sleep 0.02
	done
	wait
}
churn &
CHURN=$!
for i in $(seq 15); do
	ne_scrape >"$TMP/c$i" || fail "scrape $i failed during churn"
	expect_value "$TMP/c$i" 'netstat_exporter_collector_success{collector="netns"}' 1
done
wait $CHURN
M="$TMP/c-end"
# A namespace that dies during a scrape is left out of it; its socket is
# closed at the next discovery: two scrapes.
ne_scrape >/dev/null || fail "scrape failed"
ne_scrape >"$M" || fail "scrape failed"
expect_promtool_clean "$M"
expect_value "$M" 'netstat_netns_namespaces' 3
# (The netns collector's families and the per-process ones; the events
# collector's counters keep a dead namespace's series: docs/events.md.)
seen=$(grep -E '^netstat_(netns|process)_' "$M" | grep -o 'netns="[0-9]*"' | sort -u | tr -dc '0-9\n' | sort -n | tr '\n' ' ')
want=$(printf '%s\n' "$INO_A" "$INO_B" "$INO_C" | sort -n | tr '\n' ' ')
[ "$seen" = "$want" ] || fail "stale series: namespaces in the output '$seen', want '$want': $(grep -E '^netstat_(netns|process)_' "$M" | grep -v -e "netns=\"$INO_A\"" -e "netns=\"$INO_B\"" -e "netns=\"$INO_C\"" | grep 'netns="[0-9]' | head -5)"
# The last scrape's HTTP connection may still be open for a moment: a leak
# is what stays.
for _ in 1 2 3; do
	[ "$(metric_value "$M" process_open_fds)" = "$FDS0" ] && break
	sleep 0.5
	ne_scrape >"$M" || fail "scrape failed"
done
[ "$(metric_value "$M" process_open_fds)" = "$FDS0" ] || {
	fd_kinds >"$TMP/fds1"
	# Which kind of socket stayed: netlink or TCP (HTTP) in the exporter's
	# own namespace (netlink: a dump worker's), or neither: a namespace's
	# handle, which lives in that namespace.
	for ino in $(ls -l /proc/$NE_PID/fd | grep -o 'socket:\[[0-9]*\]' | tr -dc '0-9\n'); do
		grep -qw "$ino" /proc/$NE_PID/net/netlink && echo "netlink $ino"
		grep -qw "$ino" /proc/$NE_PID/net/tcp /proc/$NE_PID/net/tcp6 && echo "tcp $ino"
	done >"$TMP/socks"
	echo "sockets: $(tr '\n' ' ' <"$TMP/socks")" >&2
	fail "process_open_fds $(metric_value "$M" process_open_fds), want $FDS0: $(diff "$TMP/fds0" "$TMP/fds1" | tr '\n' ' ')"
}

# A namespace that goes away: its series go with it, its handle is closed.
kill "$PID_B" "$PID_B2"
wait "$PID_B" "$PID_B2" 2>/dev/null || true
ne_scrape >"$M" || fail "scrape failed"
grep -E '^netstat_(netns|process)_' "$M" | grep -q "netns=\"$INO_B\"" && fail "series of the destroyed namespace B remain"
expect_value "$M" 'netstat_netns_namespaces' 2
# Its handle is closed by the discovery after the one that missed it.
b_closed() { ne_scrape >"$M" && [ "$(metric_value "$M" process_open_fds)" -lt "$FDS0" ]; }
wait_until 5 b_closed
ne_stop
echo "netns: OK"
