# Soak: SCRAPES (default 100000) scrapes over TLS with a client certificate
# and basic auth (the verification cached, as for a real scraper) against a
# population of PAIRS (default 1500) established loopback pairs, i.e. a few
# thousand sockets, from CLIENTS (default 4) parallel keep-alive curl clients
# of BATCH (default 500) scrapes each. Prints the exporter's RSS and open fds
# after a warm-up, every tenth of the way, and at the end; RSS and fds must
# be flat (the script fails when the end is more than 8 MB or 2 fds above the
# warm-up). Not a test of the suite: it takes minutes.
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-rel --target netstat_exporter sockpop
#   flock /tmp/netstat-bench.lock bash bench/soak.sh build-rel [SCRAPES] [PAIRS]
set -euo pipefail

BUILD=$(cd "${1:?usage: soak.sh BUILD_DIR [SCRAPES] [PAIRS]}" && pwd)
SCRAPES=${2:-100000}
PAIRS=${3:-1500}
CLIENTS=${CLIENTS:-4}
BATCH=${BATCH:-500}
BENCH_ARGS=("$@")
SRC=$(cd "$(dirname "$0")/.." && pwd)
source "$(dirname "$0")/lib.sh"
source "$SRC/tests/lib/certs.sh"

NE="$BUILD/netstat_exporter"
POP="$BUILD/tests/sockpop"
for f in "$NE" "$POP"; do [ -x "$f" ] || { echo "missing $f" >&2; exit 1; }; done
C="$TMP/certs"
make_certs "$C"
web_config_mtls "$C"
bench_grow_pairs "$PAIRS"
PORT=19200
"$NE" --web.listen-address="127.0.0.1:$PORT" --web.config.file="$C/web.yml" \
	--web.healthz-listen-address="127.0.0.1:$((PORT + 1))" --web.max-requests=0 >"$TMP/ne.log" 2>&1 &
NE_PID=$!
PIDS+=("$NE_PID")
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$((PORT + 1))/healthz" && break; sleep 0.1; done

# One client: N scrapes on one kept-alive TLS connection; prints the number of 200s.
client() {
	local args=() i
	for i in $(seq "$1"); do args+=(-o /dev/null "https://localhost:$PORT/metrics"); done
	curl -s -w '%{http_code}\n' --cacert "$C/ca.crt" --resolve "localhost:$PORT:127.0.0.1" \
		--cert "$C/client.crt" --key "$C/client.key" -u prometheus:scraper-secret "${args[@]}" |
		grep -c '^200$' || true
}
sample() { # label done
	printf '%-8s %7d scrapes  RSS %6d kB  fds %3d  sockets %d\n' "$1" "$2" \
		"$(awk '/^VmRSS:/ { print $2 }' "/proc/$NE_PID/status")" \
		"$(ls "/proc/$NE_PID/fd" | wc -l)" \
		"$(ss -Htan | wc -l)"
}

ok=$(client 1000)
[ "$ok" = 1000 ] || { echo "warm-up: $ok of 1000 scrapes answered 200" >&2; exit 1; }
sample warm-up 1000
start_rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$NE_PID/status")
start_fds=$(ls "/proc/$NE_PID/fd" | wc -l)
done_n=0
good=0
t0=$(date +%s.%N)
step=$((SCRAPES / 10))
next=$step
while [ "$done_n" -lt "$SCRAPES" ]; do
	pids=()
	for c in $(seq "$CLIENTS"); do
		client "$BATCH" >"$TMP/c$c" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	for c in $(seq "$CLIENTS"); do good=$((good + $(cat "$TMP/c$c"))); done
	done_n=$((done_n + CLIENTS * BATCH))
	if [ "$done_n" -ge "$next" ]; then
		sample "" "$done_n"
		next=$((next + step))
	fi
done
secs=$(echo "$(date +%s.%N) - $t0" | bc)
sample end "$done_n"
end_rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$NE_PID/status")
end_fds=$(ls "/proc/$NE_PID/fd" | wc -l)
echo "scrapes: $done_n in ${secs}s, $good answered 200; RSS $start_rss -> $end_rss kB; fds $start_fds -> $end_fds"
[ "$good" = "$done_n" ] || { echo "FAIL: $((done_n - good)) scrapes did not answer 200" >&2; exit 1; }
[ "$end_rss" -le $((start_rss + 8192)) ] || { echo "FAIL: RSS grew by $((end_rss - start_rss)) kB" >&2; exit 1; }
[ "$end_fds" -le $((start_fds + 2)) ] || { echo "FAIL: fds grew by $((end_fds - start_fds))" >&2; exit 1; }
