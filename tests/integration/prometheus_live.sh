# The per-pod CLOSE_WAIT and TIME_WAIT alerts in a real Prometheus, for a pod
# whose census is stale (issue 18: "the per-pod TIME_WAIT/CLOSE_WAIT alerts
# fire in Prometheus within one scrape of the staged burst"; docs/events.md,
# "Live states"; docs/netns.md).
# NS network namespaces share the host's TCP hash table, each with a small
# population (no CLOSE_WAIT, no timewait socket); the exporter makes one
# census per scrape (--collector.netns.census-budget=0) and a census older
# than 2 s is stale (--collector.netns.census-interval=2s), so a namespace's
# census is stale for most of a rotation of NS scrapes. After the seed walks,
# the namespace censused last (its next census NS scrapes away) gets a burst
# of BURST CLOSE_WAIT sockets (their clients' ends, orphaned in FIN_WAIT2,
# are timewait sockets) and, in the first run, TW_BURST TIME_WAIT sockets,
# its tcp_max_tw_buckets lowered to TW_LIMIT first: BURST + TW_BURST timewait
# sockets, over 80% of the limit and within it (none destroyed). The test
# waits until the exporter reports the census stale. Then a real Prometheus
# starts, with deploy/prometheus/rules.yml unchanged, scraping and
# evaluating every second.
# NetstatPodCloseWaitLeak is min_over_time(...[15m]) >= 20 for 15m and
# NetstatPodTimeWaitNearLimit is over 80% for 10m: the pending state is what
# "fires within one scrape" can mean without waiting that long, and
# min_over_time holds only post-burst samples because Prometheus starts with
# a fresh TSDB after the burst was staged (its first scrape is the first
# sample of every series). The burst is older than that scrape, so "within
# one scrape" is counted from it: the first scrape that can see the burst.
# Through Prometheus' API, with the samples' own timestamps, from its first
# successful scrape S:
#   - netns:netstat_netns_census:stale has the namespace (the census is
#     stale to Prometheus too) at the first evaluation after S, and
#     netns:netstat_netns_states:stale never has it;
#   - netns_state:netstat_netns_tcp_sockets:sum{state="close_wait"} of the
#     namespace is BURST from its first sample, which is the recording
#     group's first evaluation after S (at most the scrape's duration + 1 s
#     after S, + 0.25 s for the evaluation itself);
#   - netstat_netns_sockstat_tcp_tw is BURST + TW_BURST and
#     netstat_netns_tcp_max_tw_buckets TW_LIMIT from S on, and
#     netns:netstat_netns_tcp_time_wait:ratio their ratio from the recording
#     group's first evaluation after S;
#   - ALERTS{alertname="NetstatPodCloseWaitLeak", netns} and
#     ALERTS{alertname="NetstatPodTimeWaitNearLimit", netns} are pending at
#     the alert group's first evaluation after that (at most 1.25 s later),
#     and for no other namespace.
# The contrast, same setup with --no-collector.events (the stale census is
# left out, as without live states): no close_wait series, the namespace in
# netns:netstat_netns_states:stale, and no CLOSE_WAIT alert in the same
# window.
#   bash tests/integration/prometheus_live.sh BUILD_DIR SRC_DIR
source "$(dirname "$0")/../lib/common.sh"
ne_have_events || { echo "SKIP: built without the events collector"; exit 0; }
ne_enter_netns
mkdir -p /run/netns
mount -t tmpfs prom-live-netns /run/netns
for tool in prometheus jq curl; do command -v "$tool" >/dev/null || fail "$tool not installed"; done

NS=20
BURST=25
TW_BURST=10
TW_LIMIT=41 # BURST + TW_BURST = 35: 85% of it
INTERVAL=2 # --collector.netns.census-interval, seconds
RULES="$SRC/deploy/prometheus/rules.yml"
PROM="http://127.0.0.1:19090"
PROM_PID=""
prom_stop() {
	[ -n "$PROM_PID" ] || return 0
	kill -TERM "$PROM_PID" 2>/dev/null || true
	wait "$PROM_PID" 2>/dev/null || true
	PROM_PID=""
}
trap 'prom_stop; ne_cleanup' EXIT
prom_fail() {
	echo "--- prometheus log" >&2
	tail -n 20 "$TMP/prom.log" >&2 || true
	fail "$@"
}

