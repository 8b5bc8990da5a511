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

# The bare exporter first (what the collector adds is measured against it).
start_ne
for _ in $(seq 20); do $NEX curl -sf -o /dev/null "$URL"; done
bare=$(kib VmHWM)
bkm=$(kmem)
stop_ne
start_ne --collector.events
grep -q 'events collector on' "$TMP/ne.log" || { cat "$TMP/ne.log" >&2; exit 1; }
echo "1. BPF maps (bpftool map show: memlock)"
maps=$(grep -h '^map_id:' /proc/"$NE_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un |
	while read -r id; do bpftool map show id "$id" --json; done | jq -s '.')
echo "$maps" | jq -r '.[] | "   \(.name) (\(.type), \(.max_entries) entries): \(.bytes_memlock) bytes"'
echo "$maps" | jq -r '"   all maps: \(map(.bytes_memlock) | add) bytes"'

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
for i in $(seq "$PODS"); do
	for _ in $(seq 600); do grep -q ready "$TMP/pod.$i" && break; sleep 0.05; done
	grep -q ready "$TMP/pod.$i" || { cat "$TMP/pod.$i" >&2; exit 1; }
done
scrapes "$(sockets) sockets, $PODS pods"
echo "   (the events collector's series name $(grep -o 'netns="[0-9]*"' "$TMP/m" | sort -u | wc -l) namespaces besides its own)"

echo "3. peak RSS and kernel memory"
hwm=$(kib VmHWM)
km=$(kmem)
stop_ne
echo "   exporter with the events collector: peak RSS $hwm KiB, kernel $km KiB"
echo "   exporter with no collector:         peak RSS $bare KiB, kernel $bkm KiB"
echo "   the events collector:               peak RSS $((hwm - bare)) KiB, kernel $((km - bkm)) KiB"
