#!/usr/bin/env bash
# The events collector's cost (docs/events.md#benchmark), in a private
# network namespace:
#  1. overhead: a local HTTP server (bench/http_close) under wrk with
#     `Connection: close` (a TCP connection per request), requests/s with the
#     event layer loaded (an exporter with the events collector) against an
#     exporter with --no-collector.events, alternating, ROUNDS of SECONDS
#     each; the median of each and the ratio;
#  2. ns per event per BPF program: one more round with
#     kernel.bpf_stats_enabled=1, run_time_ns / run_cnt of each program
#     (bpftool), and the events each counted;
#  3. scrape cost of the events families alone (every other collector off)
#     at each population size in SIZES (sockets, established loopback pairs),
#     the median of 20 scrapes of netstat_exporter_collector_duration_seconds;
#     peak RSS of the exporter, and the kernel memory of its BPF maps.
# Usage (as root): bench/events_bench.sh BUILD_DIR [SECONDS [ROUNDS [SIZES]]]
#   defaults: 10 s, 3 rounds, SIZES="10000 1000000"
# Build first: cmake --build BUILD_DIR --target netstat_exporter sockpop bench
set -euo pipefail
BENCH_ARGS=("$@")
BUILD=$(cd "${1:?usage: events_bench.sh BUILD_DIR [SECONDS [ROUNDS [SIZES]]]}" && pwd)
SECS=${2:-10}
ROUNDS=${3:-3}
SIZES=${4:-10000 1000000}
source "$(dirname "$0")/lib.sh"
NE="$BUILD/netstat_exporter"
POP="$BUILD/tests/sockpop"
HTTP="$BUILD/bench/http_close"
for f in "$NE" "$POP" "$HTTP"; do
	[ -x "$f" ] || { echo "$f not built" >&2; exit 1; }
done
grep -q '^NETSTAT_HAVE_EVENTS:INTERNAL=ON' "$BUILD/CMakeCache.txt" ||
	{ echo "$BUILD has no events collector (NETSTAT_EVENTS)" >&2; exit 1; }
for t in wrk bpftool jq curl; do
	command -v "$t" >/dev/null || { echo "$t not installed" >&2; exit 1; }
done
PORT=19400
URL="http://127.0.0.1:$PORT/metrics"
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
# The ids of the exporter's BPF programs or maps ($1: prog_id or map_id),
# from its file descriptors (this bpftool lists no pids).
bpf_ids() { grep -h "^$1:" /proc/"$NE_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un; }
rps() {
	wrk -t2 -c32 -d"${SECS}s" -H 'Connection: close' http://127.0.0.1:8080/ >"$TMP/wrk"
	awk '/^Requests\/sec/ { printf "%d\n", $2 }' "$TMP/wrk"
}

"$HTTP" 8080 2 >"$TMP/http" &
PIDS+=("$!")
for _ in $(seq 100); do grep -q ready "$TMP/http" && break; sleep 0.05; done
# Closed connections pile up in TIME_WAIT: let them be reused.
sysctl -qw net.ipv4.tcp_tw_reuse=1
sysctl -qw net.ipv4.ip_local_port_range="1024 65000"

echo "1. overhead: wrk -t2 -c32 -d${SECS}s, Connection: close, $ROUNDS rounds each"
: >"$TMP/on"
: >"$TMP/off"
for r in $(seq "$ROUNDS"); do
	start_ne --no-collector.events
	rps >>"$TMP/off"
	stop_ne
	start_ne
	grep -q 'events collector on' "$TMP/ne.log" || { cat "$TMP/ne.log" >&2; exit 1; }
	rps >>"$TMP/on"
	stop_ne
	echo "   round $r: off $(tail -1 "$TMP/off") req/s, on $(tail -1 "$TMP/on") req/s"
done
off=$(median <"$TMP/off")
on=$(median <"$TMP/on")
awk -v on="$on" -v off="$off" 'BEGIN { printf "   median: off %d req/s, on %d req/s: %.2f%% fewer with the event layer\n", off, on, (off - on) * 100 / off }'

echo "2. ns per event (kernel.bpf_stats_enabled=1, one round of ${SECS}s)"
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
start_ne
sysctl -qw kernel.bpf_stats_enabled=1
rps >"$TMP/stats_rps"
curl -sf "$URL" >"$TMP/m"
sysctl -qw kernel.bpf_stats_enabled="$stats_was"
for id in $(bpf_ids prog_id); do bpftool prog show id "$id" --json; done | jq -r '
	"   \(.name): \(.run_cnt // 0) runs, \(if (.run_cnt // 0) > 0 then (.run_time_ns / .run_cnt | floor) else 0 end) ns/run"' 
grep '^netstat_events_program_events_total' "$TMP/m" | sed 's/^/   /'
echo "   ($(cat "$TMP/stats_rps") req/s with the statistics on)"
stop_ne

echo "3. scrape cost of the events collector alone (median of 20 scrapes), peak RSS, BPF map memory"
for size in $SIZES; do
	bench_grow_pairs $((size / 2))
	start_ne --no-collector.sockets --no-collector.netstat --no-collector.sockstat --no-collector.limits
	: >"$TMP/d"
	for _ in $(seq 20); do
		curl -sf "$URL" | awk '/^netstat_exporter_collector_duration_seconds\{collector="events"\}/ { print $2 * 1000 }' >>"$TMP/d"
	done
	maps=$(for id in $(bpf_ids map_id); do bpftool map show id "$id" --json; done | jq -s 'map(.bytes_memlock) | add')
	series=$(curl -sf "$URL" | grep -c '^netstat_\(tcp\|udp\)_[a-z_]*{netns=' || true)
	printf '   %d sockets (%d in the namespace): %.3f ms per scrape (%d event series), peak RSS %d KiB, BPF maps %d bytes\n' \
		"$((BENCH_PAIRS * 2))" "$(ss -Htan | wc -l)" "$(median <"$TMP/d")" "$series" \
		"$(awk '/^VmHWM/ { print $2 }' /proc/"$NE_PID"/status)" "$maps"
	stop_ne
done
