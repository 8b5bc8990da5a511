#!/usr/bin/env bash
# The events collector at scale (docs/events.md#benchmark): its scrape cost
# against the socket count, its memory in the exporter and in the kernel.
# Runs in private PID, mount and network namespaces (its populations and
# namespaces are its own; the BPF programs still see the whole host's
# events). An exporter with the events collector only, in a memory cgroup of
# its own, so the kernel memory it causes (BPF maps and programs, and
# anything its programs store per socket) is charged there and nothing else
# is: memory.kmem.usage_in_bytes (cgroup v1) or memory.stat's `kernel`
# (v2). In order:
#  1. bpftool's memlock of the exporter's maps;
#  2. for each size of SIZES (sockets: established loopback pairs in this
#     namespace, made with the layer on), 20 scrapes: the median of
#     netstat_exporter_collector_duration_seconds{collector="events"}, the
#     series, the counts map's entries, the exporter's RSS and kernel memory;
#  3. the same with PODS network namespaces (pods) more, each with 50
#     established pairs and 20 connects to a closed port (series of its own:
#     connections opened, closed-port SYNs, resets, connect failures);
#  4. the exporter's peak RSS (VmHWM) and kernel memory against a bare one
#     (no collector, measured first).
# With EVENTS_SCALE_NE_NETNS=1 the exporter runs in a network namespace of
# its own, so every socket made here is another namespace's to it and the
# live TCP states keep storage for each (docs/events.md#live-states).
# With EVENTS_SCALE_SEEDED=PAIRS (the issue's 1M sockets over 100 pods:
# EVENTS_SCALE_SEEDED=4750 EVENTS_SCALE_LATER=250), the live states at
# scale instead of 2. and 3.: PODS pods each holding PAIRS established
# loopback pairs made before the exporter starts, so its seed walk counts
# them and each keeps socket storage (docs/events.md#live-states); the
# exporter runs the netns collector too (the seed walks run in census slots)
# and is scraped until every pod is served live (netstat_netns_live_states);
# then each pod gets EVENTS_SCALE_LATER (default 0) pairs more, counted from
# their state changes without storage. The bare exporter runs the netns
# collector alone, scraped until every pod had a census. Slab: /proc/meminfo
# SUnreclaim and /proc/slabinfo's largest growths from before the exporter
# started to after the scrapes, and after it exited.
# Usage (as root): bench/events_scale.sh BUILD_DIR [SIZES [PODS]]
#   defaults: SIZES="10000 1000000", PODS=100 (a few minutes; ~3 GB of
#   kernel memory at 1M sockets)
# Build first: cmake --build BUILD_DIR --target netstat_exporter sockpop
set -euo pipefail
BENCH_ARGS=("$@")
BUILD=$(cd "${1:?usage: events_scale.sh BUILD_DIR [SIZES [PODS]]}" && pwd)
SIZES=${2:-10000 1000000}
PODS=${3:-100}
if [ "${NE_BENCH_NETNS:-}" != 1 ]; then
	NE_BENCH_NETNS=1 exec unshare -m -n -p -f --mount-proc --propagation private -- bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
NE="$BUILD/netstat_exporter"
POP="$BUILD/tests/sockpop"
bench_need "$NE" "$POP" bpftool jq curl
bench_need_events "$BUILD"
PORT=19401
URL="http://127.0.0.1:$PORT/metrics"
NE_PID=""
NEX="" # how the exporter and its scrapes are run
if [ "${EVENTS_SCALE_NE_NETNS:-0}" = 1 ]; then
	mkdir -p /run/netns
	ip netns add evs-ne
	NEX="nsenter --net=/run/netns/evs-ne"
	$NEX ip link set lo up
fi

# The exporter's memory cgroup, and its kernel memory in KiB.
if [ -f /sys/fs/cgroup/memory/memory.kmem.usage_in_bytes ]; then
	CG=/sys/fs/cgroup/memory/netstat-events-scale-$$
	kmem() { echo $(($(cat "$CG/memory.kmem.usage_in_bytes") / 1024)); }
