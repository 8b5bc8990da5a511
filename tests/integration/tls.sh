# --web.config.file end to end, with certificates made here (tests/lib/certs.sh):
#   - a real Prometheus scrapes over TLS with a client certificate and basic
#     auth and gets the exporter's series (up == 1);
#   - wrong password, no password, no client certificate, an untrusted or an
#     expired client certificate, TLS 1.0/1.1 and plain HTTP to the TLS port
#     are refused, while a good client scraping at the same time is answered
#     every time;
#   - client_allowed_sans lets only the listed names in (403 otherwise);
#   - the configured headers are sent; /healthz on the plain probe listener
#     answers without credentials and serves nothing else;
#   - a rotated certificate is served from the next connection, without a
#     restart;
#   - the exporter-toolkit's documented example starts unchanged; an unknown
#     key, a bad hash, an unreadable or a broken certificate, a key that does
#     not match, stop the exporter at start with status 2 naming the key.
source "$(dirname "$0")/../lib/common.sh"
source "$SRC/tests/lib/certs.sh"
ne_enter_netns

for tool in certtool gnutls-cli prometheus jq curl; do
	command -v "$tool" >/dev/null || fail "$tool not installed"
done
C="$TMP/certs"
make_certs "$C" || fail "could not make certificates"
HZ_PORT=$((NE_PORT + 1))
URL="https://localhost:$NE_PORT/metrics"
PROM_PORT=19090
PROM_PID=""
trap '[ -z "$PROM_PID" ] || { kill "$PROM_PID"; wait "$PROM_PID"; } 2>/dev/null; ne_cleanup' EXIT

# Password "scraper-secret".
HASH='$2y$10$9OUcBeMgBzRsJALHa7IKj.Dddug..qv5nJujWXeYLi86iD4W3dvhm'
# Cost 13: about half a second of bcrypt per wrong password tried.
SLOW_HASH='$2y$13$mdsVh3aRvVjmDCrA8tEGG.A6cGgFgk1sKgbMI0ewC4E4QFgT4587S'
cat >"$C/web.yml" <<YML
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
basic_auth_users:
  prometheus: $HASH
  slow: $SLOW_HASH
http_server_config:
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
YML

# Starts the exporter with web config $1 (and more flags); waits for the
# plain /healthz listener.
start_tls() {
	local web=$1
	shift
	"$NE_BIN" --web.listen-address="127.0.0.1:$NE_PORT" --web.config.file="$web" \
		--web.healthz-listen-address="127.0.0.1:$HZ_PORT" "$@" >"$TMP/ne.log" 2>&1 &
	NE_PID=$!
	for _ in $(seq 100); do
		curl -sf -o /dev/null "http://127.0.0.1:$HZ_PORT/healthz" && return 0
		kill -0 "$NE_PID" 2>/dev/null || fail "exporter exited at start"
		sleep 0.05
	done
	fail "exporter did not answer /healthz on the probe listener"
}

# curl against the TLS port with the test CA; prints the HTTP status (000
# when the connection or handshake failed).
tcurl() {
	curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' --cacert "$C/ca.crt" \
		--resolve "localhost:$NE_PORT:127.0.0.1" "$@" || true
}
good() { tcurl --cert "$C/client.crt" --key "$C/client.key" -u prometheus:scraper-secret "$@"; }

