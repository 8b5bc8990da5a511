# Scrapes waiting for a collection hold no HTTP thread: with scrapes stuck on a
# collector, /healthz and / answer at once; --web.max-requests counts the
# waiting scrapes; a scrape still waiting at its deadline is answered with the
# stuck collector failed, and the collector is not started again while it is
# stuck; SIGTERM exits
# within 5 s whatever the collector is doing. tests/helpers/stuck_server runs
# the real HTTP front end (http_start) over a collector that blocks reading a
# FIFO this test holds open.
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

STUCK="$BUILD/tests/stuck_server"
FIFO="$TMP/fifo"
mkfifo "$FIFO"
HOLDER=""

# Starts stuck_server with exporter flags; waits for /healthz.
start_stuck() {
	"$STUCK" "$FIFO" --web.listen-address="127.0.0.1:$NE_PORT" "$@" >"$TMP/ne.log" 2>&1 &
	NE_PID=$!
	wait_until 10 curl -sf -o /dev/null "$NE_URL/healthz"
}

# Holds the next collection: a writer opens the FIFO (its open returns once
# the collector has opened it to read) and keeps it open until release.
hold() {
	rm -f "$TMP/opened"
	( exec 3>"$FIFO"; touch "$TMP/opened"; exec sleep 300 ) &
	HOLDER=$!
}
release() {
	kill "$HOLDER"
	wait "$HOLDER" 2>/dev/null || true
}

# Server-side connections on our port whose request has been read ($1 of them).
requests_read() {
	[ "$(ss -Htn state established "( sport = :$NE_PORT )" | awk '$1 == 0' | wc -l)" = "$1" ]
}

# Fails unless GET $1 answers 200 every time, each within 2 s, the fastest
# of 5 within 100 ms.
expect_fast() {
	local t best=9
	for _ in 1 2 3 4 5; do
		t=$(curl -sf -m 2 -o /dev/null -w '%{time_total}' "$NE_URL$1") ||
			fail "$1 did not answer while scrapes are stuck"
		best=$(awk -v a="$t" -v b="$best" 'BEGIN { print (a < b) ? a : b }')
	done
	awk -v b="$best" 'BEGIN { exit !(b < 0.1) }' || fail "$1 took ${best}s (fastest of 5) while scrapes are stuck"
}

# Whether the exporter has exited (a zombie until we wait for it).
exited() {
	! kill -0 "$NE_PID" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$NE_PID/stat" 2>/dev/null)" = Z ]
}

# 1. Five scrapes stuck on one collection (the limit): /healthz and / answer
#    at once, a sixth scrape gets 503, and releasing the collector answers all
#    five from one collection.
start_stuck --web.max-requests=5 --web.timeout=60 --web.scrape-timeout=60
hold
pids=()
for i in 1 2 3 4 5; do
	curl -s -m 30 -o "$TMP/body$i" -w '%{http_code}' "$NE_URL/metrics" >"$TMP/code$i" &
	pids+=($!)
done
wait_until 10 test -e "$TMP/opened"
wait_until 10 requests_read 5
expect_fast /healthz
expect_fast /
c=$(curl -s -m 5 -o "$TMP/sixth" -w '%{http_code}' "$NE_URL/metrics") || true
[ "$c" = 503 ] || fail "sixth scrape with --web.max-requests=5 answered $c, want 503"
grep -q 'web.max-requests' "$TMP/sixth" || fail "503 body does not name --web.max-requests: $(cat "$TMP/sixth")"
release
for i in 1 2 3 4 5; do
	wait "${pids[$((i - 1))]}" || fail "stuck scrape $i: curl failed"
	[ "$(cat "$TMP/code$i")" = 200 ] || fail "stuck scrape $i answered $(cat "$TMP/code$i")"
	expect_value "$TMP/body$i" test_stuck_collections 1
done
ne_stop

# 2. At the scrape's deadline (--web.scrape-timeout, or Prometheus' header
#    when shorter) the scrape is answered with the stuck collector failed and
#    counted; the next scrape is answered at once without starting it again;
#    the log says so once. Once the collector is let go it runs again.
start_stuck --web.scrape-timeout=10
hold
out=$(curl -s -m 10 -H 'X-Prometheus-Scrape-Timeout-Seconds: 1' -o "$TMP/late" -w '%{http_code} %{time_total}' "$NE_URL/metrics") || true
[ "${out% *}" = 200 ] || fail "scrape past its deadline answered ${out% *}, want 200"
awk -v t="${out#* }" 'BEGIN { exit !(t >= 0.8 && t < 2) }' ||
	fail "answered after ${out#* }s, want about 0.9 s (the header's 1 s less a tenth)"
expect_value "$TMP/late" 'netstat_exporter_collector_success{collector="stuck"}' 0
expect_value "$TMP/late" 'netstat_exporter_collector_timeouts_total{collector="stuck"}' 1
out=$(curl -s -m 10 -o "$TMP/late2" -w '%{http_code} %{time_total}' "$NE_URL/metrics") || true
[ "${out% *}" = 200 ] || fail "second scrape on a stuck collector answered ${out% *}"
awk -v t="${out#* }" 'BEGIN { exit !(t < 0.5) }' || fail "second scrape took ${out#* }s: the stuck collector was waited for again"
expect_value "$TMP/late2" 'netstat_exporter_collector_success{collector="stuck"}' 0
expect_value "$TMP/late2" 'netstat_exporter_collector_timeouts_total{collector="stuck"}' 1
[ "$(grep -c 'collector stuck still running at a scrape.s deadline' "$TMP/ne.log")" = 1 ] ||
	fail "stuck collector not logged exactly once: $(cat "$TMP/ne.log")"
release
wait_until 10 grep -q 'collector stuck returned' "$TMP/ne.log"
( exec 3>"$FIFO"; printf 'xy' >&3 ) & # the next collection reads 2 bytes and ends
curl -sf -m 10 -o "$TMP/again" "$NE_URL/metrics" || fail "scrape after the collector was let go"
expect_value "$TMP/again" 'netstat_exporter_collector_success{collector="stuck"}' 1
ne_stop

# 3. SIGTERM while a collector is stuck: the waiting scrape gets 503 and the
#    exporter exits 0 within 5 s.
start_stuck --web.timeout=60 --web.scrape-timeout=60
hold
curl -s -m 30 -o "$TMP/term" -w '%{http_code}' "$NE_URL/metrics" >"$TMP/term_code" &
scraper=$!
wait_until 10 test -e "$TMP/opened"
wait_until 10 requests_read 1
kill -TERM "$NE_PID"
wait_until 5 exited
ne_stop
wait "$scraper" || true
[ "$(cat "$TMP/term_code")" = 503 ] || fail "scrape in flight at SIGTERM answered $(cat "$TMP/term_code")"
grep -q 'exiting while collector stuck has been running' "$TMP/ne.log" ||
	fail "shutdown did not say which collector it left: $(cat "$TMP/ne.log")"
release
echo "http_waiting: stuck scrapes hold no thread; limit, deadline and shutdown hold"
