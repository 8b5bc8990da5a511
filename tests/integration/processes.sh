# Per-process attribution end to end, in a private network namespace: worker
# processes with distinct names (copies of sockpop) hold known sockets; the
# exported per-process counts, listener owners and unattributed counts must
# match exactly; an exited process disappears from the next scrape; a new
# process's connections appear in the next scrape; a steady scrape re-reads
# almost no fd table.
source "$2/tests/lib/common.sh"
# Its own pid namespace: a steady scrape must not see other programs churn.
ne_enter_netns

[ -x "$POP" ] || fail "missing $POP"

# start NAME SPEC...: runs sockpop as NAME (its comm), sets LAST_PID.
start() {
	local name=$1
	shift
	cp "$POP" "$TMP/$name"
	"$TMP/$name" "$@" >"$TMP/$name.out" 2>&1 &
	LAST_PID=$!
	wait_ready "$TMP/$name.out"
}

start alpha L,127.0.0.1,8001 E,3,127.0.0.1,127.0.0.1,8001 X,2,127.0.0.2,127.0.0.1,8001
start beta L,::,8002 W,2,127.0.0.1,127.0.0.1,8002 U,0.0.0.0,5353
start gamma L,127.0.0.1,8003 T,2,127.0.0.1,127.0.0.1,8003
GAMMA=$LAST_PID

ne_start --collector.processes
ne_scrape >"$TMP/m1"
ne_scrape >"$TMP/m1"   # the second scrape is the steady one
ne_scrape >"$TMP/m1"

s='netstat_process_sockets{comm='
expect_value "$TMP/m1" "${s}\"alpha\",protocol=\"tcp\",state=\"listen\"}" 1
expect_value "$TMP/m1" "${s}\"alpha\",protocol=\"tcp\",state=\"established\"}" 6
# Server-side TIME_WAIT on alpha's listener: alpha's, through its listener.
expect_value "$TMP/m1" "${s}\"alpha\",protocol=\"tcp\",state=\"time_wait\"}" 2
expect_value "$TMP/m1" "${s}\"beta\",protocol=\"tcp\",state=\"listen\"}" 1
expect_value "$TMP/m1" "${s}\"beta\",protocol=\"tcp\",state=\"fin_wait2\"}" 2
expect_value "$TMP/m1" "${s}\"beta\",protocol=\"tcp\",state=\"close_wait\"}" 2
expect_value "$TMP/m1" "${s}\"beta\",protocol=\"udp\",state=\"unconnected\"}" 1
expect_value "$TMP/m1" "${s}\"gamma\",protocol=\"tcp\",state=\"listen\"}" 1
# Nothing else for them: exactly these series.
[ "$(grep -c "^${s}\"alpha\"" "$TMP/m1")" = 3 ] || fail "alpha has extra series: $(grep "^${s}\"alpha\"" "$TMP/m1")"
[ "$(grep -c "^${s}\"beta\"" "$TMP/m1")" = 4 ] || fail "beta has extra series"
[ "$(grep -c "^${s}\"gamma\"" "$TMP/m1")" = 1 ] || fail "gamma has extra series"
# The exporter owns its own listener.
expect_value "$TMP/m1" "${s}\"netstat_exporte\",protocol=\"tcp\",state=\"listen\"}" 1

l='netstat_listener_info{comm='
expect_value "$TMP/m1" "${l}\"alpha\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"8001\"}" 1
expect_value "$TMP/m1" "${l}\"beta\",protocol=\"tcp\",address=\"::\",port=\"8002\"}" 1
expect_value "$TMP/m1" "${l}\"beta\",protocol=\"udp\",address=\"0.0.0.0\",port=\"5353\"}" 1
expect_value "$TMP/m1" "${l}\"gamma\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"8003\"}" 1
expect_value "$TMP/m1" "${l}\"netstat_exporte\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"$NE_PORT\"}" 1

