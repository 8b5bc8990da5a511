# Benchmark of /api/v1/connections and of GeoIP lookups against a plain
# scrape, in one run, at SIZE TCP sockets in a private network namespace.
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-rel --target netstat_exporter sockpop bench
#   flock /tmp/netstat-bench.lock bash bench/connections_bench.sh build-rel [SIZE] [RUNS] [GEOIP_DB]
# The population: SIZE/2 established pairs from public documentation
# addresses (198.51.100.x, 203.0.113.x, on the namespace's loopback) to
# 192.0.2.1, so every socket's peer is looked up when GeoIP is on. Two
# exporters run side by side, both with --web.enable-connections: A without
# GeoIP, B with GEOIP_DB (default: the suite's test database built by
# tests/helpers/make_mmdb.pl; pass a real one, e.g. the CC0 ip-location-db
# country mmdb, to measure its lookups). Prints medians over RUNS (default
# 11) of curl's time_total for: A's scrape, A's API with a filter and
# limit=100, A's API unfiltered with limit=100, A's grouped view by remote
# address; B's scrape; the ratios the issue bounds (API/scrape <= 1.3,
# GeoIP scrape/plain scrape <= 1.10), and A's peak RSS (VmHWM, < 24 MB).
# A third exporter C has --collector.sockets.tcp-info (its API rows carry
# RTT and retransmissions): its scrape and the same two API queries, against
# A's plain scrape, and its peak RSS.
# Then bench/geoip_lookup's per-lookup cost, cached and not.
set -euo pipefail

BUILD=$(cd "${1:?usage: connections_bench.sh BUILD_DIR [SIZE] [RUNS] [GEOIP_DB]}" && pwd)
SIZE=${2:-150000}
RUNS=${3:-11}
GEODB=${4:-}
BENCH_ARGS=("$@")
SRC=$(cd "$(dirname "$0")/.." && pwd)
source "$(dirname "$0")/lib.sh"

NE="$BUILD/netstat_exporter"
POP="$BUILD/tests/sockpop"
LOOKUP="$BUILD/bench/geoip_lookup"
for f in "$NE" "$POP" "$LOOKUP"; do [ -x "$f" ] || { echo "missing $f" >&2; exit 1; }; done
if [ -z "$GEODB" ]; then
	GEODB="$TMP/test.mmdb"
	perl "$SRC/tests/helpers/make_mmdb.pl" maxmind "$GEODB"
fi

# SIZE/2 pairs in workers of at most 9000, each from its own public address.
ip addr add 192.0.2.1/32 dev lo
pairs=$((SIZE / 2)) w=0
while [ "$pairs" -gt 0 ]; do
	n=$((pairs > 9000 ? 9000 : pairs))
	if [ $((w % 2)) = 0 ]; then src="198.51.100.$((10 + w))"; else src="203.0.113.$((10 + w))"; fi
	ip addr add "$src/32" dev lo
	: >"$TMP/pop.$w"
	"$POP" "L,192.0.2.1,$((20000 + w)),4096" "E,$n,$src,192.0.2.1,$((20000 + w))" >"$TMP/pop.$w" 2>&1 &
	PIDS+=("$!")
	for _ in $(seq 600); do grep -q ready "$TMP/pop.$w" && break; sleep 0.1; done
	grep -q ready "$TMP/pop.$w" || { cat "$TMP/pop.$w" >&2; exit 1; }
	pairs=$((pairs - n))
	w=$((w + 1))
done

"$NE" --web.listen-address=127.0.0.1:19200 --web.enable-connections >"$TMP/a.log" 2>&1 &
A_PID=$!
PIDS+=("$A_PID")
"$NE" --web.listen-address=127.0.0.1:19201 --web.enable-connections --geoip.database="$GEODB" >"$TMP/b.log" 2>&1 &
PIDS+=("$!")
"$NE" --web.listen-address=127.0.0.1:19202 --web.enable-connections --collector.sockets.tcp-info >"$TMP/c.log" 2>&1 &
C_PID=$!
PIDS+=("$C_PID")
for port in 19200 19201 19202; do
	for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
done

# Interleaved: A's scrape and each API query alternate, so load from other
# work on the machine hits both alike.
A=http://127.0.0.1:19200 B=http://127.0.0.1:19201 C=http://127.0.0.1:19202
FILTER='state=established&port=20001&limit=100'
declare -A R
for i in $(seq "$RUNS"); do
	for q in scrape api_filter api_all group scrape_geo scrape_ti api_filter_ti api_all_ti; do
		case $q in
		scrape) u="$A/metrics" ;;
		api_filter) u="$A/api/v1/connections?$FILTER" ;;
		api_all) u="$A/api/v1/connections?limit=100" ;;
		group) u="$A/api/v1/connections?group=remote&limit=100" ;;
		scrape_geo) u="$B/metrics" ;;
		scrape_ti) u="$C/metrics" ;;
		api_filter_ti) u="$C/api/v1/connections?$FILTER" ;;
		api_all_ti) u="$C/api/v1/connections?limit=100" ;;
		esac
		R[$q]+="$(curl -s -o /dev/null -w '%{time_total}' "$u") "
	done
done
med() { tr ' ' '\n' <<<"${R[$1]}" | awk 'NF { print $1 * 1000 }' | median; }
rss=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$A_PID/status")
rss_ti=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$C_PID/status")
total=$(curl -s "$A/api/v1/connections?limit=1" | jq '.total')
matched=$(curl -s "$A/api/v1/connections?$FILTER" | jq '.total')
sc=$(med scrape) af=$(med api_filter) aa=$(med api_all) gr=$(med group) sg=$(med scrape_geo)
st=$(med scrape_ti) aft=$(med api_filter_ti) aat=$(med api_all_ti)
printf 'sockets=%s (filter %s matches %s) runs=%s\n' "$total" "$FILTER" "$matched" "$RUNS"
printf '%-34s %9s %7s\n' measurement ms ratio
printf '%-34s %9.2f %7s\n' "scrape (no GeoIP)" "$sc" 1.00
printf '%-34s %9.2f %7.2f\n' "api, filter + limit=100" "$af" "$(awk -v a="$af" -v b="$sc" 'BEGIN { print a / b }')"
printf '%-34s %9.2f %7.2f\n' "api, limit=100" "$aa" "$(awk -v a="$aa" -v b="$sc" 'BEGIN { print a / b }')"
printf '%-34s %9.2f %7.2f\n' "api, group=remote" "$gr" "$(awk -v a="$gr" -v b="$sc" 'BEGIN { print a / b }')"
printf '%-34s %9.2f %7.2f\n' "scrape with GeoIP" "$sg" "$(awk -v a="$sg" -v b="$sc" 'BEGIN { print a / b }')"
printf '%-34s %9.2f %7.2f\n' "tcp-info: scrape" "$st" "$(awk -v a="$st" -v b="$sc" 'BEGIN { print a / b }')"
printf '%-34s %9.2f %7.2f\n' "tcp-info: api, filter + limit=100" "$aft" "$(awk -v a="$aft" -v b="$sc" 'BEGIN { print a / b }')"
printf '%-34s %9.2f %7.2f\n' "tcp-info: api, limit=100" "$aat" "$(awk -v a="$aat" -v b="$sc" 'BEGIN { print a / b }')"
printf 'peak RSS of the exporter serving the API: %s MB; with tcp-info: %s MB\n' "$rss" "$rss_ti"
curl -s "$B/metrics" | grep '^netstat_tcp_peer_country_sockets' >&2
"$LOOKUP" "$GEODB" "$SIZE"
