# What refused TLS clients cost a good one, in one run (moved here from the
# tls integration test: a test asserts behaviour, timings belong here).
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-rel --target netstat_exporter
#   flock /tmp/netstat-bench.lock bash bench/tls_bench.sh build-rel [SCRAPES]
# The exporter serves TLS with a client certificate and basic auth
# (certificates from tests/lib/certs.sh). A good client scrapes 2*SCRAPES
# times (default 20) at 5 a second over one kept-alive connection, as
# Prometheus does; during the second half every kind of refused client
# comes back, one after the other: a wrong password for a user whose bcrypt
# costs half a second (cost 13), no client certificate, an untrusted and an
# expired one, plain HTTP to the TLS port, TLS 1.0/1.1. Prints the good
# client's median scrape time alone and among the refused clients, their
# ratio, and the worst scrape among them. (The integration test checks that
# every good scrape is answered; a scrape that waited behind a bcrypt or a
# handshake would show here as a worst time near half a second.)
set -euo pipefail

BUILD=$(cd "${1:?usage: tls_bench.sh BUILD_DIR [SCRAPES]}" && pwd)
HALF=${2:-20}
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
URL="https://localhost:$PORT/metrics"
C="$TMP/certs"
make_certs "$C"

# Password "scraper-secret" at cost 10; the slow user's at cost 13.
cat >"$C/web.yml" <<'YML'
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
basic_auth_users:
  prometheus: $2y$10$9OUcBeMgBzRsJALHa7IKj.Dddug..qv5nJujWXeYLi86iD4W3dvhm
  slow: $2y$13$mdsVh3aRvVjmDCrA8tEGG.A6cGgFgk1sKgbMI0ewC4E4QFgT4587S
YML
"$NE" --web.listen-address="127.0.0.1:$PORT" --web.config.file="$C/web.yml" \
	--web.healthz-listen-address="127.0.0.1:$HZ_PORT" >"$TMP/ne.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 200); do
	curl -sf -o /dev/null "http://127.0.0.1:$HZ_PORT/healthz" && break
	sleep 0.05
done
curl -sf -o /dev/null "http://127.0.0.1:$HZ_PORT/healthz" || { cat "$TMP/ne.log" >&2; exit 1; }

tcurl() {
	curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.crt" \
		--resolve "localhost:$PORT:127.0.0.1" "$@" || true
}
gnutls_old() {
	gnutls-cli --port "$PORT" --x509cafile "$C/ca.crt" --x509certfile "$C/client.crt" \
		--x509keyfile "$C/client.key" --priority "NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1" \
		localhost </dev/null >/dev/null 2>&1
}

args=()
for _ in $(seq $((2 * HALF))); do args+=(-o /dev/null "$URL"); done
curl -s --rate 5/s -w '%{time_total} %{http_code}\n' --cacert "$C/ca.crt" \
	--resolve "localhost:$PORT:127.0.0.1" --cert "$C/client.crt" --key "$C/client.key" \
	-u prometheus:scraper-secret "${args[@]}" >"$TMP/good.raw" &
GOOD=$!
PIDS+=("$GOOD")
# The first half alone: wait until it is done (the curl line per scrape).
while [ "$(wc -l <"$TMP/good.raw")" -lt "$HALF" ] && kill -0 "$GOOD" 2>/dev/null; do sleep 0.05; done
rounds=0
while kill -0 "$GOOD" 2>/dev/null; do
	tcurl --cert "$C/client.crt" --key "$C/client.key" -u slow:wrong "$URL" >/dev/null
	tcurl -u prometheus:scraper-secret "$URL" >/dev/null
	tcurl --cert "$C/untrusted.crt" --key "$C/untrusted.key" "$URL" >/dev/null
	tcurl --cert "$C/expired.crt" --key "$C/expired.key" "$URL" >/dev/null
	curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics" || true
	gnutls_old || true
	rounds=$((rounds + 1))
done
wait "$GOOD" || true
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
