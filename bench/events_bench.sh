#!/usr/bin/env bash
# The events collector's overhead under load (docs/events.md#benchmark), in a
# private network namespace:
#  1. a local HTTP server (bench/http_epoll: epoll, accept, read, answer,
#     close) pinned to CPU 0, under wrk with `Connection: close` (a TCP
#     connection per request) pinned to CPU 1; requests/s with the event
#     layer on (an exporter with the events collector: its BPF programs
#     attached) against off (the same exporter with --no-collector.events:
#     no program attached), in ROUNDS rounds of SECONDS each, in the order
#     off on on off off on ... (so neither side always goes first, and each
#     pair of rounds has one of each), after one warm-up round. Per side: the
#     median requests/s and its range, and the median CPU time per request
#     (the server's and wrk's user + system time, which holds the softirq
#     work done in their context, the BPF programs' included, over the
#     requests served). Then on/off of each pair of rounds, and the median of
#     those ratios: a machine whose other load drifts moves both rounds of a
#     pair alike. Requests/s is what the issue bounds; CPU per request is
#     what other load on the machine moves least (it takes CPU time from
#     the server and wrk, not CPU time per request);
#  2. ns per event of each BPF program: one more round with
#     kernel.bpf_stats_enabled=1, run_time_ns / run_cnt of each program
#     (bpftool; the statistics add a clock read to each run), runs per
#     request, and the BPF time per request against the CPU time a request
#     takes with the layer off: the overhead as the kernel counts it, which
#     other load on the machine hardly moves.
# With EVENTS_BENCH_POD=1 the server and wrk run in a network namespace of
# their own (a pod's, to the exporter): the live TCP states then count their
# sockets too (docs/events.md#live-states), which the exporter's own
# namespace is left out of; the netns collector then runs (off otherwise),
# its first census seeding them.
# EVENTS_BENCH_ON_FLAGS: more exporter flags for the "on" side (to measure a
# part of the layer, e.g. --no-collector.events.live-states).
# EVENTS_BENCH_WINDOWS=1: section 1 in windows, for a machine whose other
# load drifts within a round: one wrk runs throughout, and the layer goes on
# and off under it (the exporter started with the events collector, then
# stopped), ROUNDS windows of SECONDS each in the same order, each counted
# from the server's namespace's PassiveOpens (one per request), each after
# the exporter has started and ended before it stops. Pairs of adjacent
# windows are seconds apart, not a round and an exporter start.
# Nothing scrapes the exporter during the rounds (a scrape every 15 s costs
# about a millisecond; see events_scale.sh for the scrape cost).
# Usage (as root): bench/events_bench.sh BUILD_DIR [SECONDS [ROUNDS [CONNECTIONS]]]
#   defaults: 10 s, 20 rounds (10 per side), 8 connections
# Build first: cmake --build BUILD_DIR --target netstat_exporter bench
set -euo pipefail
BENCH_ARGS=("$@")
BUILD=$(cd "${1:?usage: events_bench.sh BUILD_DIR [SECONDS [ROUNDS [CONNECTIONS]]]}" && pwd)
SECS=${2:-10}
ROUNDS=${3:-20}
CONNS=${4:-8}
source "$(dirname "$0")/lib.sh"
NE="$BUILD/netstat_exporter"
HTTP="$BUILD/bench/http_epoll"
bench_need "$NE" "$HTTP" wrk bpftool jq curl taskset
bench_need_events "$BUILD"
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs (server and wrk on their own)" >&2; exit 1; }
PORT=19400
ON_FLAGS=${EVENTS_BENCH_ON_FLAGS:-}
NE_PID=""