# The samples of range query $1 (e.g. 'up[1m]') as "timestamp value" lines,
# every series, oldest first; nothing when it has none.
samples() {
	local out
	out=$(curl -sf -G "$PROM/api/v1/query" --data-urlencode "query=$1") || prom_fail "query failed: $1"
	jq -r '.data.result[].values[] | "\(.[0]) \(.[1])"' <<<"$out" | sort -n
}
# The first sample's timestamp of range query $1; nothing when it has none.
first_ts() { samples "$1" | awk 'NR == 1 { print $1 }'; }
# Whether the alert group has evaluated at or after Unix time $1.
alerts_evaluated_after() {
	local last
	last=$(curl -sf "$PROM/api/v1/rules" |
		jq -r '.data.groups[] | select(.name == "netstat_exporter.netns.alerts") | .lastEvaluation') || return 1
	le "$1" "$(date -d "$last" +%s.%N)"
}
# Whether a <= b (decimals).
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
# $1 + $2 (decimals).
plus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a + b }'; }

for i in $(seq 0 $((NS - 1))); do
	ip netns add pl-$i
	nsenter --net=/run/netns/pl-$i ip link set lo up
	nsenter --net=/run/netns/pl-$i "$POP" L,127.0.0.1,8080 E,5,127.0.0.1,127.0.0.1,8080 \
		>"$TMP/pop-$i.out" 2>&1 &
done
for i in $(seq 0 $((NS - 1))); do wait_ready "$TMP/pop-$i.out"; done

