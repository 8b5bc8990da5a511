#!/usr/bin/env bash
# The netstat, sockstat and limits collectors against the real kernel.
#
# Part 1: events are provoked in a second, otherwise idle network namespace B
# (listen overflows against a listener that never accepts, connects refused
# by a closed port, retransmits through an nftables drop) while the exporter
# runs in our namespace with --path.procfs=/proc/<pid in B>, so the HTTP
# scrape itself cannot move B's counters. Every field of B's net/snmp,
# net/netstat and net/snmp6 read right after the scrape must equal the
# exported value exactly, and the provoked counters must have moved.
# Part 2: the exporter on the real /proc of its own namespace: counters the
# scrape cannot touch match exactly, per-namespace sysctls set here are what
# the limits collector exports, and promtool is silent on every field.
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

EV="$BUILD/tests/netstat_events"
[ -x "$EV" ] || fail "helper $EV is not built"
PAGE=$(getconf PAGESIZE)

# Every field of net/snmp, net/netstat (header/value pairs) and net/snmp6 in
# directory $1, as "NstatName value" lines, sorted.
proc_fields() {
	{
		awk 'FNR % 2 == 1 { split($0, h) }
		     FNR % 2 == 0 { p = h[1]; sub(":", "", p); for (i = 2; i <= NF; i++) print p h[i], $i }' \
			"$1/snmp" "$1/netstat"
		if [ -f "$1/snmp6" ]; then awk '{ print $1, $2 }' "$1/snmp6"; fi
	} | LC_ALL=C sort
}

# The same from a scrape in file $1: the HELP text names the nstat field;
# the few millisecond fields exported in seconds are turned back into ms.
scraped_fields() {
	awk '/^# HELP netstat_/ && $5 == "from" && $6 ~ /^\/proc\/net\// { nstat[$3] = $4; next }
	     /^#/ { next }
	     ($1 in nstat) { v = $2; if ($1 ~ /_seconds(_total)?$/) v = sprintf("%.0f", v * 1000); print nstat[$1], v }' \
		"$1" | LC_ALL=C sort
}

