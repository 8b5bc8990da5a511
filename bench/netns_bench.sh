# Benchmark of the netns collector (issue 10): NS namespaces of PER sockets
# each against one namespace holding the same NS*PER sockets, with and without
# per-namespace TCP hash tables (net.ipv4.tcp_child_ehash_entries set before
# the namespaces are made), against cAdvisor's method in the same run.
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-rel --target netstat_exporter sockpop bench
#   flock /tmp/netstat-bench.lock bash bench/netns_bench.sh build-rel [NS] [PER] [RUNS] [EHASH]
# Defaults: 100 namespaces, 1000 sockets each (500 established loopback
# pairs), 7 runs per median, tcp_child_ehash_entries=65536 for "own tables".
# Runs in private PID, mount and network namespaces, so the exporter sees
# only the namespaces made here (but a shared hash table is the whole host's:
# other programs' sockets are walked too, as they would be on a node).
# Prints, per mode (own tables, shared table):
#   single_ms   scrape of the netns collector over one namespace of NS*PER
#               sockets (full census every scrape)
#   cold_ms     first scrape over the NS namespaces (opens a socket in each)
#   steady_ms   later scrapes: own tables, full census of all; shared, the
#               cheap tier only (budget 0)
#   rotate_ms   shared only: median and max scrape with the default budget
#               (250ms), and full censuses made per scrape
#   churn_ms    scrape after 10 namespaces were replaced
#   cadv_ms     cAdvisor's method: /proc/PID/net/tcp + tcp6 of one process
#               per namespace, read and parsed (runs alternate with the
#               steady scrapes, so both see the same load)
# with the ratios the issue sets targets for, and the exporter's peak RSS.
# Then the same for CPU time (user + system, the kernel's dump work included:
# the exporter's from /proc/PID/stat around its scrapes, cAdvisor's method's
# from its own clock), which a loaded machine moves less than wall time.
#
# Issue 19's runs (each compares two builds in the same run: BASE, e.g. a
# Release build of wave2-base, and BUILD):
#   bash bench/netns_bench.sh BUILD age BASE [SECONDS] [PERIOD] [BIG] [SMALL]
#     one namespace of BIG sockets (default 300000) and SMALL (20) namespaces
#     of 50 sockets on the shared table, default netns flags, only the netns
#     collector, a scrape every PERIOD s (15) for SECONDS (300) (the "after"
#     runs add AGE_AFTER_FLAGS, e.g. "--collector.events": live states); then the same
#     with the SMALL made after tcp_child_ehash_entries=4096 (own tables).
#     Per build: the small namespaces' census age over all their samples
#     (median, p90, max; a namespace never censused counts the time since the
#     exporter started), the share of samples whose state series were served
#     (all, and in the run's second half) and of those with a census made in
#     that scrape, and the exporter's CPU
#     and wall time per scrape (median, max).
#   bash bench/netns_bench.sh BUILD outside BASE [RUNS] [SOCKETS]
#     the exporter in a private network namespace (not the init one) of
#     SOCKETS (150000) sockets, in the host's PID namespace (it sees the
#     init namespace and the node's others): CPU per scrape of the default
#     collectors against the same without the netns collector, alternating,
#     RUNS (15) scrapes each.
#
# Issue 18's run (the per-pod census against the sockets collector):
#   bash bench/netns_bench.sh BUILD pods [RUNS] [SOCKETS] [PODS]
#     SOCKETS (300000) sockets in the exporter's own network namespace (a
#     private one: it shares the host's hash table, as every pod does) and
#     PODS (20) pods of 50 sockets (25 established pairs) on the shared
#     table, all made before the exporters start. Three exporters over the
#     same population, scraped in turn RUNS (20) times each after a warm-up
#     (until every pod is served live, or had a census): the sockets
#     collector alone; the netns collector with the events collector (live
#     states; default netns flags); the netns collector alone. Per exporter:
#     CPU ms per scrape (user + system of the process, the kernel's dump work
#     included; the BPF programs' run in the context of the sockets' owners
#     and are not in it), median and max, and per pod sample the share with
#     its full sockets' states served (live or a current census) and with a
#     census made in that scrape.
set -euo pipefail

BUILD=$(cd "${1:?usage: netns_bench.sh BUILD_DIR [NS] [PER] [RUNS] [EHASH]}" && pwd)
MODE=issue10
case "${2:-}" in age|outside|pods) MODE=$2 ;; esac
if [ "$MODE" = outside ] && [ "${NE_BENCH_NETNS:-}" != 1 ]; then
	# The host's PID namespace, a private network namespace.
	NE_BENCH_NETNS=1 exec unshare -m -n --propagation private -- bash "$0" "$@"