start_tls "$C/web.yml"
[ "$(good "$URL")" = 200 ] || fail "good client: $(cat "$TMP/body")"
grep -q '^netstat_exporter_build_info' "$TMP/body" || fail "good client: no metrics"
grep -qi '^X-Frame-Options: deny' "$TMP/headers" || fail "no X-Frame-Options header"
grep -qi '^X-Content-Type-Options: nosniff' "$TMP/headers" || fail "no X-Content-Type-Options header"
[ "$(curl -s "http://127.0.0.1:$HZ_PORT/healthz")" = OK ] || fail "probe listener: /healthz"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HZ_PORT/metrics")" = 404 ] ||
	fail "probe listener serves /metrics"

# The refusals, each checked once on its own.
code=$(tcurl --cert "$C/client.crt" --key "$C/client.key" -u prometheus:wrong "$URL")
[ "$code" = 401 ] || fail "wrong password: $code"
grep -qi '^WWW-Authenticate: Basic' "$TMP/headers" || fail "401 without WWW-Authenticate"
code=$(tcurl --cert "$C/client.crt" --key "$C/client.key" -u nobody:scraper-secret "$URL")
[ "$code" = 401 ] || fail "unknown user: $code"
code=$(tcurl --cert "$C/client.crt" --key "$C/client.key" "$URL")
[ "$code" = 401 ] || fail "no password: $code"
for who in "" untrusted expired; do
	if [ -z "$who" ]; then
		code=$(tcurl -u prometheus:scraper-secret "$URL")
	else
		code=$(tcurl --cert "$C/$who.crt" --key "$C/$who.key" -u prometheus:scraper-secret "$URL")
	fi
	[ "$code" = 000 ] || fail "client certificate '${who:-none}': got HTTP $code, want a failed handshake"
done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NE_PORT/metrics" || true)
[ "$code" = 000 ] || fail "plain HTTP to the TLS port: $code"
gnutls_old() {
	gnutls-cli --port "$NE_PORT" --x509cafile "$C/ca.crt" --x509certfile "$C/client.crt" \
		--x509keyfile "$C/client.key" --priority "NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1" \
		localhost </dev/null >"$TMP/gnutls.log" 2>&1
}
! gnutls_old || fail "TLS 1.0/1.1 handshake accepted"
gnutls-cli --port "$NE_PORT" --x509cafile "$C/ca.crt" --x509certfile "$C/client.crt" \
	--x509keyfile "$C/client.key" --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2" localhost \
	</dev/null >"$TMP/gnutls.log" 2>&1 || fail "the same client with TLS 1.2 is refused: $(tail -3 "$TMP/gnutls.log")"

# Refused clients do not get in a good client's way: 20 scrapes at 5 a second
# over one kept-alive connection (as Prometheus scrapes) while every kind of
# refused client comes back, one after the other, the wrong password for a
# user whose bcrypt costs half a second among them: every scrape answered.
# (What they cost it in time is measured by bench/tls_bench.sh.)
rounds=$(good_scrapes_among_refused "$C" "$NE_PORT" 20 "$TMP/good.raw" slow)
[ "$rounds" -ge 1 ] || fail "no refused client ran while the good client scraped"
[ "$(wc -l <"$TMP/good.raw")" = 20 ] || fail "good client: $(wc -l <"$TMP/good.raw") of 20 scrapes"
awk '$2 != 200 { bad = 1 } END { exit bad }' "$TMP/good.raw" || fail "a good scrape failed among the refused clients: $(tr '\n' ' ' <"$TMP/good.raw")"

# A real Prometheus, with a client certificate and basic auth.
cat >"$TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: netstat
    scheme: https
    tls_config:
      ca_file: $C/ca.crt
      cert_file: $C/client.crt
      key_file: $C/client.key
      server_name: localhost
    basic_auth:
      username: prometheus
      password: scraper-secret
    static_configs:
      - targets: ["127.0.0.1:$NE_PORT"]
YML
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data" \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$TMP/prom.log" 2>&1 &
PROM_PID=$!
up=""
for _ in $(seq 100); do
	up=$(curl -s -G "http://127.0.0.1:$PROM_PORT/api/v1/query" \
		--data-urlencode 'query=up{job="netstat"} == 1 and on() netstat_exporter_build_info' 2>/dev/null |
		jq -r '.data.result | length' 2>/dev/null) || true
	[ "$up" = 1 ] && break
	sleep 0.2
done
[ "$up" = 1 ] || { tail -n 5 "$TMP/prom.log" >&2; fail "Prometheus did not scrape the exporter over TLS: $(curl -s "http://127.0.0.1:$PROM_PORT/api/v1/targets" | jq -c '.data.activeTargets[0] | {health, lastError}')"; }
kill "$PROM_PID"
wait "$PROM_PID" 2>/dev/null || true
PROM_PID=""

# Rotation: a new certificate and key moved into place are served from the
# next connection on.
serial() {
	gnutls-cli --port "$NE_PORT" --x509cafile "$C/ca.crt" --x509certfile "$C/client.crt" \
		--x509keyfile "$C/client.key" --print-cert localhost </dev/null 2>/dev/null |
		certtool -i 2>/dev/null | awk '/Serial Number/ { print $NF; exit }'
}
before=$(serial)
[ -n "$before" ] || fail "no serial of the first certificate"
_cert "$C" server2 ca 'cn = "localhost"' 'dns_name = "localhost"' 'ip_address = "127.0.0.1"' \
	tls_www_server signing_key 'expiration_days = 2' || fail "could not make the second certificate"
mv "$C/server2.key" "$C/server.key"
mv "$C/server2.crt" "$C/server.crt"
# The files are looked at once a second: wait for a new serial.
rotated() { after=$(serial) && [ -n "$after" ] && [ "$after" != "$before" ]; }
wait_until 10 rotated
[ "$(good "$URL")" = 200 ] || fail "good client after rotation"
grep -q 'web config .* reloaded' "$TMP/ne.log" || fail "no log line for the reload"
ne_stop

# The toolkit's documented example, unchanged (its paths are relative to it).
cp "$SRC/tests/fixtures/web-config/toolkit-example.yml" "$C/"
start_tls "$C/toolkit-example.yml"
code=$(tcurl -u alice:scraper-secret "$URL")
[ "$code" = 200 ] || fail "toolkit example: $code"
ne_stop

# The other client_auth_types, as Go's tls.ClientAuthType: which clients get
# through the handshake (200) and which do not (000).
auth_matrix() { # type expected-for: none client untrusted expired
	printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: %s\n' "$1" >"$C/auth.yml"
	[ "$1" != VerifyClientCertIfGiven ] || echo "  client_ca_file: ca.crt" >>"$C/auth.yml"
	start_tls "$C/auth.yml"
	got="$(tcurl "https://localhost:$NE_PORT/healthz")"
	for who in client untrusted expired; do
		got="$got $(tcurl --cert "$C/$who.crt" --key "$C/$who.key" "https://localhost:$NE_PORT/healthz")"
	done
	ne_stop
	[ "$got" = "$2" ] || fail "client_auth_type $1: none/client/untrusted/expired got '$got', want '$2'"
}
auth_matrix VerifyClientCertIfGiven "200 200 000 000"
auth_matrix RequireAnyClientCert "000 200 200 200"
auth_matrix RequestClientCert "200 200 200 200"
auth_matrix NoClientCert "200 200 200 200"

# client_allowed_sans: a trusted certificate without a listed name is refused.
cat >"$C/sans.yml" <<'YML'
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  client_allowed_sans: ["prometheus.example", "192.0.2.1"]
YML
start_tls "$C/sans.yml"
code=$(tcurl --cert "$C/client.crt" --key "$C/client.key" "$URL")
[ "$code" = 200 ] || fail "client_allowed_sans: the listed name got $code"
code=$(tcurl --cert "$C/other.crt" --key "$C/other.key" "$URL")
[ "$code" = 403 ] || fail "client_allowed_sans: an unlisted name got $code, want 403"
ne_stop

# The DaemonSet probes the /healthz-only listener, not the metrics port.
DS="$SRC/deploy/kubernetes/daemonset.yaml"
hz=$(sed -n 's/^ *- --web.healthz-listen-address=:\([0-9]*\)$/\1/p' "$DS")
[ -n "$hz" ] || fail "the DaemonSet does not start a /healthz-only listener"
grep -A2 -- '- name: healthz' "$DS" | grep -q "containerPort: $hz" || fail "no healthz port $hz in the DaemonSet"
[ "$(grep -A3 -E '(readiness|liveness)Probe:' "$DS" | grep -c 'port: healthz')" = 2 ] ||
	fail "the DaemonSet's probes do not both use the healthz port"

# Mistakes found at start: exit status 2, the key named.
refused() { # yaml-file expected-message-part
	local rc=0
	"$NE_BIN" --web.listen-address="127.0.0.1:$NE_PORT" --web.config.file="$1" 2>"$TMP/err" || rc=$?
	[ "$rc" = 2 ] || fail "$(basename "$1"): exit status $rc, want 2"
	grep -qF -- "$2" "$TMP/err" || fail "$(basename "$1"): message '$(cat "$TMP/err")' lacks '$2'"
}
refused "$SRC/tests/fixtures/web-config/bad-unknown-key.yml" "tls_server_config.cert_filse: unknown key"
refused "$SRC/tests/fixtures/web-config/bad-hash.yml" "basic_auth_users.alice: not a bcrypt hash"
printf 'tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n' >"$C/missing.yml"
refused "$C/missing.yml" "tls_server_config.cert_file: cannot read"
printf 'tls_server_config:\n  cert_file: garbage.crt\n  key_file: server.key\n' >"$C/garbage.yml"
echo "not a certificate" >"$C/garbage.crt"
refused "$C/garbage.yml" "tls_server_config.cert_file:"
printf 'tls_server_config:\n  cert_file: client.crt\n  key_file: server.key\n' >"$C/mismatch.yml"
refused "$C/mismatch.yml" "tls_server_config.cert_file:"
echo "tls: Prometheus scrapes over TLS with a client certificate and basic auth; every refusal holds"
