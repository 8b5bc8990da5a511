# Integration test of the live states that have no state events
# (docs/events.md, "Live states"): syn_recv (request sockets, from the
# listeners' SYN queues read each scrape) and time_wait (timewait sockets,
# from the namespace's sockstat each scrape), served for namespaces sharing
# the host's TCP hash table whose census is stale. NS namespaces, one census
# per scrape: once at least two censuses are stale, the youngest stale one
# gets SYN backlogs (SYN-ACKs dropped) on a listener its seed walk found and
# on one made since, and a TIME_WAIT burst, and the next
# scrape, still without its census, must serve every state as `ss -tan`
# counts it, exactly. Then orphans in FIN_WAIT2 (timewait sockets too: the
# client closed, the server keeps its end): sockstat counts them with
# TIME_WAIT, so until the next census they are served as time_wait, exactly
# that many off each (time_wait + fin_wait2 exact); after a census, every
# state exact again. Orphans a census saw and gone since (another namespace,
# a short tcp_fin_timeout): time_wait + fin_wait2 exact while it is stale.
#   bash tests/integration/live_queues.sh BUILD_DIR SRC_DIR
source "$(dirname "$0")/../lib/common.sh"
ne_have_events || { echo "SKIP: built without the events collector"; exit 0; }
ne_enter_netns
mkdir -p /run/netns
mount -t tmpfs live-queues /run/netns
command -v nft >/dev/null || fail "nft (nftables) is required"

NS=4
declare -a INO=()
for i in $(seq 0 $((NS - 1))); do
	ip netns add lq-$i
	nsenter --net=/run/netns/lq-$i ip link set lo up
	nsenter --net=/run/netns/lq-$i sysctl -qw net.ipv4.tcp_syncookies=0
	INO[$i]=$(stat -L -c %i /run/netns/lq-$i)
	nsenter --net=/run/netns/lq-$i "$POP" L,127.0.0.1,8080 L,127.0.0.1,9090,64 \
		E,4,127.0.0.1,127.0.0.1,8080 T,2,127.0.0.1,127.0.0.1,8080 >"$TMP/pop-$i.out" 2>&1 &
	wait_ready "$TMP/pop-$i.out"
done

ne_start --collector.netns.census-budget=0 --collector.netns.census-interval=2s
for _ in $(seq $((NS + 1))); do ne_scrape >/dev/null || fail "scrape failed"; done
grep -q '^netstat_netns_live_states{netns="'"${INO[0]}"'"' <(ne_scrape) ||
	fail "namespace 0's states are not live: $(tail -3 "$TMP/ne.log")"

age_of() { census_age "$1" "${INO[$2]}"; } # FILE NS -> census age in seconds
stale() { older_than "$1" 2; }

# The youngest of at least two stale censuses: the next scrape's census
# goes to an older one.
pick_stale() {
	local i a best="" best_age="" n=0
	ne_scrape >"$TMP/r" || fail "scrape failed"
	for i in $(seq 0 $((NS - 1))); do
		a=$(age_of "$TMP/r" "$i")
		stale "$a" || continue
		n=$((n + 1))
		if [ -z "$best" ] || awk -v a="$a" -v b="$best_age" 'BEGIN { exit !(a < b) }'; then
			best=$i best_age=$a
		fi
	done
	[ "$n" -ge 2 ] && X=$best
}
# Censuses go stale by age alone: no scrape for longer than the interval.
sleep 2.5
pick_stale || fail "fewer than two stale censuses after 2.5 s without a scrape"
NSX=/run/netns/lq-$X

# Scrapes into $1 between two equal ss counts of namespace X (in $TMP/ss).
scrape_still() {
	for _ in $(seq 20); do
		ss_state_counts $NSX >"$TMP/ss"
		ne_scrape >"$1" || fail "scrape failed"
		ss_state_counts $NSX >"$TMP/ss2"
		cmp -s "$TMP/ss" "$TMP/ss2" && return 0
		sleep 0.1
	done
	fail "the sockets never held still for a scrape"
}

# Fails unless scrape $1 serves every TCP state of namespace X as ss counted
# it, but $3 orphans in FIN_WAIT2 as time_wait ("any": fin_wait2 and
# time_wait compared summed); $2 says when.
expect_states() {
	local why
	why=$(netns_states_off "$TMP/ss" "$1" "${INO[$X]}" 0 "${3:-0}")
	[ -z "$why" ] || fail "$2: $why"
}

