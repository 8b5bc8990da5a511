#!/usr/bin/env bash
# The events collector's overhead under load (docs/events.md#benchmark), in a
# private network namespace:
#  1. a local HTTP server (bench/http_epoll: epoll, accept, read, answer,
#     close) pinned to CPU 0, under wrk with `Connection: close` (a TCP
#     connection per request) pinned to CPU 1; requests/s with the event
#     layer on (an exporter with the events collector: its BPF programs
#     attached) against off (the same exporter with --no-collector.events:
#     no program attached), in ROUNDS rounds of SECONDS each, in the order
#     off on on off off on ... (so neither side always goes first), after one
#     warm-up round; the median of each side, the ratio, and the spread;
#  2. ns per event of each BPF program: one more round with
#     kernel.bpf_stats_enabled=1, run_time_ns / run_cnt of each program
#     (bpftool), runs per request, and the BPF time per request against the
#     time a request takes.
# Nothing scrapes the exporter during the rounds (a scrape every 15 s costs
# about a millisecond; see events_scale.sh for the scrape cost).
# Usage (as root): bench/events_bench.sh BUILD_DIR [SECONDS [ROUNDS [CONNECTIONS]]]
#   defaults: 10 s, 12 rounds (6 per side), 8 connections
# Build first: cmake --build BUILD_DIR --target netstat_exporter bench
set -euo pipefail
BENCH_ARGS=("$@")
BUILD=$(cd "${1:?usage: events_bench.sh BUILD_DIR [SECONDS [ROUNDS [CONNECTIONS]]]}" && pwd)
SECS=${2:-10}
ROUNDS=${3:-12}
CONNS=${4:-8}
source "$(dirname "$0")/lib.sh"
NE="$BUILD/netstat_exporter"
HTTP="$BUILD/bench/http_epoll"
for f in "$NE" "$HTTP"; do
	[ -x "$f" ] || { echo "$f not built" >&2; exit 1; }
done
grep -q '^NETSTAT_HAVE_EVENTS:INTERNAL=ON' "$BUILD/CMakeCache.txt" ||
	{ echo "$BUILD has no events collector (NETSTAT_EVENTS)" >&2; exit 1; }
for t in wrk bpftool jq curl taskset; do
	command -v "$t" >/dev/null || { echo "$t not installed" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs (server and wrk on their own)" >&2; exit 1; }
PORT=19400
NE_PID=""

start_ne() {
	"$NE" --web.listen-address="127.0.0.1:$PORT" --no-collector.netns --no-collector.processes "$@" \
		>"$TMP/ne.log" 2>&1 &
	NE_PID=$!
	for _ in $(seq 200); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0; sleep 0.05; done
	cat "$TMP/ne.log" >&2
	exit 1
}
stop_ne() { kill "$NE_PID"; wait "$NE_PID" 2>/dev/null || true; NE_PID=""; }
# The ids of the exporter's BPF programs ($1: prog_id or map_id), from its
# file descriptors (this bpftool lists no pids).
bpf_ids() { grep -h "^$1:" /proc/"$NE_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un; }
# One round: requests/s (whole), on stdout.
rps() {
	taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" -H 'Connection: close' http://127.0.0.1:8080/ >"$TMP/wrk"
	grep -q 'Socket errors' "$TMP/wrk" && grep 'Socket errors' "$TMP/wrk" >&2
	awk '/^Requests\/sec/ { printf "%d\n", $2 }' "$TMP/wrk"
}
round() { # off|on -> appends requests/s to $TMP/$1
	if [ "$1" = off ]; then
		start_ne --no-collector.events
	else
		start_ne
		grep -q 'events collector on' "$TMP/ne.log" || { cat "$TMP/ne.log" >&2; exit 1; }
	fi
	rps >>"$TMP/$1"
	stop_ne
}

taskset -c 0 "$HTTP" 127.0.0.1 8080 1 >"$TMP/http" &
PIDS+=("$!")
for _ in $(seq 100); do grep -q ready "$TMP/http" && break; sleep 0.05; done
# This namespace's own: closed connections pile up in TIME_WAIT (the
# server's side, which closes first); let the ports go round.
sysctl -qw net.ipv4.tcp_tw_reuse=1
sysctl -qw net.ipv4.ip_local_port_range="1024 65000"

echo "1. overhead: http_epoll on CPU 0, wrk -t1 -c$CONNS -d${SECS}s on CPU 1, Connection: close"
start_ne --no-collector.events
rps >/dev/null # warm-up
stop_ne
: >"$TMP/on"
: >"$TMP/off"
for r in $(seq "$ROUNDS"); do
	# off on, on off, off on, ...
	if [ $((r % 4)) = 1 ] || [ $((r % 4)) = 0 ]; then side=off; else side=on; fi
	round "$side"
	printf '   round %2d: %-3s %6d req/s\n' "$r" "$side" "$(tail -1 "$TMP/$side")"
done
off=$(median <"$TMP/off")
on=$(median <"$TMP/on")
spread() { sort -n | awk '{ a[NR] = $1 } END { printf "%d-%d", a[1], a[NR] }'; }
echo "   off: median $off req/s (range $(spread <"$TMP/off")), on: median $on req/s (range $(spread <"$TMP/on"))"
awk -v on="$on" -v off="$off" 'BEGIN { printf "   on/off = %.4f: %.2f%% fewer requests/s with the event layer\n", on / off, (off - on) * 100 / off }'

echo "2. ns per event (kernel.bpf_stats_enabled=1, one round of ${SECS}s with the layer on)"
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
start_ne
sysctl -qw kernel.bpf_stats_enabled=1
for id in $(bpf_ids prog_id); do bpftool prog show id "$id" --json; done >"$TMP/before.json"
rps >"$TMP/stats_rps"
for id in $(bpf_ids prog_id); do bpftool prog show id "$id" --json; done >"$TMP/after.json"
sysctl -qw kernel.bpf_stats_enabled="$stats_was"
stop_ne
reqs=$(awk '/requests in/ { print $1 }' "$TMP/wrk")
jq -rs --argjson reqs "$reqs" --argjson rps "$(cat "$TMP/stats_rps")" '
	(length / 2) as $n | .[:$n] as $b | .[$n:] as $a
	| [range($n) | {name: $a[.].name,
		cnt: (($a[.].run_cnt // 0) - ($b[.].run_cnt // 0)),
		ns: (($a[.].run_time_ns // 0) - ($b[.].run_time_ns // 0))}] as $p
	| ($p[] | "   \(.name): \(.cnt) runs, \(if .cnt > 0 then (.ns / .cnt | floor) else 0 end) ns/run, \(.cnt / $reqs * 100 | round / 100) runs/request"),
	  "   all programs: \(([$p[].ns] | add) / $reqs | floor) ns of BPF per request, where a request takes \(2e9 / $rps | floor) ns of the 2 CPUs (\($rps) req/s with the statistics on)"' \
	"$TMP/before.json" "$TMP/after.json"
