# Abuse in a private network namespace: for 20 s, 1500 idle connections, 200
# slowloris connections (headers a byte a second), 50 clients sending garbage
# TLS handshakes and 50 sending garbage instead of HTTP, from 8 source
# addresses (tests/helpers/abuser), against the TLS port with client
# certificates and basic auth; meanwhile a good client scrapes every second
# over a new TLS connection and a probe asks /healthz on the probe listener.
# Every good scrape and every probe must succeed, and once the abuse stops
# the exporter's open fds return to their baseline and its RSS to within a
# few MB of it.
source "$(dirname "$0")/../lib/common.sh"
source "$SRC/tests/lib/certs.sh"
ne_enter_netns

ABUSER="$BUILD/tests/abuser"
[ -x "$ABUSER" ] || fail "$ABUSER not built (tests/helpers/abuser.c)"
C="$TMP/certs"
make_certs "$C" || fail "could not make certificates"
HZ="http://127.0.0.1:$((NE_PORT + 1))/healthz"
URL="https://localhost:$NE_PORT/metrics"
cat >"$C/web.yml" <<'YML'
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
basic_auth_users:
  prometheus: $2y$10$9OUcBeMgBzRsJALHa7IKj.Dddug..qv5nJujWXeYLi86iD4W3dvhm
YML
# Under AddressSanitizer, freed memory waits in a 256 MB quarantine and is
# not given back to the kernel: make both small so RSS means what it means.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4:allocator_release_to_os_interval_ms=100" \
"$NE_BIN" --web.listen-address="127.0.0.1:$NE_PORT" --web.config.file="$C/web.yml" \
	--web.healthz-listen-address="127.0.0.1:$((NE_PORT + 1))" >"$TMP/ne.log" 2>&1 &
NE_PID=$!
wait_until 10 curl -sf -o /dev/null "$HZ"

good() {
	curl -s -m 5 -o /dev/null -w '%{http_code} %{time_total}\n' --cacert "$C/ca.crt" \
		--resolve "localhost:$NE_PORT:127.0.0.1" --cert "$C/client.crt" --key "$C/client.key" \
		-u prometheus:scraper-secret "$URL" || true
}
fds() { ls "/proc/$NE_PID/fd" | wc -l; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$NE_PID/status"; }

for _ in 1 2 3 4 5; do good >/dev/null; done
base_fds=$(fds)
base_rss=$(rss_kb)

"$ABUSER" 20 "$NE_PORT" 8 idle:1500 slow:200 tls:50 junk:50 >"$TMP/abuser.log" 2>&1 &
ABUSE=$!
wait_ready "$TMP/abuser.log" # every abusive connection has reached the exporter
peak_fds=0
for i in $(seq 18); do
	good >>"$TMP/good.log"
	curl -s -m 5 -o /dev/null -w '%{http_code}\n' "$HZ" >>"$TMP/probe.log" || echo 000 >>"$TMP/probe.log"
	f=$(fds)
	[ "$f" -gt "$peak_fds" ] && peak_fds=$f
	sleep 0.7
done
wait "$ABUSE" || fail "abuser failed: $(cat "$TMP/abuser.log")"
cat "$TMP/abuser.log"
bad=$(awk '$1 != 200' "$TMP/good.log" | wc -l)
[ "$bad" = 0 ] || fail "$bad of $(wc -l <"$TMP/good.log") good scrapes failed during the abuse: $(tr '\n' ' ' <"$TMP/good.log")"
bad=$(grep -vc '^200$' "$TMP/probe.log" || true)
[ "$bad" = 0 ] || fail "$bad probes of /healthz failed during the abuse"
slowest=$(sort -k2 -n "$TMP/good.log" | tail -1 | awk '{ print $2 }')
grep -q 'slow: .* [1-9][0-9]* ended' "$TMP/abuser.log" || fail "no slowloris connection was ended by the exporter"

# Back to the baseline once the abusers are gone (the header deadline is 5 s).
for _ in $(seq 40); do
	[ "$(fds)" -le "$base_fds" ] && break
	sleep 0.25
done
for _ in 1 2 3; do good >/dev/null; done
end_fds=$(fds)
end_rss=$(rss_kb)
echo "abuse: good scrapes failed: 0 of $(wc -l <"$TMP/good.log"), slowest ${slowest}s;" \
	"fds ${base_fds} -> peak ${peak_fds} -> ${end_fds}; RSS ${base_rss} -> ${end_rss} kB"
[ "$end_fds" -le "$base_fds" ] || fail "open fds did not return to the baseline: $base_fds -> $end_fds"
[ "$end_rss" -le $((base_rss + 16384)) ] || fail "RSS did not return near the baseline: $base_rss -> $end_rss kB"
ne_stop