# Fails unless scrape $1 shows namespace X's census stale ($2: when).
expect_stale() {
	stale "$(age_of "$1" "$X")" || fail "$2: namespace $X had its census: the test did not test live states"
}

# SYN backlogs (SYN-ACKs dropped) on 9090, a listener the seed walk found,
# and on 9191, one made since, and a TIME_WAIT burst.
nsenter --net=$NSX bash -c "$(declare -f drop_syn_acks); drop_syn_acks lq 9090; drop_syn_acks lq2 9191"
nsenter --net=$NSX "$POP" S,7,127.0.0.2,127.0.0.1,9090 L,127.0.0.1,9191 S,3,127.0.0.3,127.0.0.1,9191 \
	L,127.0.0.1,7070 T,9,127.0.0.1,127.0.0.1,7070 >"$TMP/burst.out" 2>&1 &
wait_ready "$TMP/burst.out"
wait_until 10 syn_recv_count_is 10 nsenter --net=$NSX
scrape_still "$TMP/r"
expect_stale "$TMP/r" "a SYN backlog and a TIME_WAIT burst"
expect_states "$TMP/r" "a SYN backlog and a TIME_WAIT burst in a stale namespace"
expect_value "$TMP/r" "netstat_netns_tcp_sockets{netns=\"${INO[$X]}\",namespace=\"\",pod=\"\",container=\"\",family=\"ipv4\",state=\"syn_recv\"}" 10
expect_value "$TMP/r" "netstat_netns_tcp_sockets{netns=\"${INO[$X]}\",namespace=\"\",pod=\"\",container=\"\",family=\"ipv4\",state=\"time_wait\"}" 11

# Orphans in FIN_WAIT2: time_wait 5 over, fin_wait2 5 under, until a census.
nsenter --net=$NSX "$POP" L,127.0.0.1,6060 K,5,127.0.0.1,127.0.0.1,6060 >"$TMP/orphans.out" 2>&1 &
wait_ready "$TMP/orphans.out"
scrape_still "$TMP/r"
expect_stale "$TMP/r" "orphans in FIN_WAIT2"
expect_states "$TMP/r" "orphans in FIN_WAIT2 in a stale namespace" 5

# Its census, then exact.
for _ in $(seq $((NS + 1))); do
	scrape_still "$TMP/r"
	stale "$(age_of "$TMP/r" "$X")" || break
done
stale "$(age_of "$TMP/r" "$X")" && fail "namespace $X never had its census"
expect_states "$TMP/r" "after its census"

# Orphans gone since a census that saw them (their fin_timeout over, no FIN
# from the peer) while the census is stale: fin_wait2 holds no more of them
# than sockstat's tw does, so fin_wait2 + time_wait is the kernel's. In
# another namespace, with fewer TIME_WAIT sockets than the orphans.
X=$(((X + 1) % NS))
NSX=/run/netns/lq-$X
nsenter --net=$NSX sysctl -qw net.ipv4.tcp_fin_timeout=10
nsenter --net=$NSX "$POP" L,127.0.0.1,6262 K,20,127.0.0.1,127.0.0.1,6262 >"$TMP/gone.out" 2>&1 &
wait_ready "$TMP/gone.out"
made=$(date +%s.%N) seen=
for _ in $(seq $((NS + 1))); do # until a census of X made after the orphans
	t=$(date +%s.%N)
	scrape_still "$TMP/r"
	awk -v a="$(age_of "$TMP/r" "$X")" -v t="$t" -v m="$made" 'BEGIN { exit !(a != "" && a < t - m) }' && seen=1 && break
done
[ -n "$seen" ] || fail "namespace $X never had its census"
[ "$(awk '$2 == "FIN-WAIT-2" { n += $3 } END { print n + 0 }' "$TMP/ss")" = 20 ] ||
	fail "namespace $X's census did not see the 20 orphans (tcp_fin_timeout 10 s): $(cat "$TMP/ss")"
expect_states "$TMP/r" "20 orphans at their census"
no_fin_wait2() { [ -z "$(nsenter --net=$NSX ss -tanH state fin-wait-2)" ]; }
wait_until 30 no_fin_wait2
scrape_still "$TMP/r"
expect_stale "$TMP/r" "orphans gone since the census"
expect_states "$TMP/r" "orphans gone since a stale census" any
expect_promtool_clean "$TMP/r"
echo "PASS: syn_recv and time_wait served live in a stale namespace, exact against ss"
