# What refused TLS clients cost a good one, in one run (moved here from the
# tls integration test: a test asserts behaviour, timings belong here).
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-rel --target netstat_exporter
#   flock /tmp/netstat-bench.lock bash bench/tls_bench.sh build-rel [SCRAPES]
# The exporter serves TLS with a client certificate and basic auth
# (certificates from tests/lib/certs.sh). A good client scrapes SCRAPES
# times (default 20) at 5 a second over one kept-alive connection, as
# Prometheus does, then SCRAPES times more over another while every kind of
# refused client comes back, one after the other: a wrong password for a
# user whose bcrypt costs half a second (cost 13), no client certificate, an
# untrusted and an expired one, plain HTTP to the TLS port, TLS 1.0/1.1.
# Prints the good client's median scrape time alone and among the refused
# clients, their ratio, and the worst scrape among them. (The integration
# test checks that every good scrape is answered; a scrape that waited
# behind a bcrypt or a handshake would show here as a worst time near half a
# second.)
set -euo pipefail

BUILD=$(cd "${1:?usage: tls_bench.sh BUILD_DIR [SCRAPES]}" && pwd)
HALF=${2:-20} # scrapes per half
BENCH_ARGS=("$@")
SRC=$(cd "$(dirname "$0")/.." && pwd)
source "$(dirname "$0")/lib.sh"
source "$SRC/tests/lib/certs.sh"

NE="$BUILD/netstat_exporter"
[ -x "$NE" ] || { echo "missing $NE" >&2; exit 1; }
for tool in certtool gnutls-cli curl; do
	command -v "$tool" >/dev/null || { echo "$tool not installed" >&2; exit 1; }
done
PORT=19300
HZ_PORT=19301
C="$TMP/certs"
make_certs "$C"

# The slow user's bcrypt costs half a second (cost 13).
web_config_mtls "$C" 'slow: $2y$13$mdsVh3aRvVjmDCrA8tEGG.A6cGgFgk1sKgbMI0ewC4E4QFgT4587S'
# The sockets collector alone (this namespace's few sockets): the scrape is
# small, so what TLS and the refused clients add shows.
"$NE" --web.listen-address="127.0.0.1:$PORT" --web.config.file="$C/web.yml" \
	--web.healthz-listen-address="127.0.0.1:$HZ_PORT" --collector.disable-defaults --collector.sockets \
	>"$TMP/ne.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 200); do
	curl -sf -o /dev/null "http://127.0.0.1:$HZ_PORT/healthz" && break
	sleep 0.05
done
curl -sf -o /dev/null "http://127.0.0.1:$HZ_PORT/healthz" || { cat "$TMP/ne.log" >&2; exit 1; }

good_scrapes "$C" "$PORT" "$HALF" "$TMP/good.raw"
rounds=$(good_scrapes_among_refused "$C" "$PORT" "$HALF" "$TMP/good.raw" slow)
[ "$(wc -l <"$TMP/good.raw")" = $((2 * HALF)) ] || { echo "good client: $(wc -l <"$TMP/good.raw") scrapes" >&2; exit 1; }
bad=$(awk '$2 != 200' "$TMP/good.raw" | wc -l)
ms() { awk '{ print $1 * 1000 }'; }
alone=$(head -n "$HALF" "$TMP/good.raw" | ms | median)
busy=$(tail -n "$HALF" "$TMP/good.raw" | ms | median)
worst=$(tail -n "$HALF" "$TMP/good.raw" | ms | sort -n | tail -1)
echo "good scrape over TLS (kept-alive connection), $HALF scrapes each:"
echo "  median alone:                 $alone ms"
echo "  median among refused clients: $busy ms ($rounds rounds of refused clients)"
echo "  ratio among/alone:            $(awk -v a="$alone" -v b="$busy" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')"
echo "  worst among refused clients:  $worst ms"
echo "  good scrapes not answered 200: $bad"