# Client-side TIME_WAIT (gamma's 2, on ephemeral ports) has no listener: it
# is kernel-held. Every TIME_WAIT the census counts is one or the other.
tw=$(awk '/^netstat_tcp_sockets\{.*state="time_wait"/ { n += $2 } END { print n + 0 }' "$TMP/m1")
twp=$(awk '/^netstat_process_sockets\{.*state="time_wait"/ { n += $2 } END { print n + 0 }' "$TMP/m1")
[ "$tw" -ge 4 ] || fail "census counts $tw time_wait sockets"
expect_value "$TMP/m1" 'netstat_unattributed_sockets{protocol="tcp",state="time_wait",reason="kernel"}' "$((tw - twp))"
[ "$((tw - twp))" -ge 2 ] || fail "gamma's client-side TIME_WAIT attributed ($twp of $tw)"
if grep -q "^${s}\"gamma\",protocol=\"tcp\",state=\"time_wait\"" "$TMP/m1"; then fail "client-side time_wait attributed to gamma"; fi
expect_promtool_clean "$TMP/m1"

# Steady state: a scrape re-reads only what changed (the exporter's own
# table and the scraping curl), not every process.
r1=$(metric_value "$TMP/m1" netstat_process_fd_table_reads_total)
procs=$(metric_value "$TMP/m1" netstat_process_cache_processes)
ne_scrape >"$TMP/m2"
r2=$(metric_value "$TMP/m2" netstat_process_fd_table_reads_total)
[ "$procs" -ge 5 ] || fail "only $procs processes cached"
[ $((r2 - r1)) -le 4 ] || fail "steady scrape re-read $((r2 - r1)) fd tables of $procs processes"

# An exited process disappears from the next scrape.
kill "$GAMMA"
wait "$GAMMA" 2>/dev/null || true
ne_scrape >"$TMP/m3"
if grep -q 'comm="gamma"' "$TMP/m3"; then fail "gamma still exported after it exited"; fi
expect_value "$TMP/m3" "${s}\"alpha\",protocol=\"tcp\",state=\"established\"}" 6

# New connections appear in the next scrape.
start delta L,127.0.0.1,8004 E,4,127.0.0.1,127.0.0.1,8004
ne_scrape >"$TMP/m4"
expect_value "$TMP/m4" "${s}\"delta\",protocol=\"tcp\",state=\"established\"}" 8
expect_value "$TMP/m4" "${l}\"delta\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"8004\"}" 1

# Optional labels: pid and exe.
ne_stop
ne_start --collector.processes --collector.processes.pid --collector.processes.exe --collector.processes.user
ne_scrape >"$TMP/m5"
expect_value "$TMP/m5" "${s}\"delta\",exe=\"$TMP/delta\",user=\"root\",pid=\"$LAST_PID\",protocol=\"tcp\",state=\"established\"}" 8
expect_promtool_clean "$TMP/m5"
ne_scrape 'application/openmetrics-text;version=1.0.0' >"$TMP/m6"
grep -q '^# TYPE netstat_listener info$' "$TMP/m6" || fail "listener family is not info-typed in OpenMetrics"

# Attribution consumes the socket stream the sockets collector provides
# (collector.h): without it, processes is off (on by default otherwise) and
# the scrape has none of its families.
ne_stop
ne_start --no-collector.sockets
ne_scrape >"$TMP/m7"
! grep -q '^netstat_process_\|^netstat_listener_info\|collector="processes"' "$TMP/m7" ||
	fail "processes families or self-metrics without the sockets collector"
grep -q 'processes collector off: no enabled collector provides the socket stream' "$TMP/ne.log" ||
	fail "no log line saying why processes is off"
ne_stop
ne_start
ne_scrape >"$TMP/m8"
grep -q '^netstat_exporter_collector_success{collector="processes"} 1$' "$TMP/m8" ||
	fail "processes is not on by default"
ne_stop
rc=0
"$NE_BIN" --web.listen-address=127.0.0.1:1 --collector.processes --collector.processes.rescan-interval=5 2>"$TMP/err" || rc=$?
[ "$rc" = 2 ] || fail "bad rescan interval: exit $rc"
grep -q 'rescan-interval' "$TMP/err" || fail "no error naming rescan-interval"
echo "processes: all checks passed"