elif grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	CG=/sys/fs/cgroup/netstat-events-scale-$$
	kmem() { awk '$1 == "kernel" { print int($2 / 1024) }' "$CG/memory.stat"; }
else
	echo "no memory cgroup controller: kernel memory not measured" >&2
	CG=""
	kmem() { echo 0; }
fi
[ -z "$CG" ] || mkdir "$CG"
scale_cleanup() {
	[ -z "$NE_PID" ] || kill "$NE_PID" 2>/dev/null || true
	bench_cleanup
	[ -z "$CG" ] || rmdir "$CG" 2>/dev/null || true
}
trap scale_cleanup EXIT

start_ne() {
	(
		[ -z "$CG" ] || echo "$BASHPID" >"$CG/cgroup.procs"
		exec $NEX "$NE" --web.listen-address="127.0.0.1:$PORT" --collector.disable-defaults "$@"
	) >"$TMP/ne.log" 2>&1 &
	NE_PID=$!
	for _ in $(seq 200); do $NEX curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0; sleep 0.05; done
	cat "$TMP/ne.log" >&2
	exit 1
}
stop_ne() { kill "$NE_PID"; wait "$NE_PID" 2>/dev/null || true; NE_PID=""; }
kib() { awk -v k="$1" '$1 == k ":" { print $2 }' /proc/"$NE_PID"/status; }
# 20 scrapes: the median events collector time (ms), the series, entries.
scrapes() { # LABEL
	local m="$TMP/m"
	: >"$TMP/d"
	for _ in $(seq 20); do
		$NEX curl -sf "$URL" >"$m"
		awk '/^netstat_exporter_collector_duration_seconds\{collector="events"\}/ { print $2 * 1000 }' "$m" >>"$TMP/d"
	done
	printf '   %-30s %7.3f ms (max %7.3f) %6d %7d %9d %9d\n' \
		"$1" "$(median <"$TMP/d")" "$(sort -n "$TMP/d" | tail -1)" \
		"$(grep -c '^netstat_\(tcp\|udp\)_[a-z_]*[{ ]' "$m" || true)" \
		"$(awk '/^netstat_events_map_entries\{map="counts"\}/ { print $2 }' "$m")" "$(kib VmRSS)" "$(kmem)"
}
sockets() { ss -Htan | wc -l; }

# Waits until each sockpop output file given says ready (60 s each at most).
ready_all() {
	local f
	for f; do
		for _ in $(seq 1200); do grep -q ready "$f" && break; sleep 0.05; done
		grep -q ready "$f" || { cat "$f" >&2; exit 1; }
	done
}
# Seeded mode: the pods and their population, before any exporter.
SEEDED=${EVENTS_SCALE_SEEDED:-0}
LATER=${EVENTS_SCALE_LATER:-0}
NETNS_FLAGS=()
declare -a POD_PIDS=()
# TCP sockets in use in the pods (their sockstat), summed.
pod_sockets() {
	local p
	for p in "${POD_PIDS[@]}"; do awk '$1 == "TCP:" { print $3 }' /proc/"$p"/net/sockstat; done |
		awk '{ s += $1 } END { print s + 0 }'
}
if [ "$SEEDED" -gt 0 ]; then
	[ "$SEEDED" -le 9000 ] || { echo "EVENTS_SCALE_SEEDED: at most 9000 pairs per pod (fd limit)" >&2; exit 1; }
	NETNS_FLAGS=(--collector.netns)
	t0=$SECONDS
	for i in $(seq "$PODS"); do
		unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$POP" L,127.0.0.1,8080,4096 \
			E,"$SEEDED",127.0.0.1,127.0.0.1,8080 >"$TMP/pod.$i" 2>&1 &
		PIDS+=("$!")
		POD_PIDS[$i]=$!
	done
	ready_all "$TMP"/pod.*
	echo "0. $PODS pods of $SEEDED established pairs each: $(pod_sockets) TCP sockets in the pods ($((SECONDS - t0)) s)"
