# Benchmark of the sockets collector against its peers, in one run.
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-rel --target netstat_exporter sockpop bench
#   bash bench/sockets_bench.sh build-rel [SIZES] [RUNS]
# SIZES (default "10000 50000 150000") are TCP socket counts: established
# pairs over loopback, spread over worker processes (at most 9000 pairs,
# 18000 fds, each: the fd limit is 20000) and source addresses 127.0.0.x.
# Runs in a private network namespace. Per size it prints the median over RUNS
# (default 11) of: this exporter's scrape (curl time_total of /metrics),
# node_exporter 1.5 --collector.tcpstat alone (same), `ss -tan` (process wall
# time), and diag_floor (one-threaded bare inet_diag dump counting states, timed
# inside the process); ratios to the floor and to node_exporter; and this
# exporter's peak RSS (VmHWM). Extra exporter flags: NE_FLAGS="...".
set -euo pipefail

BUILD=$(cd "${1:?usage: sockets_bench.sh BUILD_DIR [SIZES] [RUNS]}" && pwd)
SIZES=${2:-"10000 50000 150000"}
RUNS=${3:-11}
BENCH_ARGS=("$@")
source "$(dirname "$0")/lib.sh"

NE="$BUILD/netstat_exporter"
POP="$BUILD/tests/sockpop"
FLOOR="$BUILD/bench/diag_floor"
NODE=$(command -v prometheus-node-exporter || command -v node_exporter)
for f in "$NE" "$POP" "$FLOOR" "$NODE"; do [ -x "$f" ] || { echo "missing $f" >&2; exit 1; }; done

"$NE" --web.listen-address=127.0.0.1:19100 ${NE_FLAGS:-} >"$TMP/ne.log" 2>&1 &
NE_PID=$!
PIDS+=("$NE_PID")
"$NODE" --collector.disable-defaults --collector.tcpstat --web.listen-address=127.0.0.1:19101 \
	>"$TMP/node.log" 2>&1 &
PIDS+=("$!")
for port in 19100 19101; do
	for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" && break; sleep 0.1; done
done

curl_ms() { # URL
	for _ in $(seq "$RUNS"); do
		curl -s -o /dev/null -w '%{time_total}\n' "$1"
	done | awk '{ print $1 * 1000 }' | median
}
ss_ms() {
	for _ in $(seq "$RUNS"); do
		local a b
		a=$(date +%s%N); ss -tan >/dev/null; b=$(date +%s%N)
		echo $(((b - a) / 1000))
	done | awk '{ print $1 / 1000 }' | median
}

printf '%-8s %9s %9s %9s %9s %10s %10s %10s\n' sockets exp_ms floor_ms node_ms ss_ms exp/floor node/exp rss_mb
for size in $SIZES; do
	bench_grow_pairs $((size / 2))
	exp=$(curl_ms http://127.0.0.1:19100/metrics)
	node=$(curl_ms http://127.0.0.1:19101/metrics)
	ssm=$(ss_ms)
	fl=$("$FLOOR" "$RUNS")
	floor=${fl#floor_ms=}
	floor=${floor%% *}
	seen=${fl##*sockets=}
	rss=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$NE_PID/status")
	printf '%-8s %9.2f %9.2f %9.2f %9.2f %10.2f %10.2f %10s\n' "$seen" "$exp" "$floor" "$node" "$ssm" \
		"$(awk -v a="$exp" -v b="$floor" 'BEGIN { print a / b }')" \
		"$(awk -v a="$node" -v b="$exp" 'BEGIN { print a / b }')" "$rss"
done
curl -s http://127.0.0.1:19100/metrics | grep -E '^netstat_tcp_sockets\{family="ipv4",state="(established|listen)"' >&2
