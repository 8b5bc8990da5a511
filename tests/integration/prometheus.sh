# End to end with a real Prometheus, inside a private network namespace:
# the exporter is scraped every second, the rules of deploy/prometheus are
# evaluated every second, a SYN flood, an accept-queue overflow, a TIME_WAIT
# burst and a CLOSE_WAIT leak are staged, and through Prometheus' HTTP API:
#   - the exporter's series arrive and every collector succeeds;
#   - every rule Prometheus loaded is healthy and every expression in the
#     rules file returns data (an expression that is legitimately empty, such
#     as an alert condition that does not hold here, must have every operand
#     return data instead);
#   - every query of the Grafana dashboard, variables substituted, does too;
#   - the SYN-flood, accept-queue, TIME_WAIT and CLOSE_WAIT alerts become
#     active, with the port, the source and the program in their
#     descriptions; so do the stopped-reading alert (a server that never
#     reads, port 7003) and the UDP-drop alert (a receiver with a tiny
#     SO_RCVBUF under a steady stream, port 5300).
#   - in a "pod" (a network namespace whose first process sits in a
#     Kubernetes-shaped cgroup, with a kubelet-style /var/log/pods entry), a
#     TIME_WAIT burst against the pod's own port range and its own
#     tcp_max_tw_buckets, a SYN flood and a CLOSE_WAIT leak make the per-pod
#     alerts active, labelled with the pod, its namespace and container, and
#     the host alerts do not take them.
#
# Prometheus loads a test copy of the rules in which every `for:` is 0s
# (generated below by one sed substitution: s/for: .*/for: 0s/); thresholds
# are the real ones. The namespace's sysctls are lowered so that small
# populations cross them: tcp_max_tw_buckets=1000, tcp_max_syn_backlog=256;
# the pod's port range is 1000 ports wide, its tcp_max_tw_buckets 900.
# Runs in private PID, mount and network namespaces, so the netns collector
# sees the pod and nothing of other tests.
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

for tool in prometheus jq nft curl; do
	command -v "$tool" >/dev/null || fail "$tool not installed"
done
[ -x "$POP" ] || fail "$POP not built (tests/helpers/sockpop.c)"
RULES="$SRC/deploy/prometheus/rules.yml"
DASH="$SRC/grafana/netstat_exporter.json"
PROM_PORT=19090
PROM="http://127.0.0.1:$PROM_PORT"
PROM_PID=""
JOB=netstat
INSTANCE="127.0.0.1:$NE_PORT"

stop_prometheus() {
	[ -n "$PROM_PID" ] || return 0
	kill -TERM "$PROM_PID" 2>/dev/null || true
	wait "$PROM_PID" 2>/dev/null || true
	PROM_PID=""
}
FLOOD_PID=""
POD_FLOOD_PID=""
CGROOT=/sys/fs/cgroup/unified
[ -w "$CGROOT/cgroup.procs" ] || CGROOT=/sys/fs/cgroup
CG="$CGROOT/issue10i-e2e-${TMP##*/}"
cleanup() {
	local p
	for p in "$FLOOD_PID" "$POD_FLOOD_PID"; do
		[ -z "$p" ] || { kill -TERM "$p"; wait "$p"; } 2>/dev/null
	done
	stop_prometheus
	ne_cleanup
	[ ! -d "$CG" ] || find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null
	true
}
trap cleanup EXIT

prom_fail() {
	echo "--- prometheus log" >&2
	tail -n 20 "$TMP/prom.log" >&2 || true
	fail "$@"
}

# Prints the JSON result array of instant query $1 (fails on an API error,
# which includes a query that does not parse).
pq() {
	local out
	out=$(curl -s --fail-with-body -G "$PROM/api/v1/query" --data-urlencode "query=$1") ||
		prom_fail "query failed: $1: $out"
	[ "$(jq -r .status <<<"$out")" = success ] || prom_fail "query error: $1: $out"
	jq -c .data.result <<<"$out"
}

pq_count() { pq "$1" | jq length; }

