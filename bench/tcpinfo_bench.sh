# Benchmark of --collector.sockets.tcp-info, on against off, in one run.
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-rel --target netstat_exporter sockpop bench
#   flock /tmp/netstat-bench.lock bash bench/tcpinfo_bench.sh build-rel [RUNS]
# Population (private network namespace, loopback): 50,000 established pairs
# (100,000 ESTABLISHED sockets) and 25,000 half-closed pairs (25,000
# FIN_WAIT2 + 25,000 CLOSE_WAIT: full sockets that are not established, the
# worst case for asking tcp_info on the whole dump), 150,000 in all.
# Prints the median over RUNS (default 11) of: the scrape (curl time_total of
# /metrics) of two exporters, tcp-info off and on; `ss -tin` and `ss -tn`
# (process wall time, output to /dev/null); the bare dumps of tcpinfo_dump
# (off, tcp_info on the whole dump, and a separate ESTABLISHED dump); the
# on/off ratio; each exporter's peak RSS (VmHWM). NE_BASE=PATH adds a third
# exporter binary (e.g. a build of main) scraped in the same rotation;
# NE_FLAGS="..." are given to every exporter (e.g. --no-collector.processes).
set -euo pipefail

BUILD=$(cd "${1:?usage: tcpinfo_bench.sh BUILD_DIR [RUNS]}" && pwd)
RUNS=${2:-11}
BENCH_ARGS=("$@")
source "$(dirname "$0")/lib.sh"

NE="$BUILD/netstat_exporter"
POP="$BUILD/tests/sockpop"
DUMP="$BUILD/bench/tcpinfo_dump"
for f in "$NE" "$POP" "$DUMP"; do [ -x "$f" ] || { echo "missing $f" >&2; exit 1; }; done

# Half-closed pairs: sockpop workers of at most 9000 pairs each, on their own
# listener ports and source addresses (after those of bench_grow_pairs).
grow_half_closed() {
	local left=$1 n port src out w=0
	while [ "$left" -gt 0 ]; do
		n=$left
		[ "$n" -gt 9000 ] && n=9000
		port=$((21000 + w))
		src="127.0.9.$((10 + w))"
		out="$TMP/half.$w"
		"$POP" "L,127.0.0.1,$port,4096" "W,$n,$src,127.0.0.1,$port" >"$out" 2>&1 &
		PIDS+=("$!")
		for _ in $(seq 600); do grep -q ready "$out" && break; sleep 0.1; done
		grep -q ready "$out" || { cat "$out" >&2; exit 1; }
		left=$((left - n))
		w=$((w + 1))
	done
}

bench_grow_pairs 50000
grow_half_closed 25000

"$NE" --web.listen-address=127.0.0.1:19110 ${NE_FLAGS:-} >"$TMP/off.log" 2>&1 &
OFF_PID=$!
PIDS+=("$OFF_PID")
"$NE" --web.listen-address=127.0.0.1:19111 --collector.sockets.tcp-info ${NE_FLAGS:-} >"$TMP/on.log" 2>&1 &
ON_PID=$!
PIDS+=("$ON_PID")
ports="19110 19111"
if [ -n "${NE_BASE:-}" ]; then
	"$NE_BASE" --web.listen-address=127.0.0.1:19112 ${NE_FLAGS:-} >"$TMP/base.log" 2>&1 &
	BASE_PID=$!
	PIDS+=("$BASE_PID")
	ports="$ports 19112"
fi
for port in $ports; do
	for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" && break; sleep 0.1; done
done

# Scrapes alternate between the two exporters, so both see the same load.
: >"$TMP/off.ms"
: >"$TMP/on.ms"
: >"$TMP/base.ms"
for _ in $(seq "$RUNS"); do
	curl -s -o /dev/null -w '%{time_total}\n' http://127.0.0.1:19110/metrics >>"$TMP/off.ms"
	curl -s -o /dev/null -w '%{time_total}\n' http://127.0.0.1:19111/metrics >>"$TMP/on.ms"
	[ -z "${NE_BASE:-}" ] ||
		curl -s -o /dev/null -w '%{time_total}\n' http://127.0.0.1:19112/metrics >>"$TMP/base.ms"
done
off=$(awk '{ print $1 * 1000 }' "$TMP/off.ms" | median)
on=$(awk '{ print $1 * 1000 }' "$TMP/on.ms" | median)
ss_ms() { # ss options
	for _ in $(seq "$RUNS"); do
		local a b
		a=$(date +%s%N); ss "$@" >/dev/null; b=$(date +%s%N)
		echo $(((b - a) / 1000))
	done | awk '{ print $1 / 1000 }' | median
}
sstin=$(ss_ms -tin)
sstn=$(ss_ms -tn)
dump=$("$DUMP" "$RUNS")
rss_off=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$OFF_PID/status")
rss_on=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$ON_PID/status")
est=$(curl -s http://127.0.0.1:19111/metrics | awk '/^netstat_tcp_sockets\{family="ipv4",state="established"\}/ { print $2 }')
all=$(curl -s http://127.0.0.1:19111/metrics | awk '/^netstat_tcp_sockets\{/ { s += $2 } END { print s }')

printf 'sockets %s (established %s), median of %s runs\n' "$all" "$est" "$RUNS"
printf '%-28s %10s\n' what ms
[ -z "${NE_BASE:-}" ] || printf '%-28s %10.2f   (rss %s MB)\n' "scrape, NE_BASE" \
	"$(awk '{ print $1 * 1000 }' "$TMP/base.ms" | median)" \
	"$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$BASE_PID/status")"
printf '%-28s %10.2f\n' "scrape, tcp-info off" "$off" "scrape, tcp-info on" "$on" \
	"ss -tin" "$sstin" "ss -tn" "$sstn"
for v in off whole split; do
	printf '%-28s %10.2f\n' "bare dump, $v" "$(sed -n "s/^${v}_ms=\([0-9.]*\).*/\1/p" <<<"$dump")"
done
printf 'on/off %.2f   ss -tin/on %.2f   rss off %s MB, on %s MB\n' \
	"$(awk -v a="$on" -v b="$off" 'BEGIN { print a / b }')" \
	"$(awk -v a="$sstin" -v b="$on" 'BEGIN { print a / b }')" "$rss_off" "$rss_on"
echo "$dump" >&2
