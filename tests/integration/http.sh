# End to end over HTTP: formats, content types, promtool, routes, methods,
# hostile requests, limits, bad flags and shutdown.
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

OM_ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'

# Bad flags: one line naming the flag, exit status 2.
for bad in --bogus --web.listen-address=nowhere --web.max-requests=lots --log.level=loud; do
	rc=0
	"$NE_BIN" "$bad" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" = 2 ] || fail "$bad: exit status $rc, want 2"
	[ "$(wc -l <"$TMP/err")" = 1 ] || fail "$bad: error is not one line: $(cat "$TMP/err")"
	grep -q -- "${bad%%=*}" "$TMP/err" || fail "$bad: error does not name the flag: $(cat "$TMP/err")"
done
"$NE_BIN" --version | grep -q '^netstat_exporter, version ' || fail "--version"
# Into a file: grep -q would stop reading early, and a help longer than one
# write would then die of SIGPIPE (a failed pipeline under pipefail).
"$NE_BIN" --help >"$TMP/help" || fail "--help exits non-zero"
grep -q -- '--web.listen-address' "$TMP/help" || fail "--help"

ne_start --web.timeout=2 --web.max-connections-per-ip=8

# Prometheus text format, checked by promtool.
curl -sf -D "$TMP/h" -o "$TMP/text" "$NE_URL/metrics" || fail "text scrape"
grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$TMP/h" || fail "text content type: $(cat "$TMP/h")"
expect_promtool_clean "$TMP/text"
grep -q '^netstat_exporter_build_info{version="' "$TMP/text" || fail "build_info missing"
grep -q '^process_resident_memory_bytes [0-9]' "$TMP/text" || fail "process metrics missing"

# OpenMetrics when Prometheus asks for it.
curl -sf -D "$TMP/h" -o "$TMP/om" -H "Accept: $OM_ACCEPT" "$NE_URL/metrics" || fail "OpenMetrics scrape"
grep -qi '^content-type: application/openmetrics-text; version=1.0.0; charset=utf-8' "$TMP/h" ||
	fail "OpenMetrics content type: $(cat "$TMP/h")"
[ "$(tail -n 1 "$TMP/om")" = "# EOF" ] || fail "OpenMetrics body does not end with # EOF"
grep -q '^# TYPE netstat_exporter_build info$' "$TMP/om" || fail "info type in OpenMetrics"
grep -q '^process_cpu_seconds_total ' "$TMP/om" || fail "counter sample in OpenMetrics"
! grep -q '^$' "$TMP/om" || fail "blank line in OpenMetrics"

# gzip when accepted, plain otherwise.
curl -sf -D "$TMP/h" -o "$TMP/gz" -H 'Accept-Encoding: gzip' "$NE_URL/metrics" || fail "gzip scrape"
grep -qi '^content-encoding: gzip' "$TMP/h" || fail "no Content-Encoding: gzip"
gzip -dc "$TMP/gz" >"$TMP/gunzipped" || fail "body is not gzip"
expect_promtool_clean "$TMP/gunzipped"
curl -sf -D "$TMP/h" -o /dev/null "$NE_URL/metrics"
! grep -qi '^content-encoding' "$TMP/h" || fail "compressed without Accept-Encoding"

# Routes and methods.
code() { curl -s -m 10 -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "$NE_URL/")" = 200 ] || fail "landing page"
curl -sf "$NE_URL/" | grep -q 'href="/metrics"' || fail "landing page links /metrics"
[ "$(code "$NE_URL/healthz")" = 200 ] || fail "/healthz"
[ "$(code "$NE_URL/nope")" = 404 ] || fail "unknown path is not 404"
[ "$(code "$NE_URL/metrics/../etc/passwd")" = 404 ] || fail "path traversal is not 404"
# The path is percent-decoded (only the connections API's query arguments stay raw).
curl -sf -o "$TMP/esc" "$NE_URL/metric%73" || fail "/metric%73 is not /metrics: HTTP $(code "$NE_URL/metric%73")"
grep -q '^netstat_exporter_build_info' "$TMP/esc" || fail "/metric%73 did not answer the metrics"
[ "$(code "$NE_URL/%68ealthz")" = 200 ] || fail "/%68ealthz is not /healthz"
[ "$(code "$NE_URL/metrics%00")" = 404 ] || fail "/metrics%00 is not 404"
[ "$(code "$NE_URL/$(head -c 3000 /dev/zero | tr '\0' a)")" = 404 ] || fail "a 3000-byte path is not 404"
[ "$(code -I "$NE_URL/metrics")" = 200 ] || fail "HEAD /metrics"
for m in POST PUT DELETE PATCH OPTIONS TRACE; do
	curl -s -o /dev/null -D "$TMP/h" -X "$m" -d 'x=1' "$NE_URL/metrics"
	head -n 1 "$TMP/h" | grep -q ' 405 ' || fail "$m is not 405"
	grep -qi '^allow: GET, HEAD' "$TMP/h" || fail "$m: no Allow header"