# Operands of the top-level binary operator of lowest precedence in PromQL
# expression $1 (as Prometheus formats it: spaces around operators), one per
# line, vector matching modifiers removed; nothing when it has none.
operands() {
	awk -v e="$1" 'BEGIN {
		# operator, precedence (PromQL: or < and unless < comparisons < + - < * / %)
		nops = split(" or :1| and :2| unless :2| >= :3| <= :3| == :3| != :3| > :3| < :3| + :4| - :4| * :5| / :5| % :5", ops, "|")
		n = length(e); d = 0; q = ""; best = 0; bestp = 99
		for (i = 1; i <= n; i++) {
			c = substr(e, i, 1)
			if (q != "") { if (c == "\\") i++; else if (c == q) q = ""; continue }
			if (c == "\"") { q = c; continue }
			if (c ~ /[([{]/) { d++; continue }
			if (c ~ /[)\]}]/) { d--; continue }
			if (d != 0 || c != " ") continue
			for (k = 1; k <= nops; k++) {
				split(ops[k], op, ":")
				if (substr(e, i, length(op[1])) != op[1]) continue
				if (op[2] + 0 <= bestp) { bestp = op[2] + 0; best = i; bestlen = length(op[1]) }
				break
			}
		}
		if (!best) exit
		r = substr(e, best + bestlen)
		while (sub(/^(bool|on ?\([^)]*\)|ignoring ?\([^)]*\)|group_(left|right) ?(\([^)]*\))?) +/, "", r)) {}
		print substr(e, 1, best - 1)
		print r
	}'
}

# The one known absence, checked rather than assumed: tcp_max_orphans is a
# global sysctl that a child network namespace does not show, so its series
# is absent here (it exists on every host).
absent_ok() {
	[[ "$1" =~ ^netstat_limit_tcp_max_orphans(\{[^}]*\})?$ ]] && [ ! -e /proc/sys/net/ipv4/tcp_max_orphans ] && return 0
	# The SYN-source alerts need a flood from public sources (this one is
	# from 127.0.0.2) and an ASN database (none here): their series are
	# tested by integration.syn_sources, the rules by
	# deploy/prometheus/tests/syn_sources.yml.
	[[ "$1" == *'netstat_tcp_peer_country_sockets{country!~"|other|unknown",direction="inbound",state="syn_recv"}'* ]] ||
		[[ "$1" == *netstat_tcp_syn_recv_top_asn_sockets* ]] ||
	# The events collector's families appear with their first event, and
	# which events this run's traffic makes (a closed-port SYN, a SYN-ACK
	# retransmit) is chance: integration.events and events_traffic stage
	# each and check it exactly, deploy/prometheus/tests/events.yml the alerts.
		[[ "$1" =~ netstat_(tcp_(connections_opened|connect_failures|resets_sent|resets_received|closed_port_syns|syns_received|syncookies_sent|retransmitted_segments|synack_retransmits|drops)_total|tcp_scan_sources|udp_drops_total) ]]
}

# Fails unless expression $1 returns data, or (when it is legitimately empty)
# every operand does. $2 names where the expression comes from.
# A recorded series that is empty is as good as its definition.
declare -A RECORDED
CHECKED=0
check_expr() {
	local e=$1 where=$2 ops op n
	CHECKED=$((CHECKED + 1))
	n=$(pq_count "$e") || exit 1
	[ "$n" -gt 0 ] && return 0
	absent_ok "$e" && return 0
	if [ -n "${RECORDED[${e%%\{*}]:-}" ]; then
		check_expr "${RECORDED[${e%%\{*}]}" "$where (definition of ${e%%\{*})"
		return 0
	fi
	# History a fresh Prometheus cannot have (offset 1h, 1d): the same
	# expression over the present must return data.
	if [[ "$e" == *" offset "* ]]; then
		check_expr "$(sed -E 's/ offset [0-9]+[smhdwy]//g' <<<"$e")" "$where (without offset)"
		return 0
	fi
	ops=$(operands "$e")
	if [ -z "$ops" ]; then
		# A scrape that passed its deadline (a loaded machine) is served
		# without the late collector, and Prometheus marks that
		# collector's series stale until the next scrape: look again,
		# for a few scrape intervals.
		for _ in $(seq 50); do
			sleep 0.1
			n=$(pq_count "$e") || exit 1
			[ "$n" -gt 0 ] && return 0
		done
		fail "$where: no data for $e"
	fi
	while IFS= read -r op; do
		op=$(sed -E 's/^\((.*)\)$/\1/' <<<"$op")
		[[ "$op" =~ ^[0-9.e+-]+$ ]] && continue
		check_expr "$op" "$where (operand of $e)"
	done <<<"$ops"
}