start_ne() {
	"$NE" --web.listen-address="127.0.0.1:$PORT" --no-collector.processes $NETNS_FLAG "$@" \
		>"$TMP/ne.log" 2>&1 &
	NE_PID=$!
	for _ in $(seq 200); do
		# One scrape: with the pod, the netns collector's first census
		# seeds the live states (docs/events.md#live-states).
		curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" &&
			curl -sf -o /dev/null "http://127.0.0.1:$PORT/metrics" && return 0
		sleep 0.05
	done
	cat "$TMP/ne.log" >&2
	exit 1
}
stop_ne() { kill "$NE_PID"; wait "$NE_PID" 2>/dev/null || true; NE_PID=""; }
# The ids of the exporter's BPF programs ($1: prog_id or map_id), from its
# file descriptors (this bpftool lists no pids).
bpf_ids() { grep -h "^$1:" /proc/"$NE_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un; }
# The server's user + system time, in clock ticks.
server_ticks() { awk '{ print $14 + $15 }' /proc/"$HTTP_PID"/stat; }
# One round: "requests/s CPU-ns-per-request" on stdout.
rps() {
	local t0 t1 wrk_cpu
	t0=$(server_ticks)
	TIMEFORMAT='%3U %3S'
	{ time taskset -c 1 $IN_POD wrk -t1 -c"$CONNS" -d"${SECS}s" -H 'Connection: close' \
		http://127.0.0.1:8080/ >"$TMP/wrk"; } 2>"$TMP/time"
	t1=$(server_ticks)
	wrk_cpu=$(awk '{ print $1 + $2 }' "$TMP/time")
	if grep -q 'Socket errors' "$TMP/wrk"; then grep 'Socket errors' "$TMP/wrk" >&2; fi
	awk -v srv="$(((t1 - t0)))" -v hz="$(getconf CLK_TCK)" -v w="$wrk_cpu" '
		/requests in/ { n = $1 }
		/^Requests\/sec/ { r = $2 }
		END { printf "%d %d\n", r, (srv / hz + w) * 1e9 / n }' "$TMP/wrk"
}
# Starts the exporter of side $1: off (no BPF program attached) or on.
start_side() {
	if [ "$1" = off ]; then
		start_ne --no-collector.events
	else
		start_ne $ON_FLAGS
		grep -q 'events collector on' "$TMP/ne.log" || { cat "$TMP/ne.log" >&2; exit 1; }
	fi
}
round() { # off|on -> appends "requests/s CPU-ns-per-request" to $TMP/$1
	start_side "$1"
	rps >>"$TMP/$1"
	stop_ne
}

IN_POD=""
NETNS_FLAG=--no-collector.netns
if [ "${EVENTS_BENCH_POD:-0}" = 1 ]; then
	NETNS_FLAG=""
	ip netns add evb-pod
	trap 'bench_cleanup; ip netns del evb-pod 2>/dev/null || true' EXIT
	IN_POD="nsenter --net=/run/netns/evb-pod"
	$IN_POD ip link set lo up
fi
taskset -c 0 $IN_POD "$HTTP" 127.0.0.1 8080 1 >"$TMP/http" &
HTTP_PID=$!
PIDS+=("$HTTP_PID")
for _ in $(seq 100); do grep -q ready "$TMP/http" && break; sleep 0.05; done
# This namespace's own: closed connections pile up in TIME_WAIT (the
# server's side, which closes first); let the ports go round.
$IN_POD sysctl -qw net.ipv4.tcp_tw_reuse=1
$IN_POD sysctl -qw net.ipv4.ip_local_port_range="1024 65000"

# Requests served in the server's namespace so far (accepted connections).
passive_opens() {
	$IN_POD awk '$1 == "Tcp:" { if (!h) { split($0, n); h = 1 } else for (i in n) if (n[i] == "PassiveOpens") print $i }' /proc/net/snmp
}
# CPU time all CPUs spent on anything but idling, in clock ticks (/proc/stat).
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
# One window under the running wrk: "requests/s CPU-ns-per-request" appended
# to $TMP/$1 (the CPU of the whole machine, which runs little else).
window() {
	local a b t0 t1 c0 c1
	start_side "$1"
	sleep 0.2
	a=$(passive_opens) t0=$(date +%s%N) c0=$(busy_ticks)
	sleep "$SECS"
	b=$(passive_opens) t1=$(date +%s%N) c1=$(busy_ticks)
	stop_ne
	awk -v n=$((b - a)) -v t=$((t1 - t0)) -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%d %d\n", n * 1e9 / t, c / hz * 1e9 / n }' >>"$TMP/$1"
}
col() { cut -d' ' -f"$1" "$2"; }
# ROUNDS of $1 (round or window) in the order off on on off off on ...
# (each pair has one of each, and neither side always goes first), each
# printed; each pair's on/off ratios (requests/s, CPU per request) into
# $TMP/pairs.
run_pairs() {
	local r side got cpu
	: >"$TMP/on"
	: >"$TMP/off"
	: >"$TMP/pairs"
	for r in $(seq "$ROUNDS"); do
		if [ $((r % 4)) = 1 ] || [ $((r % 4)) = 0 ]; then side=off; else side=on; fi
		"$1" "$side"
		read -r got cpu < <(tail -1 "$TMP/$side")
		printf '   %s %3d: %-3s %6d req/s, %6d ns CPU per request\n' "$1" "$r" "$side" "$got" "$cpu"
		if [ $((r % 2)) = 0 ]; then
			awk -v a="$(tail -1 "$TMP/on" | col 1 /dev/stdin)" -v b="$(tail -1 "$TMP/off" | col 1 /dev/stdin)" \
				-v c="$(tail -1 "$TMP/on" | col 2 /dev/stdin)" -v d="$(tail -1 "$TMP/off" | col 2 /dev/stdin)" \
				'BEGIN { printf "%.4f %.4f\n", a / b, c / d }' >>"$TMP/pairs"
		fi
	done
}
if [ "${EVENTS_BENCH_WINDOWS:-0}" = 1 ]; then
	echo "1. overhead in windows: http_epoll on CPU 0, one wrk -t1 -c$CONNS on CPU 1 throughout, Connection: close; $ROUNDS windows of ${SECS}s"
	taskset -c 1 $IN_POD wrk -t1 -c"$CONNS" -d"$((ROUNDS * (SECS + 1) + 30))s" -H 'Connection: close' \
		http://127.0.0.1:8080/ >"$TMP/wrk.windows" 2>&1 &
	WRK_PID=$!
	PIDS+=("$WRK_PID")
	sleep 2
	run_pairs window
	kill "$WRK_PID" 2>/dev/null || true
	wait "$WRK_PID" 2>/dev/null || true
	for side in off on; do
		printf '   %-3s: median %6d req/s, median %6d ns CPU per request\n' "$side" \
			"$(col 1 "$TMP/$side" | median)" "$(col 2 "$TMP/$side" | median)"
	done
	# The median of the pairs' ratios and the middle half of them.
	quartiles() { sort -n | awk '{ a[NR] = $1 } END { printf "%.4f (middle half %.4f-%.4f)", a[int((NR + 1) / 2)], a[int(NR / 4) + 1], a[NR - int(NR / 4)] }'; }
	echo "   pairs ($((ROUNDS / 2))): requests/s on/off $(col 1 "$TMP/pairs" | quartiles); CPU per request on/off $(col 2 "$TMP/pairs" | quartiles)"
	# The round of section 2 takes 10 s.
	SECS=10
else
	echo "1. overhead: http_epoll on CPU 0, wrk -t1 -c$CONNS -d${SECS}s on CPU 1, Connection: close"
	start_ne --no-collector.events
	rps >/dev/null # warm-up
	stop_ne
	run_pairs round
	spread() { sort -n | awk '{ a[NR] = $1 } END { printf "%d-%d", a[1], a[NR] }'; }
	for side in off on; do
		printf '   %-3s: median %6d req/s (range %s), median %6d ns CPU per request (range %s)\n' "$side" \
			"$(col 1 "$TMP/$side" | median)" "$(col 1 "$TMP/$side" | spread)" \
			"$(col 2 "$TMP/$side" | median)" "$(col 2 "$TMP/$side" | spread)"
	done
	awk -v on="$(col 1 "$TMP/on" | median)" -v off="$(col 1 "$TMP/off" | median)" \
		'BEGIN { printf "   medians: on/off = %.4f: %.2f%% fewer requests/s with the event layer\n", on / off, (off - on) * 100 / off }'
	awk -v r="$(col 1 "$TMP/pairs" | median)" -v c="$(col 2 "$TMP/pairs" | median)" \
		'BEGIN { printf "   pairs (median of %s): requests/s on/off = %.4f (%.2f%% fewer); CPU per request on/off = %.4f (%+.2f%%)\n", "'"$((ROUNDS / 2))"' pairs", r, (1 - r) * 100, c, (c - 1) * 100 }'
	echo "   pairs' requests/s ratios: $(col 1 "$TMP/pairs" | sort -n | tr '\n' ' ')"
	echo "   highest requests/s of a round: $(cat "$TMP/off" "$TMP/on" | col 1 /dev/stdin | sort -n | tail -1)"
fi

echo "2. ns per event (kernel.bpf_stats_enabled=1, one round of ${SECS}s with the layer on)"
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
start_ne $ON_FLAGS
sysctl -qw kernel.bpf_stats_enabled=1
for id in $(bpf_ids prog_id); do bpftool prog show id "$id" --json; done >"$TMP/before.json"
rps >/dev/null
for id in $(bpf_ids prog_id); do bpftool prog show id "$id" --json; done >"$TMP/after.json"
sysctl -qw kernel.bpf_stats_enabled="$stats_was"
stop_ne
reqs=$(awk '/requests in/ { print $1 }' "$TMP/wrk")
cpu=$(col 2 "$TMP/off" | median)
jq -rs --argjson reqs "$reqs" --argjson cpu "$cpu" '
	(length / 2) as $n | .[:$n] as $b | .[$n:] as $a
	| [range($n) | {name: $a[.].name,
		cnt: (($a[.].run_cnt // 0) - ($b[.].run_cnt // 0)),
		ns: (($a[.].run_time_ns // 0) - ($b[.].run_time_ns // 0))}] as $p
	| ($p[] | "   \(.name): \(.cnt) runs, \(if .cnt > 0 then (.ns / .cnt | floor) else 0 end) ns/run, \(.cnt / $reqs * 100 | round / 100) runs/request"),
	  "   all programs: \(([$p[].ns] | add) / $reqs | floor) ns of BPF per request: \(([$p[].ns] | add) / $reqs / $cpu * 10000 | round / 100)% of the \($cpu) ns of CPU a request takes with the layer off (median above)"' \
	"$TMP/before.json" "$TMP/after.json"
