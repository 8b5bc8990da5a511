#!/usr/bin/env bash
# The live syn_recv's cost (docs/events.md#live-states): PODS network
# namespaces, each with LISTENERS listeners and a SYN backlog of SYNS request
# sockets on its first one (SYN-ACKs dropped), and the exporter (events and
# netns collectors) scraped SCRAPES times. Prints, from bpf_stats, the
# live_queues program's ns per run and per listener, and the netns
# collector's median time per scrape with live states on and off (the peer,
# same population, same run); checks the served syn_recv sum against ss.
# Usage (as root): bench/live_queues_bench.sh BUILD_DIR [PODS [LISTENERS [SYNS [SCRAPES]]]]
#   defaults: 100 pods, 20 listeners each, 10 SYNs each, 20 scrapes
# Build first: cmake --build BUILD_DIR --target netstat_exporter sockpop
set -euo pipefail
BENCH_ARGS=("$@")
BUILD=$(cd "${1:?usage: live_queues_bench.sh BUILD_DIR [PODS [LISTENERS [SYNS [SCRAPES]]]]}" && pwd)
PODS=${2:-100}
LISTENERS=${3:-20}
SYNS=${4:-10}
SCRAPES=${5:-20}
if [ "${NE_BENCH_NETNS:-}" != 1 ]; then
	NE_BENCH_NETNS=1 exec unshare -m -n -p -f --mount-proc --propagation private -- bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
NE="$BUILD/netstat_exporter"
POP="$BUILD/tests/sockpop"
bench_need "$NE" "$POP" bpftool jq curl nft
bench_need_events "$BUILD"
mkdir -p /run/netns
mount -t tmpfs bench-lq /run/netns

for p in $(seq 0 $((PODS - 1))); do
	ns=/run/netns/lq-$p
	ip netns add lq-$p
	nsenter --net=$ns ip link set lo up
	nsenter --net=$ns sysctl -qw net.ipv4.tcp_syncookies=0
	nsenter --net=$ns nft add table inet b
	nsenter --net=$ns nft add chain inet b in '{ type filter hook input priority 0; }'
	nsenter --net=$ns nft add rule inet b in tcp sport 8000 'tcp flags & (syn|ack) == (syn|ack)' drop
	specs=()
	for l in $(seq 0 $((LISTENERS - 1))); do specs+=("L,127.0.0.1,$((8000 + l)),128"); done
	nsenter --net=$ns "$POP" "${specs[@]}" "S,$SYNS,127.0.0.2,127.0.0.1,8000" >"$TMP/pop-$p" 2>&1 &
	PIDS+=("$!")
done
for p in $(seq 0 $((PODS - 1))); do
	for _ in $(seq 300); do grep -q ready "$TMP/pop-$p" && break; sleep 0.1; done
	grep -q ready "$TMP/pop-$p" || { cat "$TMP/pop-$p" >&2; exit 1; }
done
want=0
for p in $(seq 0 $((PODS - 1))); do
	want=$((want + $(nsenter --net=/run/netns/lq-$p ss -tanH state syn-recv | wc -l)))
done

sysctl -qw kernel.bpf_stats_enabled=1
trap 'sysctl -qw kernel.bpf_stats_enabled=0; bench_cleanup' EXIT
PORT=19731
run() { # on|off -> median netns collector ms; leaves the last scrape in $TMP/m
	local live=$1
	"$NE" --web.listen-address=127.0.0.1:$PORT --collector.netns.census-interval=1h \
		--collector.events "--$([ "$live" = on ] || echo no-)collector.events.live-states" >"$TMP/ne.log" 2>&1 &
	local pid=$! t=()
	for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.1; done
	# Every namespace's seed walk first (one census slot each).
	for _ in $(seq $((PODS + 2))); do curl -sf "http://127.0.0.1:$PORT/metrics" >"$TMP/m"; done
	for _ in $(seq "$SCRAPES"); do
		curl -sf "http://127.0.0.1:$PORT/metrics" >"$TMP/m"
		t+=("$(awk '/^netstat_exporter_collector_duration_seconds\{collector="netns"\}/ { print $2 * 1000 }' "$TMP/m")")
	done
	printf '%s\n' "${t[@]}" | median
	[ "$live" = off ] || bpftool -j prog show name live_queues >"$TMP/prog.json"
	kill "$pid"
	wait "$pid" || true
}
on=$(run on)
got=$(awk '/^netstat_netns_tcp_sockets\{/ && /state="syn_recv"/ { s += $NF } END { print s + 0 }' "$TMP/m")
off=$(run off)
read -r cnt ns < <(jq -r 'if type == "array" then .[0] else . end | "\(.run_cnt // 0) \(.run_time_ns // 0)"' "$TMP/prog.json")
echo "pods $PODS, listeners $((PODS * LISTENERS)), request sockets: ss $want, served $got"
awk -v c="$cnt" -v n="$ns" -v l="$((PODS * LISTENERS))" 'BEGIN {
	printf "live_queues: %d runs, %.0f ns per run, %.1f ns per listener\n", c, n / c, n / c / l }'
echo "netns collector per scrape (median of $SCRAPES): live states on $on ms, off $off ms"
[ "$got" = "$want" ] || { echo "served syn_recv $got != ss $want" >&2; exit 1; }