# --- the namespace's limits, lowered so small populations cross them
sysctl -qw net.ipv4.tcp_max_tw_buckets=1000
sysctl -qw net.ipv4.tcp_max_syn_backlog=256
sysctl -qw net.ipv4.tcp_syncookies=1

# --- the pod: its first process (the holder of its namespace, as a pause
# container is) in the cgroup containerd and the kubelet's systemd driver
# make, its name and namespace in a /var/log/pods directory name. Its own
# port range of 1000 ports and a tcp_max_tw_buckets of 900; no TIME_WAIT
# reuse, so a burst keeps its ports.
POD_NS=issue10i-shop POD=web-0 POD_UID=7c0f3b2e-5d4a-4e8f-9a1b-2c3d4e5f6a7b
POD_CID=$(printf 'e%.0s' $(seq 64))
CG_POD="$CG/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_UID//-/_}.slice/cri-containerd-$POD_CID.scope"
mkdir -p "$CG_POD" "$TMP/pods/${POD_NS}_${POD}_$POD_UID/app"
in_cgroup "$CG_POD" unshare -n sh -c 'ip link set lo up && sysctl -qw net.ipv4.ip_local_port_range="40000 40999" \
	net.ipv4.tcp_tw_reuse=0 net.ipv4.tcp_syncookies=1 net.ipv4.tcp_max_tw_buckets=900 && exec "$0" "$@"' "$POP" \
	L,127.0.0.1,8080,64 L,127.0.0.1,9100 W,25,127.0.0.5,127.0.0.1,9100 >"$TMP/pod" 2>&1 &
POD_PID=$!
wait_ready "$TMP/pod"
IN_POD=(nsenter --net=/proc/$POD_PID/ns/net)
POD_NETNS=$(readlink /proc/$POD_PID/ns/net | tr -dc 0-9)

# --- exporter and Prometheus; a GeoIP database of the documentation ranges
# (tests/helpers/make_mmdb.pl) for the country family.
perl "$SRC/tests/helpers/make_mmdb.pl" maxmind "$TMP/geo.mmdb" || fail "cannot build the GeoIP database"
ip addr add 192.0.2.1/32 dev lo
ip addr add 198.51.100.7/32 dev lo
ne_start --collector.sockets.ports=8080,8081,9000,9100 --collector.sockets.peer-min-sockets=1 --collector.processes \
	--collector.sockets.tcp-info --geoip.database="$TMP/geo.mmdb" --collector.netns.pods-root="$TMP/pods"

sed -E 's/^( *)for: .*/\1for: 0s/' "$RULES" >"$TMP/rules.yml"
grep -q 'for: 0s' "$TMP/rules.yml" || fail "test copy of the rules has no for: 0s"
! grep -E '^ *for: ' "$TMP/rules.yml" | grep -qv 'for: 0s' || fail "a for: survived the substitution"
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
scrape_configs:
  - job_name: $JOB
    static_configs:
      - targets: ["$INSTANCE"]
EOF
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data" \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$TMP/prom.log" 2>&1 &
PROM_PID=$!
for _ in $(seq 100); do
	curl -sf -o /dev/null "$PROM/-/ready" && break
	kill -0 "$PROM_PID" 2>/dev/null || prom_fail "prometheus exited at start"
	sleep 0.1
done
curl -sf -o /dev/null "$PROM/-/ready" || prom_fail "prometheus not ready"

# Every rule loaded, none broken.
curl -sf "$PROM/api/v1/rules" >"$TMP/rules.json" || prom_fail "GET /api/v1/rules"
want_rules=$(grep -cE '^ *- (alert|record):' "$RULES")
got_rules=$(jq '[.data.groups[].rules[]] | length' "$TMP/rules.json")
[ "$got_rules" = "$want_rules" ] || fail "prometheus loaded $got_rules rules, the file has $want_rules"

