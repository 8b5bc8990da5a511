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
#
# With REFRESH_BEFORE=PATH (another build's netstat_exporter, e.g. main's):
# the cost of one refresh of the /connections page at limits 100 and 5000,
# that build ("before") against this one ("after"), side by side on the same
# population: bytes on the wire (headers and body) and server time of the
# requests one refresh makes (before: the rows; after: the rows and the
# summary's three grouped queries, gzip, first and unchanged: 304), and the
# page's main-thread time per refresh in headless Chromium (DevTools
# Performance metrics over 3 refreshes, tests/helpers/cdp.js). With
# REFRESH_ONLY=1 it stops there.
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

if [ -n "${REFRESH_BEFORE:-}" ]; then
	"$REFRESH_BEFORE" --web.listen-address=127.0.0.1:19203 --web.enable-connections >"$TMP/before.log" 2>&1 &
	PIDS+=("$!")
	"$NE" --web.listen-address=127.0.0.1:19204 --web.enable-connections >"$TMP/after.log" 2>&1 &
	PIDS+=("$!")
	for port in 19203 19204; do
		for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
	done
	# bytes (headers + body) and seconds of the requests of one refresh
	fetch() { # URL [ETAG] -> "bytes seconds etag"
		local h=() out
		[ -n "${2:-}" ] && h=(-H "If-None-Match: $2")
		out=$(curl -s -D "$TMP/h" -o /dev/null -H 'Accept-Encoding: gzip' "${h[@]}" \
			-w '%{size_header} %{size_download} %{time_total}' "$1")
		echo "$out $(grep -i '^etag:' "$TMP/h" | tr -d '\r' | cut -d' ' -f2)"
	}
	total=$(curl -s "http://127.0.0.1:19204/api/v1/connections?limit=1" | jq '.total')
	printf 'refresh cost at %s sockets (sum over the requests of one refresh; medians of %s)\n' "$total" "$RUNS"
	printf '%-8s %-6s %-22s %12s %10s %14s\n' build limit refresh bytes server_ms main_thread_ms
	for limit in 100 5000; do
		for side in before after; do
			if [ "$side" = before ]; then
				urls=("http://127.0.0.1:19203/api/v1/connections?limit=$limit")
			else
				b="http://127.0.0.1:19204/api/v1/connections?"
				urls=("${b}limit=$limit&sort=problems" "${b}group=state&limit=20" "${b}group=program&limit=3")
			fi
			for kind in first unchanged; do
				[ "$side" = before ] && [ "$kind" = unchanged ] && continue
				by=() ms=()
				for _ in $(seq "$RUNS"); do
					tb=0 tt=0
					for u in "${urls[@]}"; do
						tag=""
						[ "$kind" = unchanged ] && tag=$(fetch "$u" | awk '{ print $4 }')
						read -r hb bb sec _ < <(fetch "$u" "$tag")
						tb=$((tb + hb + bb))
						tt=$(awk -v a="$tt" -v b="$sec" 'BEGIN { print a + b }')
					done
					by+=("$tb") ms+=("$(awk -v t="$tt" 'BEGIN { print t * 1000 }')")
				done
				mb=$(printf '%s\n' "${by[@]}" | median)
				mm=$(printf '%s\n' "${ms[@]}" | median)
				mt=""
				if [ "$kind" = first ]; then
					port=$([ "$side" = before ] && echo 19203 || echo 19204)
					coproc CDP { node "$SRC/tests/helpers/cdp.js" "$TMP/prof-$side-$limit" 1400 900 "http://127.0.0.1:$port/connections?limit=$limit" 2>/dev/null; }
					cdp() { echo "$*" >&"${CDP[1]}"; IFS= read -r -t 120 REPLY <&"${CDP[0]}"; }
					cdp wait 60000 "document.body.dataset.loaded === 'true'"
					sleep 1
					cdp metrics; m0=$(jq .task <<<"$REPLY")
					sleep 15.5 # three refreshes
					cdp metrics; m1=$(jq .task <<<"$REPLY")
					echo quit >&"${CDP[1]}"
					wait "$CDP_PID" 2>/dev/null || true
					mt=$(awk -v a="$m0" -v b="$m1" 'BEGIN { printf "%.0f", (b - a) * 1000 / 3 }')
				fi
				printf '%-8s %-6s %-22s %12s %10.1f %14s\n' "$side" "$limit" "$kind" "$mb" "$mm" "$mt"
			done
		done
	done
	[ "${REFRESH_ONLY:-}" = 1 ] && exit 0
fi

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