fi
# Scrapes until $1 series of family $2 with value 1 (or any value: $3 =
# any) name a pod; prints the scrapes it took and their time.
scrape_until_pods() { # FAMILY [any]
	local n=0 t0=$SECONDS got
	while :; do
		$NEX curl -sf "$URL" >"$TMP/m"
		n=$((n + 1))
		got=$(awk -v f="$1" -v any="${2:-}" 'index($0, f "{netns=\"") == 1 && (any != "" || $NF == 1)' "$TMP/m" | wc -l)
		[ "$got" -ge "$PODS" ] && break
		[ "$n" -lt 2000 ] || { echo "only $got of $PODS pods in $1 after $n scrapes" >&2; exit 1; }
	done
	echo "$n scrapes, $((SECONDS - t0)) s"
}
slab() { awk '$1 == "SUnreclaim:" { print $2 }' /proc/meminfo; }
# name -> bytes (active objects x object size) of every slab cache
slabinfo() { awk 'NR > 2 { print $1, $2 * $4 }' /proc/slabinfo; }

# The bare exporter first (what the collector adds is measured against it).
start_ne "${NETNS_FLAGS[@]}"
if [ "$SEEDED" -gt 0 ]; then
	echo "   bare exporter (netns collector): every pod censused in $(scrape_until_pods netstat_netns_census_age_seconds any)"
fi
for _ in $(seq 20); do $NEX curl -sf -o /dev/null "$URL"; done
bare=$(kib VmHWM)
bkm=$(kmem)
stop_ne
slab0=$(slab)
slabinfo >"$TMP/slab0"
start_ne "${NETNS_FLAGS[@]}" --collector.events
grep -q 'events collector on' "$TMP/ne.log" || { cat "$TMP/ne.log" >&2; exit 1; }
echo "1. BPF maps (bpftool map show: memlock)"
maps=$(grep -h '^map_id:' /proc/"$NE_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un |
	while read -r id; do bpftool map show id "$id" --json; done | jq -s '.')
echo "$maps" | jq -r '.[] | "   \(.name) (\(.type), \(.max_entries) entries): \(.bytes_memlock) bytes"'
echo "$maps" | jq -r '"   all maps: \(map(.bytes_memlock) | add) bytes"'