# Scrapes arrive before anything is staged, so counters have a baseline and
# their increase during the staging shows in rate() and increase().
for _ in $(seq 50); do
	[ "$(pq_count "up{job=\"$JOB\"} == 1")" = 1 ] && [ "$(pq_count 'netstat_tcpext_syncookies_sent_total')" -gt 0 ] &&
		[ "$(pq_count 'count_over_time(netstat_tcp_sockets[1m]) > 2')" -gt 0 ] && break
	sleep 0.2
done
[ "$(pq_count "up{job=\"$JOB\"} == 1")" = 1 ] || prom_fail "the exporter is not up in Prometheus"

# --- staging
# SYN flood: SYN-ACKs from port 8080 never leave, so 127.0.0.2's handshakes
# stay half-open: 256 request sockets (the backlog) and cookies for the rest.
# A full SYN queue makes the kernel expire request sockets after 2 SYN-ACK
# retries (~7 s), all of one burst at once; a steady 80 fresh connects a
# second (each batch held for 10 s, retransmitting its SYNs) keeps the queue
# between 177 and 257 after the first 3 s.
nft -f - <<'EOF' || fail "nft"
table inet e2e {
	chain out {
		type filter hook output priority 0;
		tcp sport 8080 tcp flags & (syn | ack) == (syn | ack) drop
	}
}
EOF
"$POP" L,127.0.0.1,8080,256 >"$TMP/flood" &
syn_flood() { # [COMMAND PREFIX: nsenter into the namespace]
	local batches=()
	trap 'kill "${batches[@]}" 2>/dev/null; wait; exit 0' TERM
	while :; do
		"$@" "$POP" S,80,127.0.0.2,127.0.0.1,8080 >/dev/null &
		batches+=($!)
		if [ "${#batches[@]}" -gt 10 ]; then
			kill "${batches[0]}"
			batches=("${batches[@]:1}")
		fi
		sleep 1
	done
}
syn_flood &
FLOOD_PID=$!
# Accept queue: a listener with backlog 16 that never accepts; 200 clients,
# so the queue fills (17) and the rest are dropped (ListenOverflows/Drops).
"$POP" L,127.0.0.1,8081,16 S,200,127.0.0.3,127.0.0.1,8081 >"$TMP/queue" &
# TIME_WAIT burst: 1300 connections the client closes first; the namespace
# keeps 1000 (tcp_max_tw_buckets), the rest overflow.
"$POP" L,127.0.0.1,9000 T,1300,127.0.0.4,127.0.0.1,9000 >"$TMP/tw" &
# A CLOSE_WAIT leak (the peers shut down, this program never closes), some
# established connections, and a UDP socket.
"$POP" L,127.0.0.1,9100 W,25,127.0.0.5,127.0.0.1,9100 E,20,127.0.0.6,127.0.0.1,9100 \
	L,::1,8443 E,5,::1,::1,8443 U,127.0.0.1,5353 >"$TMP/leak" &
# A server that stopped reading: 3 connections fill its receive queues. A
# UDP receiver that drops: 1 KiB of SO_RCVBUF, 200 datagrams a second.
TRAFFIC="$BUILD/tests/traffic"
"$TRAFFIC" -t 120 stall,127.0.0.1,7003 udprecv,127.0.0.1,5300,1024 >"$TMP/stall" &
wait_ready "$TMP/stall"
"$TRAFFIC" -t 120 send,3,127.0.0.7,127.0.0.1,7003 udpstream,127.0.0.7,127.0.0.1,5300,200,200 >"$TMP/send" &
# Inbound connections from FR (198.51.100.7 in the GeoIP database) to a
# listener on all addresses.
"$POP" L,0.0.0.0,9200 E,3,198.51.100.7,192.0.2.1,9200 >"$TMP/geo" &
for f in flood queue tw leak send geo; do wait_ready "$TMP/$f"; done
# Resets: connections to a port nobody listens on.
for _ in $(seq 20); do (exec 3<>/dev/tcp/127.0.0.1/1) 2>/dev/null || true; done

# In the pod: a SYN flood on its port 8080 (backlog 64: its queue overflows
# into SYN cookies), and 800 connections to one destination closed by the
# client: 800 TIME_WAIT holding 80% of its port range and 89% of its
# tcp_max_tw_buckets. Its CLOSE_WAIT leak
# (25) is the holder's own.
"${IN_POD[@]}" nft -f - <<'EOF' || fail "nft in the pod"
table inet issue10i {
	chain out {
		type filter hook output priority 0;
		tcp sport 8080 tcp flags & (syn | ack) == (syn | ack) drop
	}
}
EOF
syn_flood "${IN_POD[@]}" &
POD_FLOOD_PID=$!
"${IN_POD[@]}" "$POP" L,127.0.0.1,9000 T,800,127.0.0.4,127.0.0.1,9000 >"$TMP/podtw" 2>&1 &
wait_ready "$TMP/podtw"

# --- alerts: the SYN flood, accept-queue and TIME_WAIT alerts must fire.
want_alerts="NetstatSynFlood NetstatSynBacklogNearMax NetstatSynCookiesSent NetstatListenDrops
NetstatAcceptQueueNearBacklog NetstatTimeWaitNearLimit NetstatTimeWaitOverflow NetstatCloseWaitLeak
NetstatServiceStoppedReading NetstatUDPPortDropping
NetstatPodTimeWaitExhaustion NetstatPodTimeWaitNearLimit NetstatPodSynFlood NetstatPodCloseWaitLeak"
for _ in $(seq 60); do
	curl -sf "$PROM/api/v1/alerts" >"$TMP/alerts.json" || prom_fail "GET /api/v1/alerts"
	missing=""
	for a in $want_alerts; do
		jq -e --arg a "$a" '.data.alerts[] | select(.labels.alertname == $a and .state == "firing")' \
			"$TMP/alerts.json" >/dev/null || missing="$missing $a"
	done
	# A description is rendered at each evaluation from the last scrape:
	# one taken while sockpop still made the TIME_WAIT sockets says fewer
	# than 800 until the next. Wait for one after.
	[ -z "$missing" ] && ! jq -r '.data.alerts[] | select(.labels.alertname == "NetstatPodTimeWaitNearLimit") | .annotations.description' \
		"$TMP/alerts.json" | grep -q 'holds 800 timewait' && missing=" (NetstatPodTimeWaitNearLimit's description not yet rendered after the 800 TIME_WAIT were made)"
	[ -z "$missing" ] && break
	sleep 0.5
done
[ -z "$missing" ] || fail "alerts not firing:$missing; active: $(jq -c '[.data.alerts[] | {(.labels.alertname): .state}]' "$TMP/alerts.json")"

# The per-port alerts name the right port, and their descriptions (template
# queries against the real data) name the flood's source and the program.
alert() { jq -c --arg a "$1" '[.data.alerts[] | select(.labels.alertname == $a)]' "$TMP/alerts.json"; }
[ "$(alert NetstatSynFlood | jq -r '.[].labels.port')" = 8080 ] || fail "NetstatSynFlood: $(alert NetstatSynFlood)"
[ "$(alert NetstatAcceptQueueNearBacklog | jq -r '.[].labels.port')" = 8081 ] ||
	fail "NetstatAcceptQueueNearBacklog: $(alert NetstatAcceptQueueNearBacklog)"
alert NetstatSynFlood | jq -r '.[0].annotations.description' | grep -q 'Top sources of SYN_RECV sockets: 127\.0\.0\.2: [0-9]' ||
	fail "NetstatSynFlood description lacks the source: $(alert NetstatSynFlood | jq -r '.[0].annotations.description')"
alert NetstatSynCookiesSent | jq -r '.[0].annotations.description' | grep -q 'Ports with the most SYN_RECV: 8080: [0-9]' ||
	fail "NetstatSynCookiesSent description lacks the port: $(alert NetstatSynCookiesSent | jq -r '.[0].annotations.description')"
alert NetstatTimeWaitNearLimit | jq -r '.[0].annotations.description' | grep -q 'outbound/9000: ' ||
	fail "NetstatTimeWaitNearLimit description lacks the port: $(alert NetstatTimeWaitNearLimit | jq -r '.[0].annotations.description')"
[ "$(alert NetstatCloseWaitLeak | jq -r '.[].labels.comm')" = sockpop ] ||
	fail "NetstatCloseWaitLeak: $(alert NetstatCloseWaitLeak)"
alert NetstatSynFlood | jq -r '.[0].annotations.description' | grep -q 'Listening program: sockpop\.' ||
	fail "NetstatSynFlood description lacks the program: $(alert NetstatSynFlood | jq -r '.[0].annotations.description')"
[ "$(alert NetstatServiceStoppedReading | jq -r '[.[].labels | "\(.direction)/\(.port)"] | join(" ")')" = inbound/7003 ] ||
	fail "NetstatServiceStoppedReading: $(alert NetstatServiceStoppedReading)"
alert NetstatServiceStoppedReading | jq -r '.[0].annotations.description' | grep -q 'Sockets with unread data: 3; listening program: traffic\.' ||
	fail "NetstatServiceStoppedReading description: $(alert NetstatServiceStoppedReading | jq -r '.[0].annotations.description')"
[ "$(alert NetstatUDPPortDropping | jq -r '[.[].labels.port] | join(" ")')" = 5300 ] ||
	fail "NetstatUDPPortDropping: $(alert NetstatUDPPortDropping)"
[ "$(alert NetstatSynFlood | jq -r '.[0].annotations.connections')" = "http://$INSTANCE/connections?state=syn_recv&port=8080" ] ||
	fail "NetstatSynFlood link: $(alert NetstatSynFlood | jq -r '.[0].annotations.connections')"
# The per-pod alerts: one each, for the pod, with its identity; the pod and
# its namespace in every description, the leaking program in the leak's.
for a in NetstatPodTimeWaitExhaustion NetstatPodTimeWaitNearLimit NetstatPodSynFlood NetstatPodCloseWaitLeak; do
	[ "$(alert "$a" | jq length)" = 1 ] || fail "$a: want one alert, got $(alert "$a")"
	[ "$(alert "$a" | jq -r '.[0].labels | [.netns, .namespace, .pod, .container] | join(" ")')" = \
		"$POD_NETNS $POD_NS $POD $POD_CID" ] || fail "$a labels: $(alert "$a" | jq -c '.[0].labels')"
	alert "$a" | jq -r '.[0].annotations.description' | grep -q "^Pod $POD in namespace $POD_NS on $INSTANCE " ||
		fail "$a description lacks the pod: $(alert "$a" | jq -r '.[0].annotations.description')"
	alert "$a" | jq -r '.[0].annotations.description' | grep -q "(netns $POD_NETNS, oldest process sockpop; census .* old)\.$" ||
		fail "$a description lacks the namespace's identity: $(alert "$a" | jq -r '.[0].annotations.description')"
done
alert NetstatPodTimeWaitExhaustion | jq -r '.[0].annotations.description' | grep -q 'uses 80% of its own' ||
	fail "NetstatPodTimeWaitExhaustion: $(alert NetstatPodTimeWaitExhaustion | jq -r '.[0].annotations.description')"
alert NetstatPodTimeWaitNearLimit | jq -r '.[0].annotations.description' |
	grep -q 'holds 800 timewait sockets (TIME_WAIT and orphaned FIN_WAIT2), 88.89% of its own net.ipv4.tcp_max_tw_buckets (900);' ||
	fail "NetstatPodTimeWaitNearLimit: $(alert NetstatPodTimeWaitNearLimit | jq -r '.[0].annotations.description')"
[ "$(alert NetstatPodTimeWaitNearLimit | jq -r '.[0].annotations.connections')" = \
	"http://$INSTANCE/connections?state=time_wait&netns=$POD_NETNS&group=port" ] ||
	fail "NetstatPodTimeWaitNearLimit link: $(alert NetstatPodTimeWaitNearLimit | jq -r '.[0].annotations.connections')"
alert NetstatPodCloseWaitLeak | jq -r '.[0].annotations.description' | grep -q 'Programs holding them: sockpop: 25\.' ||
	fail "NetstatPodCloseWaitLeak: $(alert NetstatPodCloseWaitLeak | jq -r '.[0].annotations.description')"
alert NetstatPodSynFlood | jq -r '.[0].annotations.description' | grep -q 'Listening ports (port: backlog): [0-9: ,]*8080: 64' ||
	fail "NetstatPodSynFlood: $(alert NetstatPodSynFlood | jq -r '.[0].annotations.description')"
# Quiet conditions stay quiet; so do the week-long ones on a new instance.
for a in NetstatCollectorFailing NetstatConntrackNearFull NetstatUnknownListenPort NetstatListenerOnAllAddresses NetstatNewPeerCountry; do
	[ "$(alert "$a" | jq length)" = 0 ] || fail "$a active: $(alert "$a")"
done

# --- series and collectors
for c in $(pq 'netstat_exporter_collector_success' | jq -r '.[].metric.collector'); do
	[ "$(pq "netstat_exporter_collector_success{collector=\"$c\"}" | jq -r '.[0].value[1]')" = 1 ] ||
		fail "collector $c failing"
done
for c in processes sockets netstat sockstat limits; do
	[ "$(pq_count "netstat_exporter_collector_success{collector=\"$c\"} == 1")" = 1 ] || fail "collector $c absent or failing"
done
[ "$(pq 'sum(netstat_tcp_port_sockets{direction="inbound", port="8080", state="syn_recv"})' | jq -r '.[0].value[1]')" -ge 128 ] ||
	fail "SYN_RECV on port 8080 did not arrive"
[ "$(pq 'netstat_tcp_listen_queue_length{port="8081"}' | jq -r '.[0].value[1]')" = 17 ] || fail "accept queue of 8081 is not 17"

# --- every rule expression returns data
while IFS=$'\t' read -r name query; do
	RECORDED[$name]=$query
done < <(jq -r '.data.groups[].rules[] | select(.type == "recording") | [.name, .query] | @tsv' "$TMP/rules.json")
while IFS=$'\t' read -r name query; do
	check_expr "$query" "rule $name"
done < <(jq -r '.data.groups[].rules[] | [(.name), .query] | @tsv' "$TMP/rules.json")
rules_checked=$CHECKED

# --- every dashboard query, variables substituted
[ -f "$DASH" ] || fail "$DASH missing"
subst() {
	sed -e "s/\\\$__rate_interval/1m/g; s/\\\$__interval/15s/g; s/\\\$__range/5m/g" \
		-e "s/\\\$job/$JOB/g; s/\\\$instance/$INSTANCE/g; s/\\\${job}/$JOB/g; s/\\\${instance}/$INSTANCE/g" \
		-e "s/\\\$topk/10/g; s/\\\$rtt_port/.+/g; s/\\\$namespace/$POD_NS/g; s/\\\$pod/$POD/g"
}
CHECKED=0
while IFS=$'\t' read -r title expr; do
	e=$(subst <<<"$expr")
	[[ "$e" != *'$'* ]] || fail "panel '$title': unsubstituted variable in $e"
	check_expr "$e" "panel '$title'"
done < <(jq -r '.. | objects | select(has("targets")) | .title as $t | .targets[] | [$t, .expr] | @tsv' "$DASH")
panels_checked=$CHECKED
# Template variables: label_values(METRIC, LABEL) must find LABEL values.
while IFS= read -r q; do
	e=$(subst <<<"$q")
	[[ "$e" =~ ^label_values\((.*),\ *([a-z_]+)\)$ ]] || fail "variable query not understood: $q"
	sel=${BASH_REMATCH[1]} label=${BASH_REMATCH[2]}
	[ "$(pq "$sel" | jq --arg l "$label" '[.[].metric[$l] | select(. != null)] | length')" -gt 0 ] ||
		fail "variable query $q finds no $label"
done < <(jq -r '.templating.list[] | select(.type == "query") | (.query | if type == "object" then .query else . end)' "$DASH")

# Every rule evaluated without error.
curl -sf "$PROM/api/v1/rules" >"$TMP/rules.json" || prom_fail "GET /api/v1/rules"
bad=$(jq -r '[.data.groups[].rules[] | select(.health != "ok") | "\(.name): \(.health) \(.lastError // "")"] | join("; ")' "$TMP/rules.json")
[ -z "$bad" ] || fail "unhealthy rules: $bad"

# Figures for the record (not checked): series per scrape under this load,
# the last evaluation time of each rule group.
samples=$(pq "scrape_samples_scraped{job=\"$JOB\"}" | jq -r '.[0].value[1]')
evals=$(curl -sf "$PROM/api/v1/rules" | jq -r '[.data.groups[] | "\(.name) \(.evaluationTime * 1000 | . * 1000 | round / 1000)ms"] | join(", ")')
echo "prometheus: $samples samples per scrape; rule evaluation: $evals"

stop_prometheus
ne_stop
echo "prometheus: $want_rules rules ($rules_checked expressions) and $panels_checked dashboard queries return data; alerts fired: $want_alerts"
