# Least privilege, proven on the running process: started as root with every
# capability, the exporter keeps in every thread (effective, permitted and
# bounding sets) exactly CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH with the
# processes collector or the connections explorer on, CAP_SYS_ADMIN and
# CAP_SYS_PTRACE with the netns collector on and another network namespace in
# sight (none when it switches itself off for want of one), none with all off, CAP_NET_BIND_SERVICE only while a
# listen port is below 1024; no ambient or inheritable capabilities and
# no_new_privs set. A world-writable web config (or certificate) is refused
# at start with exit status 2. (integration.capabilities proves that each
# kept capability is needed.)
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

# Prints the distinct "Field: value" lines of field $1 over every thread.
thread_caps() {
	cat /proc/"$NE_PID"/task/*/status | awk -v f="$1:" '$1 == f { print $2 }' | sort -u
}

# Checks every thread of the running exporter against mask $1 (hex, 16 digits).
expect_caps() {
	local want=$1 f got
	[ "$(ls /proc/"$NE_PID"/task | wc -l)" -ge 2 ] || fail "expected several threads"
	for f in CapEff CapPrm CapBnd; do
		got=$(thread_caps "$f")
		[ "$got" = "$want" ] || fail "$f is '$got', want $want (args: $2)"
	done
	for f in CapInh CapAmb; do
		got=$(thread_caps "$f")
		[ "$got" = 0000000000000000 ] || fail "$f is '$got', want none (args: $2)"
	done
	[ "$(thread_caps NoNewPrivs)" = 1 ] || fail "no_new_privs is not set in every thread"
}

# bit 2 CAP_DAC_READ_SEARCH, bit 19 CAP_SYS_PTRACE, bit 21 CAP_SYS_ADMIN,
# bit 10 CAP_NET_BIND_SERVICE; the events collector (on by default where
# built): bit 12 CAP_NET_ADMIN, bit 38 CAP_PERFMON, bit 39 CAP_BPF.

# No other network namespace in sight: the netns collector (on by default)
# switches itself off at start, and its CAP_SYS_ADMIN and CAP_SYS_PTRACE are
# not kept.
ne_start --no-collector.processes --no-collector.events
ne_scrape >/dev/null
expect_caps 0000000000000000 "--no-collector.processes --no-collector.events, no other namespace"
grep -q 'netns collector off' "$TMP/ne.log" || fail "no other namespace: the netns collector did not switch off"
grep -q 'capabilities kept: none' "$TMP/ne.log" || fail "no other namespace: $(grep kept "$TMP/ne.log")"
ne_stop
if ne_have_events; then
	ne_start
	ne_scrape >/dev/null
	expect_caps 000000c000081004 "default, no other namespace"
	grep -q 'capabilities kept: cap_sys_ptrace,cap_dac_read_search,cap_net_admin,cap_perfmon,cap_bpf' "$TMP/ne.log" ||
		fail "default, no other namespace: $(grep kept "$TMP/ne.log")"
	ne_stop
fi

# Another network namespace, so that the netns collector has one to see.
unshare -n sleep 600 &
HOLDER=$!
other_ns() { [ "$(readlink /proc/$HOLDER/ns/net)" != "$(readlink /proc/self/ns/net)" ]; }
wait_until 5 other_ns

if ne_have_events; then
	ne_start
	ne_scrape >/dev/null
	expect_caps 000000c000281004 "default"
	grep -q 'capabilities kept: cap_sys_ptrace,cap_dac_read_search,cap_sys_admin,cap_net_admin,cap_perfmon,cap_bpf' "$TMP/ne.log" ||
		fail "default: log line of the kept capabilities: $(grep kept "$TMP/ne.log")"
	ne_stop
fi

ne_start --no-collector.events
ne_scrape >/dev/null
expect_caps 0000000000280004 "--no-collector.events"
grep -q 'capabilities kept: cap_sys_ptrace,cap_dac_read_search,cap_sys_admin' "$TMP/ne.log" ||
	fail "no log line of the kept capabilities: $(grep kept "$TMP/ne.log")"
ne_stop

ne_start --no-collector.processes --no-collector.netns --no-collector.events
ne_scrape >/dev/null
expect_caps 0000000000000000 "--no-collector.processes --no-collector.netns --no-collector.events"
ne_stop

# The connections explorer attributes sockets to programs itself: with the
# processes collector off it keeps the same two, says why, and names the
# program of another user's sockets.
setpriv --reuid=65534 --regid=65534 --clear-groups "$POP" L,127.0.0.1,9300 E,2,127.0.0.1,127.0.0.1,9300 >"$TMP/pop" &
wait_ready "$TMP/pop"
ne_start --web.enable-connections --no-collector.processes --no-collector.netns --no-collector.events
curl -sf "$NE_URL/api/v1/connections?port=9300" >"$TMP/api" || fail "connections API"
expect_caps 0000000000080004 "--web.enable-connections --no-collector.processes --no-collector.netns"
grep -q "capabilities kept: cap_sys_ptrace,cap_dac_read_search; why: connections explorer: " "$TMP/ne.log" ||
	fail "explorer: log line of the kept capabilities: $(grep kept "$TMP/ne.log")"
got=$(jq -c '[.rows[] | .program] | unique' "$TMP/api")
[ "$got" = '["sockpop"]' ] || fail "explorer: programs of nobody's sockets on port 9300: $got, want [\"sockpop\"]"
# the listener and the two connections it accepted
[ "$(jq '.total' "$TMP/api")" = 3 ] || fail "explorer: local port 9300: $(jq '.total' "$TMP/api") sockets, want 3"
ne_stop
ne_start --web.enable-connections --no-web.enable-connections --no-collector.processes --no-collector.netns --no-collector.events
expect_caps 0000000000000000 "--web.enable-connections --no-web.enable-connections --no-collector.processes --no-collector.netns"
ne_stop

# The netns collector keeps setns's CAP_SYS_ADMIN (bit 21) and CAP_SYS_PTRACE
# for other users' /proc/PID/ns/net.
ne_start --no-collector.processes --no-collector.events --collector.netns
ne_scrape >/dev/null
expect_caps 0000000000280000 "--collector.netns"
grep -q 'capabilities kept: cap_sys_ptrace,cap_sys_admin' "$TMP/ne.log" || fail "netns: log line of the kept capabilities: $(grep kept "$TMP/ne.log")"
ne_stop

# A port below 1024 for /healthz probes keeps the bind capability.
ne_start --no-collector.processes --no-collector.netns --no-collector.events --web.healthz-listen-address=127.0.0.1:81
expect_caps 0000000000000400 "--web.healthz-listen-address=127.0.0.1:81"
ne_stop

# A web config anyone can write is refused, naming the file.
printf 'basic_auth_users:\n  alice: $2y$04$oGzqgE6Cd/RppFFxEor4NO5/tpT1Zt3Tw51oW/Sbl63DRPPs6rHy2\n' >"$TMP/web.yml"
chmod 0666 "$TMP/web.yml"
rc=0
"$NE_BIN" --web.listen-address=127.0.0.1:$NE_PORT --web.config.file="$TMP/web.yml" 2>"$TMP/err" || rc=$?
[ "$rc" = 2 ] || fail "world-writable web config: exit status $rc, want 2"
grep -q "world-writable" "$TMP/err" || fail "world-writable web config: message: $(cat "$TMP/err")"
chmod 0644 "$TMP/web.yml"
ne_start_hz --web.config.file="$TMP/web.yml"
code=$(curl -s -o /dev/null -w '%{http_code}' "$NE_URL/metrics")
[ "$code" = 401 ] || fail "no password: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -u alice:quick "$NE_URL/metrics")
[ "$code" = 200 ] || fail "once the config is not world-writable: $code"
ne_stop
echo "privileges: capabilities per thread as required; world-writable web config refused"