done

# Hostile requests.
big=$(head -c 65536 /dev/zero | tr '\0' a)
c=$(code -H "X-Big: $big" "$NE_URL/metrics") || true
[ "$c" = 431 ] || [ "$c" = 000 ] || [ "$c" = 413 ] || fail "oversized header answered $c"
# Garbage, binary and truncated requests: whatever libmicrohttpd answers
# (400 or a close), the exporter must survive them.
for req in 'GARBAGE\r\n\r\n' 'GET /metrics HTTP/9.9\r\n\r\n' 'GET /metrics HTTP/1.1\r\nHost' \
	'\x00\xff\xfe\r\n\r\n' 'GET /metrics HTTP/1.1\r\nContent-Length: -5\r\n\r\n'; do
	timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$NE_PORT; printf '$req' >&3; timeout 1 cat <&3 >/dev/null" || true
	curl -sf -o /dev/null "$NE_URL/healthz" || fail "exporter stopped answering after request '$req'"
done

# Many idle connections from one address: beyond the per-IP limit they are
# refused, and a scrape from another address still works meanwhile.
for i in $(seq 40); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$NE_PORT" || true
done
curl -sf --interface 127.0.0.2 -o "$TMP/during" "$NE_URL/metrics" || fail "scrape while idle connections are held"
grep -q '^netstat_exporter_build_info' "$TMP/during" || fail "scrape during idle connections is incomplete"
# --web.timeout=2 closes the idle ones (server side: none established).
idle_closed() { [ -z "$(ss -Htn state established "( sport = :$NE_PORT )")" ]; }
wait_until 10 idle_closed
curl -sf -o "$TMP/after" "$NE_URL/metrics" || fail "scrape after idle connections"
grep -q '^netstat_exporter_build_info' "$TMP/after" || fail "scrape after idle connections is incomplete"

# Concurrent scrapes all succeed, in both formats (fewer than the per-IP
# connection limit of 8, which would refuse the rest by design).
for i in $(seq 6); do
	if [ $((i % 2)) = 0 ]; then a="$OM_ACCEPT"; else a='text/plain'; fi
	curl -sf -H "Accept: $a" -o "$TMP/c$i" "$NE_URL/metrics" &
done
wait_ok=0
for job in $(jobs -p); do
	[ "$job" = "$NE_PID" ] && continue
	wait "$job" || wait_ok=1
done
[ "$wait_ok" = 0 ] || fail "a concurrent scrape failed"
for i in $(seq 2 2 6); do [ "$(tail -n 1 "$TMP/c$i")" = "# EOF" ] || fail "concurrent OpenMetrics scrape $i"; done

# A second exporter on the same port says so clearly.
rc=0
"$NE_BIN" --web.listen-address="127.0.0.1:$NE_PORT" >"$TMP/out2" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "second exporter on a taken port exited 0"
grep -q 'Address already in use' "$TMP/out2" || fail "no clear message for a taken port: $(cat "$TMP/out2")"

# FIFOs planted under --path.procfs (net/snmp, a PID's stat,
# ip_local_port_range) block nothing: the scrape answers at once, netstat
# fails saying why, the others go on. (Scrapes held in flight:
# http_waiting.sh.)
ne_stop
mkdir -p "$TMP/proc/net" "$TMP/proc/42/fd" "$TMP/proc/sys/net/ipv4"
mkfifo "$TMP/proc/net/snmp" "$TMP/proc/42/stat" "$TMP/proc/sys/net/ipv4/ip_local_port_range"
ne_start --path.procfs="$TMP/proc" --collector.disable-defaults --collector.netstat \
	--collector.processes --collector.sockets
c=$(curl -s -m 5 -o "$TMP/fifo" -w '%{http_code}' "$NE_URL/metrics") || true
[ "$c" = 200 ] || fail "scrape over FIFOs answered '$c' (blocked?)"
expect_value "$TMP/fifo" 'netstat_exporter_collector_success{collector="netstat"}' 0
expect_value "$TMP/fifo" 'netstat_exporter_collector_success{collector="processes"}' 1
expect_value "$TMP/fifo" 'netstat_exporter_collector_success{collector="sockets"}' 1
grep -q 'netstat: cannot read net/snmp: not a regular file' "$TMP/ne.log" ||
	fail "no clear message for a FIFO at net/snmp: $(cat "$TMP/ne.log")"
ne_stop
ne_start

# Still alive, then a clean SIGTERM (ne_stop checks the exit status).
curl -sf -o /dev/null "$NE_URL/metrics" || fail "exporter died"
ne_stop
echo "http: all checks passed"