fi
NS=${2:-100}
PER=${3:-1000}
RUNS=${4:-7}
EHASH=${5:-65536}

if [ "${NE_BENCH_NETNS:-}" != 1 ]; then
	NE_BENCH_NETNS=1 exec unshare -m -n -p -f --mount-proc --propagation private -- bash "$0" "$@"
fi
ip link set lo up
ulimit -n 20000
# The issue 19 modes' arguments, past the issue 10 ones' places.
[ "$MODE" = issue10 ] || set -- "$1" 100 1000 7 65536 "${@:2}"
mkdir -p /run/netns
mount -t tmpfs issue10c-bench /run/netns

NE=${NE_OVERRIDE:-$BUILD/netstat_exporter}
POP="$BUILD/tests/sockpop"
CADV="$BUILD/bench/procnet_tcp"
for f in "$NE" "$POP" "$CADV"; do [ -x "$f" ] || { echo "missing $f" >&2; exit 1; }; done

TMP=$(mktemp -d /tmp/issue10c-bench.XXXXXX)
NE_PID=""
declare -a NSPIDS=() # one process per namespace (it holds it)
declare -a EXTRA=()  # more workers in the single namespace
cleanup() {
	[ -n "$NE_PID" ] && kill "$NE_PID" 2>/dev/null
	for p in "${NSPIDS[@]}" "${EXTRA[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
maxof() { sort -n | tail -1; }

wait_ready() {
	for _ in $(seq 6000); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.05; done
	cat "$1" >&2
	exit 1
}

# A new namespace holding PAIRS established pairs, in the background; its
# process's pid is appended to NSPIDS.
new_ns() { # PAIRS TAG
	local out="$TMP/ns.$2"
	unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$POP" L,127.0.0.1,8080,4096 \
		"E,$1,127.0.0.1,127.0.0.1,8080" >"$out" 2>&1 &
	NSPIDS+=("$!")
	wait_ready "$out"
}

drop_all() {
	for p in "${NSPIDS[@]}" "${EXTRA[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	NSPIDS=()
	EXTRA=()
}

# One namespace of TOTAL sockets: workers of at most 9000 pairs (fd limit).
single_ns() { # TOTAL
	local left=$(($1 / 2)) w=0 n out
	n=$((left > 9000 ? 9000 : left))
	new_ns "$n" single0
	left=$((left - n))
	while [ "$left" -gt 0 ]; do
		w=$((w + 1))
		n=$((left > 9000 ? 9000 : left))
		out="$TMP/single.$w"
		nsenter --net=/proc/${NSPIDS[0]}/ns/net "$POP" "L,127.0.0.1,$((8080 + w)),4096" \
			"E,$n,127.0.0.$((1 + w)),127.0.0.1,$((8080 + w))" >"$out" 2>&1 &
		EXTRA+=("$!")
		wait_ready "$out"
		left=$((left - n))
	done
}

ne_start() {
	"$NE" --web.listen-address=127.0.0.1:19110 --collector.disable-defaults --collector.netns \
		--collector.netns.max-namespaces=100000 "$@" >"$TMP/ne.log" 2>&1 &
	NE_PID=$!
	for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:19110/healthz && return 0; sleep 0.05; done
	cat "$TMP/ne.log" >&2
	exit 1
}
RSS_MAX=0
ne_stop() {
	local rss
	rss=$(awk '/VmHWM/ { print $2 }' "/proc/$NE_PID/status")
	[ "$rss" -gt "$RSS_MAX" ] && RSS_MAX=$rss
	kill "$NE_PID"
	wait "$NE_PID" 2>/dev/null || true
	NE_PID=""
}
HZ=$(getconf CLK_TCK)
cpu_ms() { awk -v hz="$HZ" '{ print ($14 + $15) * 1000 / hz }' "/proc/$NE_PID/stat"; }
scrape_ms() { curl -s -o "$TMP/last" -w '%{time_total}\n' http://127.0.0.1:19110/metrics | awk '{ print $1 * 1000 }'; }
scrapes_ms() { for _ in $(seq "$RUNS"); do scrape_ms; done; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

run_mode() { # MODE EHASH
	local mode=$1 single cold steady rot rotmax made churn cadv ehash
	sysctl -qw net.ipv4.tcp_child_ehash_entries="$2"

	single_ns $((NS * PER))
	ne_start --collector.netns.census-budget=1h
	scrape_ms >/dev/null
	c0=$(cpu_ms)
	single=$(scrapes_ms | median)
	single_cpu=$(awk -v a="$c0" -v b="$(cpu_ms)" -v n="$RUNS" 'BEGIN { print (b - a) / n }')
	ehash=$(grep -m1 '^netstat_netns_tcp_ehash_entries' "$TMP/last" | awk '{ print $2 }')
	ne_stop
	drop_all

	for i in $(seq "$NS"); do new_ns $((PER / 2)) "$i"; done
	if [ "$mode" = own ]; then
		ne_start --collector.netns.census-budget=1h
	else
		ne_start --collector.netns.census-budget=0 --collector.netns.census-interval=1h
	fi
	cold=$(scrape_ms)
	# Interleaved with cAdvisor's method, so both see the same load.
	: >"$TMP/steady"
	: >"$TMP/cadv"
	: >"$TMP/cadv_cpu"
	steady_cpu=0
	for _ in $(seq "$RUNS"); do
		c0=$(cpu_ms)
		scrape_ms >>"$TMP/steady"
		steady_cpu=$(awk -v s="$steady_cpu" -v a="$c0" -v b="$(cpu_ms)" 'BEGIN { print s + b - a }')
		out=$("$CADV" 1 "${NSPIDS[@]}")
		echo "$out" | sed 's/^procnet_ms=//; s/ .*//' >>"$TMP/cadv"
		echo "$out" | sed 's/.*cpu_ms=//; s/ .*//' >>"$TMP/cadv_cpu"
	done
	steady=$(median <"$TMP/steady")
	steady_cpu=$(awk -v s="$steady_cpu" -v n="$RUNS" 'BEGIN { print s / n }')
	cadv=$(median <"$TMP/cadv")
	cadv_cpu=$(median <"$TMP/cadv_cpu")
	grep -q "netstat_netns_namespaces $NS\$" "$TMP/last" || { echo "expected $NS namespaces" >&2; grep netns_namespaces "$TMP/last" >&2; exit 1; }
	# Churn: 10 namespaces replaced before each scrape.
	: >"$TMP/churn"
	for r in $(seq "$RUNS"); do
		for k in $(seq 10); do
			kill "${NSPIDS[0]}"
			wait "${NSPIDS[0]}" 2>/dev/null || true
			NSPIDS=("${NSPIDS[@]:1}")
			new_ns $((PER / 2)) "c$r.$k"
		done
		scrape_ms >>"$TMP/churn"
	done
	churn=$(median <"$TMP/churn")
	ne_stop
	rot="-"
	rotmax="-"
	made="-"
	if [ "$mode" = shared ]; then
		ne_start
		scrape_ms >/dev/null
		scrapes_ms >"$TMP/rot"
		rot=$(median <"$TMP/rot")
		rotmax=$(maxof <"$TMP/rot")
		made=$(grep -c '^netstat_netns_census_age_seconds{.*} 0$' "$TMP/last" || true)
		ne_stop
	fi
	drop_all
	printf '%-7s %7s %9.2f %8.2f %9.2f %9s %9s %5s %8.2f %9.2f\n' "$mode" "$ehash" "$single" "$cold" "$steady" \
		"$rot" "$rotmax" "$made" "$churn" "$cadv"
	printf '%-7s cpu_ms: single %.1f  steady %.1f  cadvisor %.1f  steady/single=%s  cadvisor/steady=%s\n' \
		"$mode" "$single_cpu" "$steady_cpu" "$cadv_cpu" "$(ratio "$steady_cpu" "$single_cpu")" \
		"$(ratio "$cadv_cpu" "$steady_cpu")" >>"$TMP/cpu"
	if [ "$mode" = own ]; then
		echo "own: steady/single=$(ratio "$steady" "$single") (target <= 1.5)  cadvisor/steady=$(ratio "$cadv" "$steady") (target >= 10)" >>"$TMP/ratios"
	else
		echo "shared: cheap-tier/single=$(ratio "$steady" "$single") (target <= 1.5)  rotating max ${rotmax} ms vs budget 250 ms  cadvisor/rotating=$(ratio "$cadv" "$rot") cadvisor/cheap=$(ratio "$cadv" "$steady") (target >= 10)" >>"$TMP/ratios"
	fi
}

# ---- issue 19: census age with one big namespace, and outside the init one ----

pct() { # P: the P-th percentile of stdin
	sort -n | awk -v p="$1" '{ a[NR] = $1 } END { i = int((NR * p + 99) / 100); if (i < 1) i = 1; print a[i] }'
}

# One build's run over the current namespaces: SMALLPIDS' namespaces sampled.
age_run() { # EXPORTER LABEL [FLAGS...]
	local bin=$1 label=$2 t0 next now c0 c1 w inos=() samples="$TMP/age.samples" cpu="$TMP/age.cpu" wall="$TMP/age.wall"
	for p in "${SMALLPIDS[@]}"; do inos+=("$(readlink "/proc/$p/ns/net" | tr -dc 0-9)"); done
	: >"$samples"; : >"$cpu"; : >"$wall"
	NE_OVERRIDE=$bin
	NE=$bin
	"$NE" --web.listen-address=127.0.0.1:19110 --collector.disable-defaults --collector.netns \
		--collector.netns.max-namespaces=100000 "${@:3}" >"$TMP/ne.log" 2>&1 &
	NE_PID=$!
	for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:19110/healthz && break; sleep 0.05; done
	t0=$(date +%s.%N)
	next=$t0
	while awk -v n="$next" -v t="$t0" -v d="$AGE_SECONDS" 'BEGIN { exit !(n < t + d) }'; do
		now=$(date +%s.%N)
		sleep "$(awk -v n="$next" -v t="$now" 'BEGIN { d = n - t; print (d > 0 ? d : 0) }')"
		c0=$(cpu_ms)
		w=$(scrape_ms)
		c1=$(cpu_ms)
		echo "$w" >>"$wall"
		awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }' >>"$cpu"
		since=$(awk -v t="$t0" -v n="$(date +%s.%N)" 'BEGIN { print n - t }')
		for ino in "${inos[@]}"; do
			age=$(grep -m1 "^netstat_netns_census_age_seconds{netns=\"$ino\"" "$TMP/last" | awk '{ print $2 }' || true)
			served=0
			grep -q "^netstat_netns_tcp_sockets{netns=\"$ino\".*state=\"established\"" "$TMP/last" && served=1
			echo "${age:-none} $served $since" >>"$samples"
		done
		next=$(awk -v n="$next" -v p="$AGE_PERIOD" 'BEGIN { printf "%.3f", n + p }')
	done
	ne_stop
	awk '{ print ($1 == "none" ? $3 : $1) }' "$samples" >"$TMP/age.eff"
	printf '%-16s %6d %7.1f %7.1f %7.1f %7.1f%% %7.1f%% %7.1f%% %7.1f %7.1f %7.1f %7.1f\n' "$label" \
		"$(wc -l <"$wall")" "$(median <"$TMP/age.eff")" "$(pct 90 <"$TMP/age.eff")" "$(maxof <"$TMP/age.eff")" \
		"$(awk '{ s += $2 } END { print 100 * s / NR }' "$samples")" \
		"$(awk -v d="$AGE_SECONDS" '$3 > d / 2 { s += $2; n++ } END { print n ? 100 * s / n : 0 }' "$samples")" \
		"$(awk '$1 == "0" { s++ } END { print 100 * s / NR }' "$samples")" \
		"$(median <"$cpu")" "$(maxof <"$cpu")" "$(median <"$wall")" "$(maxof <"$wall")"
}

age_mode() {
	local base=$1 big=$2 small=$3
	for b in "$base/netstat_exporter" "$BUILD/netstat_exporter"; do [ -x "$b" ] || { echo "missing $b" >&2; exit 1; }; done
	sysctl -qw net.ipv4.tcp_child_ehash_entries=0
	single_ns "$big"
	SMALLPIDS=()
	for i in $(seq "$small"); do new_ns 25 "s$i"; SMALLPIDS+=("${NSPIDS[-1]}"); done
	echo "census age: 1 namespace of $big sockets + $small of 50, scrapes every ${AGE_PERIOD}s for ${AGE_SECONDS}s, default netns flags"
	printf '%-16s %6s %7s %7s %7s %8s %8s %8s %7s %7s %7s %7s\n' run scrapes age_med age_p90 age_max served served_2h made_now cpu_med cpu_max wall_med wall_max
	age_run "$base/netstat_exporter" "shared, before"
	age_run "$BUILD/netstat_exporter" "shared, after" ${AGE_AFTER_FLAGS:-}
	for p in "${SMALLPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	SMALLPIDS=()
	sysctl -qw net.ipv4.tcp_child_ehash_entries=4096
	for i in $(seq "$small"); do new_ns 25 "o$i"; SMALLPIDS+=("${NSPIDS[-1]}"); done
	sysctl -qw net.ipv4.tcp_child_ehash_entries=0
	age_run "$base/netstat_exporter" "own 4096, before"
	age_run "$BUILD/netstat_exporter" "own 4096, after" ${AGE_AFTER_FLAGS:-}
}

# SOCKETS sockets in this (private) network namespace: bench/lib.sh's
# population, workers of at most 9000 pairs (in EXTRA).
own_sockets() { # SOCKETS
	local pairs=0 workers=0 n port src out
	ip link set lo up
	while [ "$pairs" -lt $(($1 / 2)) ]; do
		n=$(($1 / 2 - pairs)); [ "$n" -gt 9000 ] && n=9000
		port=$((20000 + workers))
		src="127.0.$((1 + workers / 200)).$((10 + workers % 200))"
		out="$TMP/pop.$workers"
		"$POP" "L,127.0.0.1,$port,4096" "E,$n,$src,127.0.0.1,$port" >"$out" 2>&1 &
		EXTRA+=("$!")
		wait_ready "$out"
		pairs=$((pairs + n))
		workers=$((workers + 1))
	done
}

# Issue 18: the sockets collector, the netns collector with live states and
# without, over the same population, scraped in turn.
pods_mode() {
	local runs=$1 sockets=$2 pods=$3 k ports=(19110 19111 19112) p c0 inos=() ino n want
	local -a flags=("--collector.sockets" "--collector.netns --collector.events" "--collector.netns")
	local -a labels=("sockets collector" "netns + events (live)" "netns alone (census)")
	sysctl -qw net.ipv4.tcp_child_ehash_entries=0
	own_sockets "$sockets"
	SMALLPIDS=()
	for i in $(seq "$pods"); do new_ns 25 "p$i"; SMALLPIDS+=("${NSPIDS[-1]}"); done
	for p in "${SMALLPIDS[@]}"; do inos+=("$(readlink "/proc/$p/ns/net" | tr -dc 0-9)"); done
	for k in 0 1 2; do
		# shellcheck disable=SC2086
		"$NE" --web.listen-address=127.0.0.1:${ports[$k]} --collector.disable-defaults ${flags[$k]} \
			--collector.netns.max-namespaces=100000 >"$TMP/ne.$k.log" 2>&1 &
		eval "PID_$k=$!"
		for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:${ports[$k]}/healthz" && break; sleep 0.05; done
	done
	# Warm-up: until every pod is live (1) or had a census (2), at most 200 scrapes.
	for k in 1 2; do
		want='^netstat_netns_census_age_seconds\{'; [ "$k" = 1 ] && want='^netstat_netns_live_states\{.* 1$'
		for _ in $(seq 200); do
			curl -s -o "$TMP/last.$k" "http://127.0.0.1:${ports[$k]}/metrics"
			n=$(grep -cE "$want" "$TMP/last.$k" || true)
			[ "$n" -ge "$pods" ] && break
		done
		echo "warm-up of ${labels[$k]}: $n of $pods pods" >&2
	done
	for k in 0 1 2; do : >"$TMP/cpu.$k"; : >"$TMP/served.$k"; done
	for _ in $(seq "$runs"); do
		for k in 0 1 2; do
			eval "NE_PID=\$PID_$k"
			c0=$(cpu_ms)
			curl -s -o "$TMP/last.$k" "http://127.0.0.1:${ports[$k]}/metrics"
			awk -v a="$c0" -v b="$(cpu_ms)" 'BEGIN { print b - a }' >>"$TMP/cpu.$k"
			[ "$k" = 0 ] && continue
			for ino in "${inos[@]}"; do
				echo "$(grep -c "^netstat_netns_tcp_sockets{netns=\"$ino\".*state=\"established\"" "$TMP/last.$k") $(grep -c "^netstat_netns_census_age_seconds{netns=\"$ino\".*} 0$" "$TMP/last.$k")"
			done >>"$TMP/served.$k"
		done
	done
	echo "pods: $sockets sockets in the exporter's own namespace, $pods pods of 50 on the shared table; $runs scrapes of each exporter in turn"
	printf '%-24s %8s %8s %8s %9s\n' exporter cpu_med cpu_max served made_now
	for k in 0 1 2; do
		printf '%-24s %8.1f %8.1f %8s %9s\n' "${labels[$k]}" "$(median <"$TMP/cpu.$k")" "$(maxof <"$TMP/cpu.$k")" \
			"$([ "$k" = 0 ] && echo - || awk '{ s += ($1 > 0) } END { printf "%.1f%%", 100 * s / NR }' "$TMP/served.$k")" \
			"$([ "$k" = 0 ] && echo - || awk '{ s += $2 } END { printf "%.1f%%", 100 * s / NR }' "$TMP/served.$k")"
	done
	echo "netns + events / sockets: $(ratio "$(median <"$TMP/cpu.1")" "$(median <"$TMP/cpu.0")") (target <= 1)"
	eval "kill \$PID_0 \$PID_1 \$PID_2"
	wait 2>/dev/null || true
	NE_PID=""
}

# Default collectors with and without netns, alternating, in the same run.
outside_mode() {
	local base=$1 runs=$2 sockets=$3 bin label with without c0 f
	own_sockets "$sockets"
	echo "outside the init namespace: $sockets sockets in the exporter's own namespace; CPU ms per scrape (median of $runs), default collectors"
	for bin in "$base/netstat_exporter" "$BUILD/netstat_exporter"; do
		label=after; [ "$bin" = "$base/netstat_exporter" ] && label=before
		: >"$TMP/with"; : >"$TMP/without"
		for f in with without; do
			local extra=(); [ "$f" = without ] && extra=(--no-collector.netns)
			NE=$bin
			"$NE" --web.listen-address=127.0.0.1:1911$([ "$f" = with ] && echo 0 || echo 1) "${extra[@]}" >"$TMP/ne.$f.log" 2>&1 &
			eval "PID_$f=$!"
		done
		for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:19110/healthz && curl -sf -o /dev/null http://127.0.0.1:19111/healthz && break; sleep 0.05; done
		curl -s -o /dev/null http://127.0.0.1:19110/metrics; curl -s -o /dev/null http://127.0.0.1:19111/metrics
		for _ in $(seq "$runs"); do
			for f in with without; do
				eval "NE_PID=\$PID_$f"
				c0=$(cpu_ms)
				curl -s -o "$TMP/last.$f" http://127.0.0.1:1911$([ "$f" = with ] && echo 0 || echo 1)/metrics
				awk -v a="$c0" -v b="$(cpu_ms)" 'BEGIN { print b - a }' >>"$TMP/$f"
			done
		done
		with=$(median <"$TMP/with")
		without=$(median <"$TMP/without")
		printf '%-7s with netns %7.1f  without %7.1f  ratio %s (target <= 1.1)  namespaces seen %s, init census age %s\n' "$label" "$with" "$without" \
			"$(ratio "$with" "$without")" "$(awk '/^netstat_netns_namespaces / { print $2 }' "$TMP/last.with")" \
			"$(grep -m1 "^netstat_netns_census_age_seconds{netns=\"$(readlink /proc/1/ns/net | tr -dc 0-9)\"" "$TMP/last.with" | awk '{ print $2 }' || true)"
		kill "$PID_with" "$PID_without"; wait "$PID_with" "$PID_without" 2>/dev/null || true
		NE_PID=""
	done
}

if [ "$MODE" = age ]; then
	AGE_SECONDS=${8:-300}
	AGE_PERIOD=${9:-15}
	age_mode "$(cd "${7:?BASE build dir}" && pwd)" "${10:-300000}" "${11:-20}"
	exit 0
fi
if [ "$MODE" = pods ]; then
	pods_mode "${7:-20}" "${8:-300000}" "${9:-20}"
	exit 0
fi
if [ "$MODE" = outside ]; then
	outside_mode "$(cd "${7:?BASE build dir}" && pwd)" "${8:-15}" "${9:-150000}"
	exit 0
fi

echo "netns benchmark: $NS namespaces x $PER sockets vs 1 x $((NS * PER)); medians of $RUNS scrapes (ms)"
printf '%-7s %7s %9s %8s %9s %9s %9s %5s %8s %9s\n' mode ehash single_ms cold_ms steady_ms rotate_ms rot_max made churn_ms cadv_ms
run_mode own "$EHASH"
run_mode shared 0
cat "$TMP/ratios"
cat "$TMP/cpu"
echo "peak RSS of the exporter: $(awk -v k="$RSS_MAX" 'BEGIN { printf "%.1f", k / 1024 }') MB (target < 24 MB)"
