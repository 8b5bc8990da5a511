#!/usr/bin/env bash
# Scrape cost of `netstat -s` style metrics: this exporter with only its
# netstat and sockstat collectors against node_exporter (Debian package
# prometheus-node-exporter) with only its netstat and sockstat collectors,
# measured in the same run: N sequential scrapes each, wall time per scrape,
# the ratio, series count and body size.
#
#   bash bench/netstat_vs_node_exporter.sh BUILD_DIR [N]
set -euo pipefail
BUILD=$(cd "$1" && pwd)
N=${2:-500}
NODE=${NODE_EXPORTER:-prometheus-node-exporter}
command -v "$NODE" >/dev/null || { echo "needs $NODE (apt-get install prometheus-node-exporter)" >&2; exit 2; }
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

"$BUILD/netstat_exporter" --web.listen-address=127.0.0.1:19730 --collector.disable-defaults \
	--collector.netstat --collector.sockstat >"$TMP/ne.log" 2>&1 &
PIDS+=($!)
"$NODE" --web.listen-address=127.0.0.1:19731 --collector.disable-defaults \
	--collector.netstat --collector.sockstat >"$TMP/node.log" 2>&1 &
PIDS+=($!)
# node_exporter's default netstat field list is a short regex; this one
# exports every field, like ours
"$NODE" --web.listen-address=127.0.0.1:19732 --collector.disable-defaults \
	--collector.netstat --collector.netstat.fields='.*' --collector.sockstat >"$TMP/node2.log" 2>&1 &
PIDS+=($!)
for port in 19730 19731 19732; do
	for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" && break; sleep 0.05; done
done

# Seconds per scrape over N scrapes on one keep-alive connection (one curl).
per_scrape() {
	local url=$1 t0 t1 args=()
	for _ in $(seq "$N"); do args+=("$url"); done
	curl -sf "${args[@]:0:20}" >/dev/null # warm up
	t0=$(date +%s.%N)
	curl -sf "${args[@]}" >/dev/null
	t1=$(date +%s.%N)
	echo "($t1 - $t0) / $N" | bc -l
}
row() { # name port series-regex
	local t body
	t=$(per_scrape "http://127.0.0.1:$2/metrics")
	body=$(curl -sf "http://127.0.0.1:$2/metrics")
	printf '%-34s %10.3f %8d %8d\n' "$1" "$(echo "$t * 1000" | bc -l)" \
		"$(grep -c "$3" <<<"$body" || true)" "${#body}"
	echo "$t" >"$TMP/t.$2"
}
printf '%-34s %10s %8s %8s\n' exporter ms/scrape series bytes
row "netstat_exporter netstat,sockstat" 19730 '^netstat_[a-z]'
row "node_exporter netstat,sockstat" 19731 '^node_netstat\|^node_sockstat'
row "node_exporter all netstat fields" 19732 '^node_netstat\|^node_sockstat'
printf 'ratio node_exporter(all fields)/netstat_exporter: %.2fx; node_exporter(default fields)/netstat_exporter: %.2fx\n' \
	"$(echo "$(cat "$TMP/t.19732") / $(cat "$TMP/t.19730")" | bc -l)" \
	"$(echo "$(cat "$TMP/t.19731") / $(cat "$TMP/t.19730")" | bc -l)"