# Value of nstat field $2 in a "Name value" list file $1.
field() {
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

expect_same_fields() { # scrape file, procfs net dir, label
	proc_fields "$2" >"$TMP/proc.txt"
	scraped_fields "$1" >"$TMP/scraped.txt"
	[ "$(wc -l <"$TMP/proc.txt")" -gt 100 ] || fail "$3: too few fields read from $2"
	if ! diff -u "$TMP/proc.txt" "$TMP/scraped.txt" >"$TMP/diff.txt"; then
		head -n 40 "$TMP/diff.txt" >&2
		fail "$3: exported counters differ from $2 (- /proc, + exported)"
	fi
}

# ---- part 1: an idle namespace B, read through /proc/<pid>
unshare -n sleep 600 &
B=$!
b_ready() { [ "$(readlink /proc/$B/ns/net)" != "$(readlink /proc/self/ns/net)" ]; }
wait_until 5 b_ready
inb() { nsenter -t "$B" -n -- "$@"; }
inb ip link set lo up

ne_start --collector.disable-defaults --collector.netstat --collector.sockstat \
	--path.procfs="/proc/$B"
ne_scrape >"$TMP/s0.txt"
expect_value "$TMP/s0.txt" 'netstat_exporter_collector_success{collector="netstat"}' 1
expect_value "$TMP/s0.txt" 'netstat_exporter_collector_success{collector="sockstat"}' 1
expect_same_fields "$TMP/s0.txt" "/proc/$B/net" "before the events"
cp "$TMP/scraped.txt" "$TMP/f0.txt"

inb "$EV" overflow 9301 20 || fail "overflow helper failed"
inb "$EV" refused 9302 5 || fail "refused helper failed"
inb nft add table inet nstest
inb nft add chain inet nstest in '{ type filter hook input priority 0; }'
# drop segments carrying the 1000-byte payload; the handshake and RSTs pass
inb nft add rule inet nstest in tcp dport 9303 ip length gt 100 drop
inb "$EV" retrans 9303 1500 || fail "retrans helper failed"
# B's counters have taken the events and stopped moving: two reads 100 ms
# apart agree (late retransmissions and RSTs land after the helper exits).
b_settled() {
	proc_fields "/proc/$B/net" >"$TMP/q0.txt"
	sleep 0.1
	proc_fields "/proc/$B/net" >"$TMP/q1.txt"
	cmp -s "$TMP/q0.txt" "$TMP/q1.txt" &&
		[ "$(field "$TMP/q1.txt" TcpRetransSegs)" -gt "$(field "$TMP/f0.txt" TcpRetransSegs)" ] &&
		[ "$(field "$TMP/q1.txt" TcpExtTCPTimeouts)" -gt "$(field "$TMP/f0.txt" TcpExtTCPTimeouts)" ]
}
wait_until 10 b_settled

ne_scrape >"$TMP/s1.txt"
expect_same_fields "$TMP/s1.txt" "/proc/$B/net" "after the events"
cp "$TMP/scraped.txt" "$TMP/f1.txt"

delta() { echo $(($(field "$TMP/f1.txt" "$1") - $(field "$TMP/f0.txt" "$1"))); }
[ "$(delta TcpExtListenOverflows)" -gt 0 ] || fail "TcpExtListenOverflows did not move"
[ "$(delta TcpExtListenDrops)" -gt 0 ] || fail "TcpExtListenDrops did not move"
[ "$(delta TcpAttemptFails)" = 5 ] || fail "TcpAttemptFails moved by $(delta TcpAttemptFails), want 5"
[ "$(delta TcpOutRsts)" -ge 5 ] || fail "TcpOutRsts moved by $(delta TcpOutRsts), want >= 5"
[ "$(delta TcpRetransSegs)" -gt 0 ] || fail "TcpRetransSegs did not move"
[ "$(delta TcpExtTCPTimeouts)" -gt 0 ] || fail "TcpExtTCPTimeouts did not move"
expect_value "$TMP/s1.txt" netstat_tcpext_listen_overflows_total "$(field "$TMP/f1.txt" TcpExtListenOverflows)"

# sockstat of B, read right after the scrape (nothing runs there any more).
# Only the per-namespace values: TCP orphan, alloc and mem are host-wide, and
# the exporter's own HTTP connection moves them.
# held: the listener and 5 established pairs, until the helper's input ends
mkfifo "$TMP/hold.in"
inb "$EV" hold 9304 5 <"$TMP/hold.in" >"$TMP/hold.out" &
HOLD=$!
exec 8>"$TMP/hold.in"
wait_ready "$TMP/hold.out"
ne_scrape >"$TMP/s1b.txt"
read -r _ _ used < <(grep '^sockets:' "/proc/$B/net/sockstat")
read -r _ _ inuse _ _ _ tw _ _ _ _ < <(grep '^TCP:' "/proc/$B/net/sockstat")
exec 8>&-
wait "$HOLD" || fail "hold helper failed"
[ "$inuse" -ge 11 ] || fail "hold helper did not open its sockets (inuse $inuse)"
expect_value "$TMP/s1b.txt" netstat_sockstat_sockets_used "$used"
expect_value "$TMP/s1b.txt" 'netstat_sockstat_tcp_inuse{family="ipv4"}' "$inuse"
expect_value "$TMP/s1b.txt" netstat_sockstat_tcp_tw "$tw"
[ -n "$(metric_value "$TMP/s1b.txt" netstat_sockstat_tcp_mem_bytes)" ] || fail "tcp_mem_bytes missing"
ne_stop

# ---- part 2: our own namespace, the real /proc
sysctl -qw net.core.somaxconn=1234
sysctl -qw net.ipv4.ip_local_port_range="20000 30000"
sysctl -qw net.ipv4.tcp_fin_timeout=17
ne_start
# after start: its /healthz polling may itself be refused a few times
proc_fields /proc/net >"$TMP/a0.txt"
"$EV" refused 9402 7 || fail "refused helper failed"
ne_scrape >"$TMP/s2.txt"
proc_fields /proc/net >"$TMP/a1.txt"
scraped_fields "$TMP/s2.txt" >"$TMP/f2.txt"
for c in netstat sockstat limits; do
	expect_value "$TMP/s2.txt" "netstat_exporter_collector_success{collector=\"$c\"}" 1
done
# fields the HTTP scrape cannot move: exact, and B's events are not here
for k in TcpAttemptFails TcpExtListenOverflows TcpExtListenDrops TcpExtTCPTimeouts; do
	[ "$(field "$TMP/f2.txt" "$k")" = "$(field "$TMP/a1.txt" "$k")" ] ||
		fail "$k: exported $(field "$TMP/f2.txt" "$k"), /proc $(field "$TMP/a1.txt" "$k")"
done
[ $(($(field "$TMP/f2.txt" TcpAttemptFails) - $(field "$TMP/a0.txt" TcpAttemptFails))) = 7 ] ||
	fail "TcpAttemptFails did not move by exactly 7"
[ "$(field "$TMP/f2.txt" TcpExtListenOverflows)" = 0 ] || fail "namespace B's overflows leaked into ours"
# the exporter's own namespace has as many fields as its /proc
[ "$(wc -l <"$TMP/f2.txt")" = "$(wc -l <"$TMP/a1.txt")" ] || fail "field count differs from /proc/net"

expect_value "$TMP/s2.txt" netstat_limit_somaxconn 1234
expect_value "$TMP/s2.txt" netstat_limit_ip_local_port_range_first 20000
expect_value "$TMP/s2.txt" netstat_limit_ip_local_port_range_last 30000
expect_value "$TMP/s2.txt" netstat_limit_tcp_fin_timeout_seconds 17
expect_value "$TMP/s2.txt" netstat_limit_tcp_max_syn_backlog "$(cat /proc/sys/net/ipv4/tcp_max_syn_backlog)"
expect_value "$TMP/s2.txt" netstat_limit_tcp_syncookies "$(cat /proc/sys/net/ipv4/tcp_syncookies)"
# tcp_mem and tcp_max_orphans are host-wide: only the initial namespace has
# the files, and where they are missing the series must be absent
if [ -f /proc/sys/net/ipv4/tcp_mem ]; then
	read -r mem_min mem_pressure mem_max </proc/sys/net/ipv4/tcp_mem
	expect_value "$TMP/s2.txt" 'netstat_limit_tcp_mem_bytes{level="min"}' "$((mem_min * PAGE))"
	expect_value "$TMP/s2.txt" 'netstat_limit_tcp_mem_bytes{level="pressure"}' "$((mem_pressure * PAGE))"
	expect_value "$TMP/s2.txt" 'netstat_limit_tcp_mem_bytes{level="max"}' "$((mem_max * PAGE))"
else
	! grep -q '^netstat_limit_tcp_mem_bytes' "$TMP/s2.txt" || fail "tcp_mem exported without the file"
fi
if [ -f /proc/sys/net/ipv4/tcp_max_orphans ]; then
	expect_value "$TMP/s2.txt" netstat_limit_tcp_max_orphans "$(cat /proc/sys/net/ipv4/tcp_max_orphans)"
else
	[ -z "$(metric_value "$TMP/s2.txt" netstat_limit_tcp_max_orphans)" ] || fail "tcp_max_orphans exported without the file"
fi
if [ -f /proc/sys/net/netfilter/nf_conntrack_max ]; then
	expect_value "$TMP/s2.txt" netstat_conntrack_entries_limit "$(cat /proc/sys/net/netfilter/nf_conntrack_max)"
	[ -n "$(metric_value "$TMP/s2.txt" netstat_conntrack_entries)" ] || fail "conntrack count missing"
else
	[ -z "$(metric_value "$TMP/s2.txt" netstat_conntrack_entries_limit)" ] || fail "conntrack limit without a table"
fi
expect_promtool_clean "$TMP/s2.txt"
ne_stop

# promtool on the fixture layouts too: unknown protocols and fields, 2^64-1
for tree in proc-6.18 proc-old proc-new; do
	ne_start --path.procfs="$SRC/tests/fixtures/procfs/$tree"
	ne_scrape >"$TMP/t.txt"
	expect_value "$TMP/t.txt" 'netstat_exporter_collector_success{collector="netstat"}' 1
	expect_promtool_clean "$TMP/t.txt"
	ne_stop
done
echo "PASS netstat_counters"
