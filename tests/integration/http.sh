# End to end over HTTP: formats, content types, promtool, routes, methods,
# hostile requests, request smuggling, the web config's headers on every
# response, limits, bad flags and shutdown.
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
# A collector's bad option: found when the collector starts (after the line
# on capabilities); the last line names it, exit status 2, nothing leaked.
for bad in --collector.events.forget-after=5x --collector.events.top-ports=lots \
	--collector.processes.rescan-interval=soon --collector.netns.census-budget=lots; do
	rc=0
	"$NE_BIN" "$bad" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" = 2 ] || fail "$bad: exit status $rc, want 2: $(cat "$TMP/err")"
	tail -n 1 "$TMP/err" | grep -q -- "${bad%%=*}" || fail "$bad: the last line does not name the flag: $(cat "$TMP/err")"
	grep -q Sanitizer "$TMP/err" && fail "$bad: $(cat "$TMP/err")"
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

# Request smuggling (RFC 9112 6.1, 6.3): a request framed both by
# Content-Length and by a chunked Transfer-Encoding gets 400, an unknown
# Transfer-Encoding 501, and either closes the connection at once (EOF long
# before --web.timeout's 10 s), so the request hidden after the body is never
# answered. A plain chunked request is still served, and so is the next one.
# Prints every status line of the answers to raw request $1, then "eof".
raw_statuses() {
	local rc=0
	# In one write (the exporter may close as soon as it has the headers);
	# cat may then end with ECONNRESET: the exporter closed on the unread rest.
	printf "$1" >"$TMP/req"
	timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$NE_PORT; cat '$TMP/req' >&3; cat <&3" >"$TMP/raw" 2>/dev/null || rc=$?
	[ "$rc" != 124 ] || fail "no end of the connection within 5 s after: $1"
	grep -a '^HTTP/' "$TMP/raw" | cut -d' ' -f2 | tr '\n' ' '
	echo eof
}
smuggled='GET /nope HTTP/1.1\r\nHost: x\r\n\r\n'
got=$(raw_statuses "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$smuggled")
[ "$got" = "400 eof" ] || fail "Content-Length with Transfer-Encoding: chunked: answers '$got', want '400 eof'"
got=$(raw_statuses "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n$smuggled")
[ "$got" = "400 eof" ] || fail "Transfer-Encoding before Content-Length: answers '$got', want '400 eof'"
for te in gzip 'gzip, chunked' 'chunked, chunked' identity; do
	got=$(raw_statuses "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: $te\r\n\r\n$smuggled")
	[ "$got" = "501 eof" ] || fail "Transfer-Encoding: $te: answers '$got', want '501 eof'"
done
got=$(raw_statuses "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
[ "$got" = "200 404 eof" ] || fail "a chunked request and the next: answers '$got', want '200 404 eof'"
ne_stop

# The web config's headers are on every response: each route, the
# connections page, its assets and API, and every refusal (401, 404, 405,
# 400, 501). Where the page has its own Content-Security-Policy both are
# sent (browsers enforce each: the stricter wins); its X-Frame-Options DENY
# stays alone.
cat >"$TMP/web.yml" <<'YML'
basic_auth_users:
  alice: $2y$04$oGzqgE6Cd/RppFFxEor4NO5/tpT1Zt3Tw51oW/Sbl63DRPPs6rHy2
http_server_config:
  headers:
    Strict-Transport-Security: max-age=31536000
    Content-Security-Policy: default-src 'self'; img-src 'none'
    X-Frame-Options: sameorigin
    X-XSS-Protection: 1; mode=block
YML
ne_start_hz --web.config.file="$TMP/web.yml" --web.enable-connections
grep -q 'level=warn msg="basic auth on plain HTTP' "$TMP/ne.log" || fail "no warning of basic auth without TLS: $(cat "$TMP/ne.log")"
# $1 status wanted, $2 "page" for the connections page's own headers, then curl's arguments.
expect_headers() {
	local want=$1 page=$2 got n
	shift 2
	got=$(curl -s -m 10 -o /dev/null -D "$TMP/h" -w '%{http_code}' "$@") || true
	[ "$got" = "$want" ] || fail "$*: HTTP $got, want $want"
	grep -qi '^strict-transport-security: max-age=31536000' "$TMP/h" || fail "$*: no HSTS: $(cat "$TMP/h")"
	grep -qi '^x-xss-protection: 1; mode=block' "$TMP/h" || fail "$*: no X-XSS-Protection: $(cat "$TMP/h")"
	grep -qi "^content-security-policy: default-src 'self'; img-src 'none'" "$TMP/h" || fail "$*: no configured CSP: $(cat "$TMP/h")"
	n=$(grep -ci '^content-security-policy:' "$TMP/h")
	if [ "$page" = page ]; then
		[ "$n" = 2 ] || fail "$*: $n Content-Security-Policy headers, want the page's and the configured one"
		grep -qi "^content-security-policy: default-src 'none'" "$TMP/h" || fail "$*: no page CSP: $(cat "$TMP/h")"
		[ "$(grep -ci '^x-frame-options:' "$TMP/h")" = 1 ] && grep -qi '^x-frame-options: DENY' "$TMP/h" ||
			fail "$*: X-Frame-Options is not the page's DENY alone: $(grep -i frame "$TMP/h")"
	else
		[ "$n" = 1 ] || fail "$*: $n Content-Security-Policy headers, want 1"
		grep -qi '^x-frame-options: sameorigin' "$TMP/h" || fail "$*: no X-Frame-Options: $(cat "$TMP/h")"
	fi
}
A=(-u alice:quick)
expect_headers 200 - "${A[@]}" "$NE_URL/metrics"
expect_headers 200 - "${A[@]}" "$NE_URL/"
expect_headers 200 - "${A[@]}" "$NE_URL/healthz"
expect_headers 401 - "$NE_URL/metrics"
expect_headers 401 - -u alice:wrong "$NE_URL/connections"
expect_headers 404 - "${A[@]}" "$NE_URL/nope"
expect_headers 405 - "${A[@]}" -X POST "$NE_URL/metrics"
expect_headers 501 - "${A[@]}" -H 'Transfer-Encoding: gzip' "$NE_URL/metrics"
expect_headers 200 page "${A[@]}" "$NE_URL/connections"
expect_headers 200 page "${A[@]}" "$NE_URL/connections.js"
expect_headers 200 page "${A[@]}" "$NE_URL/connections.css"
expect_headers 200 page "${A[@]}" "$NE_URL/api/v1/connections"
expect_headers 400 page "${A[@]}" "$NE_URL/api/v1/connections?bogus=1"
# The probe listener answers without the web config's users; with its headers.
expect_headers 200 - "http://127.0.0.1:$((NE_PORT + 1))/healthz"
expect_headers 404 - "http://127.0.0.1:$((NE_PORT + 1))/metrics"
ne_stop
ne_start

# Still alive, then a clean SIGTERM (ne_stop checks the exit status).
curl -sf -o /dev/null "$NE_URL/metrics" || fail "exporter died"
ne_stop
echo "http: all checks passed"