if [ "$SEEDED" -gt 0 ]; then
	echo "2. seed walks: every pod served live in $(scrape_until_pods netstat_netns_live_states)"
	echo "   $(awk '/^netstat_events_program_events_total\{program="iter_tcp"\}/ { print $2 }' "$TMP/m") sockets counted by the seed walks"
	if [ "$LATER" -gt 0 ]; then
		for i in $(seq "$PODS"); do
			nsenter --net=/proc/"${POD_PIDS[$i]}"/ns/net "$POP" L,127.0.0.1,8081,4096 \
				E,"$LATER",127.0.0.1,127.0.0.1,8081 >"$TMP/later.$i" 2>&1 &
			PIDS+=("$!")
		done
		ready_all "$TMP"/later.*
		echo "   then $LATER pairs more per pod (no storage): $(pod_sockets) TCP sockets in the pods"
	fi
	: >"$TMP/d"
	: >"$TMP/dn"
	for _ in $(seq 20); do
		$NEX curl -sf "$URL" >"$TMP/m"
		awk '/^netstat_exporter_collector_duration_seconds\{collector="events"\}/ { print $2 * 1000 }' "$TMP/m" >>"$TMP/d"
		awk '/^netstat_exporter_collector_duration_seconds\{collector="netns"\}/ { print $2 * 1000 }' "$TMP/m" >>"$TMP/dn"
	done
	printf '   20 scrapes: events collector %.3f ms (median; max %.3f), netns collector %.1f ms; RSS %d KiB, kernel (cgroup) %d KiB\n' \
		"$(median <"$TMP/d")" "$(sort -n "$TMP/d" | tail -1)" "$(median <"$TMP/dn")" "$(kib VmRSS)" "$(kmem)"
	slab1=$(slab)
	slabinfo >"$TMP/slab1"
	echo "   served live: $(grep -c '^netstat_netns_live_states{.*} 1$' "$TMP/m") pods; drift: $(awk '/^netstat_events_state_drift_sockets\{/ { s += ($NF < 0 ? -$NF : $NF) } END { print s + 0 }' "$TMP/m") sockets summed"
	echo "3. memory"
	hwm=$(kib VmHWM)
	km=$(kmem)
	maps=$(grep -h '^map_id:' /proc/"$NE_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un |
		while read -r id; do bpftool map show id "$id" --json; done | jq -s '.')
	echo "   BPF maps now: $(echo "$maps" | jq -r 'map("\(.name) \(.bytes_memlock)") | join(", ")') bytes (memlock)"
	stop_ne
	# The maps are freed after the exporter exits (the kernel defers it):
	# until its cgroup's kernel memory is back under a tenth of what the
	# collector added, at most 120 s.
	t0=$SECONDS
	while [ "$(kmem)" -gt $((bkm + (km - bkm) / 10)) ] && [ $((SECONDS - t0)) -lt 120 ]; do sleep 1; done
	slab2=$(slab)
	echo "   slab SUnreclaim: $slab0 KiB before the exporter, $slab1 KiB seeded and scraped (+$((slab1 - slab0)) KiB), $slab2 KiB after it exited ($((slab2 - slab0)) KiB against before; its cgroup's kernel memory $(kmem) KiB $((SECONDS - t0)) s after)"
	echo "   slab caches grown most (/proc/slabinfo, active objects x size, KiB; the sockets made later and the /proc inodes the scrapes read included):"
	join <(sort "$TMP/slab0") <(sort "$TMP/slab1") | awk '{ d = ($3 - $2) / 1024; if (d > 1024) printf "     %-28s %10.0f\n", $1, d }' | sort -k2 -nr | head -6
	echo "   exporter (events + netns collectors): peak RSS $hwm KiB, kernel (cgroup) $km KiB"
	echo "   exporter (netns collector):           peak RSS $bare KiB, kernel (cgroup) $bkm KiB"
	echo "   the events collector:                 peak RSS $((hwm - bare)) KiB, kernel $((km - bkm)) KiB"
	exit 0
fi

echo "2. the events collector at each size (20 scrapes; RSS and kernel memory of the exporter)"
printf '   %-30s %-25s %6s %7s %9s %9s\n' population "collector time, median" series entries "RSS KiB" "kmem KiB"
printf '   %-30s %7s ms (max %7s) %6s %7s %9d %9d\n' "0 sockets, at start" - - - - "$(kib VmRSS)" "$(kmem)"
for size in $SIZES; do
	bench_grow_pairs $((size / 2))
	scrapes "$(sockets) sockets"
done
for i in $(seq "$PODS"); do
	out="$TMP/pod.$i"
	unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$POP" L,127.0.0.1,8080,4096 \
		E,50,127.0.0.1,127.0.0.1,8080 S,20,127.0.0.1,127.0.0.1,9 >"$out" 2>&1 &
	PIDS+=("$!")
done
ready_all "$TMP"/pod.*
scrapes "$(sockets) sockets, $PODS pods"
echo "   (the events collector's series name $(grep -o 'netns="[0-9]*"' "$TMP/m" | sort -u | wc -l) namespaces besides its own)"

echo "3. peak RSS and kernel memory"
hwm=$(kib VmHWM)
km=$(kmem)
stop_ne
echo "   exporter with the events collector: peak RSS $hwm KiB, kernel $km KiB"
echo "   exporter with no collector:         peak RSS $bare KiB, kernel $bkm KiB"
echo "   the events collector:               peak RSS $((hwm - bare)) KiB, kernel $((km - bkm)) KiB"