# One run: the exporter with flags "$@", the burst in the namespace censused
# last (with TW set, the TIME_WAIT burst too, under its lowered limit), a
# fresh Prometheus. Sets X (the namespace's inode), XNS (its name), S
# (Prometheus' first successful scrape, Unix seconds) and DUR (its duration).
run() {
	local i age last="" n tw=()
	ne_start --collector.netns.census-budget=0 --collector.netns.census-interval=${INTERVAL}s "$@"
	# Every namespace's first census slot (its seed walk), one per scrape;
	# the last one's namespace is the one censused longest from now.
	for _ in $(seq $((NS + 1))); do ne_scrape >"$TMP/r" || fail "scrape failed"; done
	for i in $(seq 0 $((NS - 1))); do
		n=$(stat -L -c %i /run/netns/pl-$i)
		age=$(census_age "$TMP/r" "$n")
		[ "${age:-1}" = 0 ] && { last=$i; X=$n; }
	done
	[ -n "$last" ] || fail "no namespace censused in the last scrape"
	XNS=pl-$last
	if [ -n "${TW:-}" ]; then
		TW_DEFAULT=$(nsenter --net=/run/netns/$XNS sysctl -n net.ipv4.tcp_max_tw_buckets)
		nsenter --net=/run/netns/$XNS sysctl -qw net.ipv4.tcp_max_tw_buckets=$TW_LIMIT
		tw=(T,$TW_BURST,127.0.0.1,127.0.0.1,7070)
	fi
	nsenter --net=/run/netns/$XNS "$POP" L,127.0.0.1,7070 K,$BURST,127.0.0.1,127.0.0.1,7070 "${tw[@]}" \
		>"$TMP/burst.out" 2>&1 &
	BURST_PID=$!
	wait_ready "$TMP/burst.out"
	# Until the exporter says the census is stale. A census ages with time,
	# not scrapes: a scrape censuses the oldest namespace, and a rotation of
	# NS quick scrapes censuses X again before it is INTERVAL old (a fast
	# machine makes one in well under a second). So no scrape until X is
	# older than INTERVAL; then one shows it (censusing another).
	sleep "$INTERVAL"
	census_stale() {
		ne_scrape >"$TMP/r" || return 1
		older_than "$(census_age "$TMP/r" "$X")" "$INTERVAL"
	}
	wait_until 10 census_stale

	cat >"$TMP/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  scrape_timeout: 1s
	  evaluation_interval: 1s
	rule_files: ["$RULES"]
	scrape_configs:
	  - job_name: netstat
	    static_configs:
	      - targets: ["127.0.0.1:$NE_PORT"]
	EOF
	rm -rf "$TMP/data"
	prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data" \
		--web.listen-address="${PROM#http://}" --log.level=warn >"$TMP/prom.log" 2>&1 &
	PROM_PID=$!
	wait_until 20 curl -sf -o /dev/null "$PROM/-/ready"
	# S: the first scrape that succeeded (a failed one would carry nothing).
	up_ok() { S=$(samples 'up{job="netstat"}[1m]' | awk '$2 == 1 { print $1; exit }'); [ -n "$S" ]; }
	wait_until 10 up_ok
	DUR=$(samples 'scrape_duration_seconds{job="netstat"}[1m]' | awk -v s="$S" '$1 == s { print $2 }')
	# B1: by when the recording group has evaluated once after the first
	# scrape's samples were in (S + its duration + 1 s, + 0.25 s for a
	# group's own evaluation); B2: the alert group once after that. Wait
	# until Prometheus is past B2.
	B1=$(plus "$(plus "$S" "$DUR")" 1.25)
	B2=$(plus "$B1" 1)
	wait_until 10 alerts_evaluated_after "$B2"
}

# Samples of range query $1 up to Unix time $2.
window() { samples "$1" | awk -v t="$2" '$1 <= t + 0'; }

# --- live states on, and the TIME_WAIT burst
TW=1 run
[ "$(metric_value "$TMP/r" "netstat_netns_live_states{netns=\"$X\",namespace=\"\",pod=\"\",container=\"\"}")" = 1 ] ||
	fail "the namespace's states are not live"
sel="netns=\"$X\""
cs=$(first_ts "netns:netstat_netns_census:stale{$sel}[1m]")
cw=$(window "netns_state:netstat_netns_tcp_sockets:sum{$sel,state=\"close_wait\"}[1m]" "$B1")
cw_ts=$(awk 'NR == 1 { print $1 }' <<<"$cw")
alert=$(window "ALERTS{alertname=\"NetstatPodCloseWaitLeak\",alertstate=\"pending\",$sel}[1m]" "$B2")
echo "first scrape at $S (took ${DUR}s); census stale from ${cs:-never}; close_wait from $(head -1 <<<"$cw"); pending from $(head -1 <<<"$alert")"
[ -n "$cs" ] && le "$cs" "$B1" ||
	fail "the census of $X was not stale to Prometheus at the first evaluation (first sample ${cs:-none}, scrape $S)"
[ -z "$(samples "netns:netstat_netns_states:stale{$sel}[1m]")" ] ||
	fail "netns:netstat_netns_states:stale has $X with live states on"
[ -n "$cw" ] || fail "no close_wait recorded for $X by $B1 (first scrape $S + ${DUR}s + an evaluation)"
[ "$(awk '{ print $2 }' <<<"$cw" | sort -u)" = "$BURST" ] || fail "close_wait of $X: $(tr '\n' ' ' <<<"$cw"), want $BURST"
[ -n "$alert" ] || fail "NetstatPodCloseWaitLeak not pending for $X by $B2 (an evaluation of each group after the first scrape)"
le "$(awk 'NR == 1 { print $1 }' <<<"$alert")" "$(plus "$cw_ts" 1.25)" ||
	fail "NetstatPodCloseWaitLeak pending from $(head -1 <<<"$alert"), more than an evaluation after close_wait ($cw_ts)"
# TIME_WAIT: sockstat's tw and the namespace's limit, served every scrape,
# whatever the census's age: from S, exactly what was staged and set.
tw_sel="netns=\"$X\",namespace=\"\",pod=\"\",container=\"\""
[ "$(metric_value "$TMP/r" "netstat_netns_tcp_max_tw_buckets{$tw_sel}")" = "$TW_LIMIT" ] ||
	fail "exporter: tcp_max_tw_buckets of $X: $(metric_value "$TMP/r" "netstat_netns_tcp_max_tw_buckets{$tw_sel}"), want $TW_LIMIT"
[ "$(metric_value "$TMP/r" "netstat_netns_sockstat_tcp_tw{$tw_sel}")" = $((BURST + TW_BURST)) ] ||
	fail "exporter: timewait sockets of $X: $(metric_value "$TMP/r" "netstat_netns_sockstat_tcp_tw{$tw_sel}"), want $((BURST + TW_BURST))"
twn=$(window "netstat_netns_sockstat_tcp_tw{$sel}[1m]" "$B2")
lim=$(window "netstat_netns_tcp_max_tw_buckets{$sel}[1m]" "$B2")
ratio=$(window "netns:netstat_netns_tcp_time_wait:ratio{$sel}[1m]" "$B1")
ratio_ts=$(awk 'NR == 1 { print $1 }' <<<"$ratio")
twa=$(window "ALERTS{alertname=\"NetstatPodTimeWaitNearLimit\",alertstate=\"pending\",$sel}[1m]" "$B2")
echo "timewait from $(head -1 <<<"$twn"); limit from $(head -1 <<<"$lim"); ratio from $(head -1 <<<"$ratio"); pending from $(head -1 <<<"$twa")"
[ "$(awk 'NR == 1 { print $1 }' <<<"$twn")" = "$S" ] && [ "$(awk '{ print $2 }' <<<"$twn" | sort -u)" = $((BURST + TW_BURST)) ] ||
	fail "netstat_netns_sockstat_tcp_tw of $X: $(tr '\n' ' ' <<<"$twn"), want $((BURST + TW_BURST)) from $S"
[ "$(awk 'NR == 1 { print $1 }' <<<"$lim")" = "$S" ] && [ "$(awk '{ print $2 }' <<<"$lim" | sort -u)" = "$TW_LIMIT" ] ||
	fail "netstat_netns_tcp_max_tw_buckets of $X: $(tr '\n' ' ' <<<"$lim"), want $TW_LIMIT from $S"
[ -n "$ratio" ] || fail "no netns:netstat_netns_tcp_time_wait:ratio for $X by $B1"
awk -v want="$((BURST + TW_BURST)) / $TW_LIMIT" '{ split(want, w, " / "); if ($2 != w[1] / w[2]) exit 1 }' <<<"$ratio" ||
	fail "netns:netstat_netns_tcp_time_wait:ratio of $X: $(tr '\n' ' ' <<<"$ratio"), want $((BURST + TW_BURST))/$TW_LIMIT"
[ -n "$twa" ] || fail "NetstatPodTimeWaitNearLimit not pending for $X by $B2 (an evaluation of each group after the first scrape)"
le "$(awk 'NR == 1 { print $1 }' <<<"$twa")" "$(plus "$ratio_ts" 1.25)" ||
	fail "NetstatPodTimeWaitNearLimit pending from $(head -1 <<<"$twa"), more than an evaluation after the ratio ($ratio_ts)"
for a in NetstatPodCloseWaitLeak NetstatPodTimeWaitNearLimit; do
	others=$(curl -sf -G "$PROM/api/v1/query" --data-urlencode "query=ALERTS{alertname=\"$a\"}" |
		jq -r --arg x "$X" '.data.result[] | select(.metric.netns != $x) | .metric.netns')
	[ -z "$others" ] || fail "$a for other namespaces: $others"
done
prom_stop
nsenter --net=/run/netns/$XNS sysctl -qw net.ipv4.tcp_max_tw_buckets=$TW_DEFAULT
kill "$BURST_PID"
wait "$BURST_PID" 2>/dev/null || true
ne_stop
live_x=$X

# --- the contrast: without the events collector, the stale census is skipped
run --no-collector.events
[ -z "$(metric_value "$TMP/r" "netstat_netns_live_states{netns=\"$X\",namespace=\"\",pod=\"\",container=\"\"}")" ] ||
	fail "live states without the events collector"
sel="netns=\"$X\""
[ -n "$(window "netns:netstat_netns_states:stale{$sel}[1m]" "$B1")" ] ||
	fail "without events: netns:netstat_netns_states:stale lacks $X"
[ -z "$(window "netns_state:netstat_netns_tcp_sockets:sum{$sel,state=\"close_wait\"}[1m]" "$B1")" ] ||
	fail "without events: a stale census's close_wait recorded"
[ -z "$(window "ALERTS{alertname=\"NetstatPodCloseWaitLeak\",$sel}[1m]" "$B2")" ] ||
	fail "without events: NetstatPodCloseWaitLeak for a stale census"
prom_stop
ne_stop
echo "PASS: a CLOSE_WAIT burst of $BURST in a stale namespace ($live_x) is recorded and NetstatPodCloseWaitLeak pending from Prometheus' first scrape and evaluations; without the events collector, not. Its $((BURST + TW_BURST)) timewait sockets of $TW_LIMIT served from the first scrape, NetstatPodTimeWaitNearLimit pending at the next evaluation"
