# Where the events collector cannot run, everything else is served and one
# log line says why: in a build without it (-DNETSTAT_EVENTS=OFF, what a
# machine without libbpf, clang or bpftool builds), and, in a build with it,
# started without CAP_BPF and CAP_PERFMON (setpriv takes them, and
# CAP_SYS_ADMIN, from the bounding set). The self-metric names the reason.
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns
command -v setpriv >/dev/null || fail "setpriv not installed (Debian package util-linux)"

"$POP" L,127.0.0.1,9300 E,3,127.0.0.1,127.0.0.1,9300 >"$TMP/pop" &
wait_ready "$TMP/pop"

# $1: the reason label, $2: the log line's text; the rest: how to start.
check_off() {
	local reason=$1 line=$2 n
	shift 2
	"$@" "$NE_BIN" --web.listen-address="127.0.0.1:$NE_PORT" --no-collector.netns >"$TMP/ne.log" 2>&1 &
	NE_PID=$!
	wait_until 10 curl -sf -o /dev/null "$NE_URL/healthz"
	ne_scrape >"$TMP/m"
	ne_scrape >"$TMP/m2"
	expect_value "$TMP/m" 'netstat_tcp_port_sockets{direction="inbound",port="9300",state="established"}' 3
	expect_value "$TMP/m" 'netstat_tcp_sockets{family="ipv4",state="listen"}' 2 # and the exporter's
	for c in sockets netstat sockstat processes events; do
		expect_value "$TMP/m" "netstat_exporter_collector_success{collector=\"$c\"}" 1
	done
	expect_value "$TMP/m" "netstat_events_load_failures_total{reason=\"$reason\"}" 1
	! grep -q '^netstat_tcp_resets_sent_total' "$TMP/m" || fail "event families without the collector"
	n=$(grep -c "events collector off: $line" "$TMP/ne.log" || true)
	[ "$n" = 1 ] || fail "want one log line 'events collector off: $line', got $n: $(cat "$TMP/ne.log")"
	# (the capability line names the events collector's needs; it is not about events being off)
	[ "$(grep -v 'capabilities kept' "$TMP/ne.log" | grep -c 'events')" = 1 ] || fail "more than one line about events: $(cat "$TMP/ne.log")"
	expect_promtool_clean "$TMP/m"
	ne_stop
}

if ne_have_events; then
	check_off no_privileges "no CAP_BPF and CAP_PERFMON (nor CAP_SYS_ADMIN)" \
		setpriv --bounding-set=-bpf,-perfmon,-sys_admin
	what="without CAP_BPF and CAP_PERFMON"
else
	check_off not_built "built without it" env
	what="built without it"
fi
# Switched off, it says nothing.
ne_start --no-collector.events
! grep -q events "$TMP/ne.log" || fail "--no-collector.events logged: $(cat "$TMP/ne.log")"
ne_stop
echo "events_unavailable: $what, everything else served, one log line"
