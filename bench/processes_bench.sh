# Benchmark of per-process attribution against its peers, in one run.
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-rel --target netstat_exporter sockpop bench
#   bash bench/processes_bench.sh build-rel [SOCKETS] [RUNS]
# Builds SOCKETS (default 150000) established TCP sockets over loopback in a
# private network namespace (sockpop workers of at most 9000 pairs each), then
# prints, in ms (medians): diag_floor (bare one-threaded sock_diag dump), the
# exporter without attribution, its cold scrape with --collector.processes
# (first scrape after start, over COLD restarts), its steady-state scrape,
# `ss -tanp`, and fd_floor (one bare pass over /proc/*/fd); and the ratios
# the issue sets targets for. Then a series of SERIES (default 40) scrapes of
# one exporter, SERIES_GAP (default 2) seconds apart, long enough to cross the
# cache's 30 s full-read window several times: median, p99 (nearest rank)
# and p99/median of the scrape time, and the full re-reads it made.
#
# BEFORE=OTHER_BUILD_DIR compares that build's exporter with this one on the
# same population instead, rounds alternating (RUNS rounds): per build, the
# medians of the cold scrape, the steady scrape (5 per round), the processes
# collector's own duration in each, and the exporter's resident memory after
# them (VmRSS, VmHWM). BENCH_FORK=N (bench/lib.sh) makes every socket shared
# by N + 1 processes.
set -euo pipefail

BUILD=$(cd "${1:?usage: processes_bench.sh BUILD_DIR [SOCKETS] [RUNS]}" && pwd)
SIZE=${2:-150000}
RUNS=${3:-11}
COLD=${COLD:-5}
SERIES=${SERIES:-40}
SERIES_GAP=${SERIES_GAP:-2}
SS_RUNS=${SS_RUNS:-3}
BENCH_ARGS=("$@")
source "$(dirname "$0")/lib.sh"

NE="$BUILD/netstat_exporter"
POP="$BUILD/tests/sockpop"
FLOOR="$BUILD/bench/diag_floor"
FDFLOOR="$BUILD/bench/fd_floor"
for f in "$NE" "$POP" "$FLOOR" "$FDFLOOR"; do [ -x "$f" ] || { echo "missing $f" >&2; exit 1; }; done

scrape_ms() { curl -s -o /dev/null -w '%{time_total}\n' "$1" | awk '{ print $1 * 1000 }'; }
wait_up() { for _ in $(seq 100); do curl -sf -o /dev/null "$1/healthz" && return 0; sleep 0.05; done; return 1; }

bench_grow_pairs $((SIZE / 2))

if [ -n "${BEFORE:-}" ]; then
	OLD=$(cd "$BEFORE" && pwd)/netstat_exporter
	[ -x "$OLD" ] || { echo "missing $OLD" >&2; exit 1; }
	proc_ms() { awk '/^netstat_exporter_collector_duration_seconds\{collector="processes"\} / { print $2 * 1000 }' "$1"; }
	one_round() { # NAME BINARY
		local pid t
		"$2" --web.listen-address=127.0.0.1:19202 --collector.processes >"$TMP/cmp.log" 2>&1 &
		pid=$!
		wait_up http://127.0.0.1:19202
		t=$(curl -s -o "$TMP/b" -w '%{time_total}' http://127.0.0.1:19202/metrics)
		echo "$t" | awk '{ print $1 * 1000 }' >>"$TMP/$1.cold"
		proc_ms "$TMP/b" >>"$TMP/$1.cold_proc"
		for _ in 1 2 3 4 5; do
			t=$(curl -s -o "$TMP/b" -w '%{time_total}' http://127.0.0.1:19202/metrics)
			echo "$t" | awk '{ print $1 * 1000 }' >>"$TMP/$1.steady"
			proc_ms "$TMP/b" >>"$TMP/$1.steady_proc"
		done
		awk '/^VmRSS:/ { print $2 / 1024 }' "/proc/$pid/status" >>"$TMP/$1.rss"
		awk '/^VmHWM:/ { print $2 / 1024 }' "/proc/$pid/status" >>"$TMP/$1.hwm"
		grep -E '^netstat_process_cache_(processes|sockets) ' "$TMP/b" | tr '\n' ' ' >"$TMP/$1.cache"
		kill "$pid"
		wait "$pid" 2>/dev/null || true
	}
	for _ in $(seq "$RUNS"); do
		one_round before "$OLD"
		one_round after "$NE"
	done
	echo "sockets=$(ss -tanH | wc -l) fork=${BENCH_FORK:-0} rounds=$RUNS; medians:"
	printf '%-7s %9s %12s %10s %14s %8s %8s  %s\n' build cold_ms cold_proc_ms steady_ms steady_proc_ms rss_mb hwm_mb cache
	for b in before after; do
		printf '%-7s %9.1f %12.1f %10.1f %14.1f %8.1f %8.1f  %s\n' "$b" "$(median <"$TMP/$b.cold")" \
			"$(median <"$TMP/$b.cold_proc")" "$(median <"$TMP/$b.steady")" "$(median <"$TMP/$b.steady_proc")" \
			"$(median <"$TMP/$b.rss")" "$(median <"$TMP/$b.hwm")" "$(cat "$TMP/$b.cache")"
	done
	exit 0
fi

# Without attribution.
"$NE" --web.listen-address=127.0.0.1:19200 --no-collector.processes >"$TMP/ne0.log" 2>&1 &
P0=$!
PIDS+=("$P0")
wait_up http://127.0.0.1:19200
base=$(for _ in $(seq "$RUNS"); do scrape_ms http://127.0.0.1:19200/metrics; done | median)
kill "$P0"

# Cold: the first scrape after a start, with attribution.
for i in $(seq "$COLD"); do
	"$NE" --web.listen-address=127.0.0.1:19201 --collector.processes >"$TMP/ne1.log" 2>&1 &
	P1=$!
	wait_up http://127.0.0.1:19201
	scrape_ms http://127.0.0.1:19201/metrics >>"$TMP/cold"
	kill "$P1"
	wait "$P1" 2>/dev/null || true
done
cold=$(median <"$TMP/cold")

# Steady: later scrapes of one exporter.
"$NE" --web.listen-address=127.0.0.1:19201 --collector.processes >"$TMP/ne1.log" 2>&1 &
P1=$!
PIDS+=("$P1")
wait_up http://127.0.0.1:19201
scrape_ms http://127.0.0.1:19201/metrics >/dev/null
steady=$(for _ in $(seq "$RUNS"); do scrape_ms http://127.0.0.1:19201/metrics; done | median)
curl -s http://127.0.0.1:19201/metrics >"$TMP/m"

# The series: every scrape counts, spikes included. Besides the scrape's
# time, the processes collector's own duration (from the scrape's body), which
# the neighbours' load on a shared machine disturbs less.
full() { awk '/^netstat_process_full_rescans_total / { print $2 }' "$1"; }
full0=$(full "$TMP/m")
for _ in $(seq "$SERIES"); do
	curl -s -o "$TMP/body" -w '%{time_total}\n' http://127.0.0.1:19201/metrics |
		awk '{ print $1 * 1000 }' >>"$TMP/series"
	awk '/^netstat_exporter_collector_duration_seconds\{collector="processes"\} / { print $2 * 1000 }' \
		"$TMP/body" >>"$TMP/series_proc"
	sleep "$SERIES_GAP"
done
full1=$(full "$TMP/body")
p99() { sort -n | awk '{ a[NR] = $1 } END { i = int(NR * 0.99); if (i < NR * 0.99) i++; print a[i] }'; }
s_med=$(median <"$TMP/series")
s_p99=$(p99 <"$TMP/series")
s_max=$(sort -n "$TMP/series" | tail -n 1)
c_med=$(median <"$TMP/series_proc")
c_p99=$(p99 <"$TMP/series_proc")

# SS_RUNS=0 skips ss (minutes at 300k sockets on a loaded machine).
ssm=0
[ "$SS_RUNS" = 0 ] || ssm=$(for _ in $(seq "$SS_RUNS"); do
	a=$(date +%s%N); ss -tanp >/dev/null; b=$(date +%s%N)
	echo $(((b - a) / 1000))
done | awk '{ print $1 / 1000 }' | median)
fl=$("$FLOOR" "$RUNS")
floor=${fl#floor_ms=}
floor=${floor%% *}
seen=${fl##*sockets=}
ff=$("$FDFLOOR" "$RUNS")
fdfloor=${ff#fd_floor_ms=}
fdfloor=${fdfloor%% *}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "sockets=$seen processes=$(awk '/^netstat_process_cache_processes / { print $2 }' "$TMP/m") " \
	"fd_table_reads=$(awk '/^netstat_process_fd_table_reads_total / { print $2 }' "$TMP/m") " \
	"full_rescans=$(awk '/^netstat_process_full_rescans_total / { print $2 }' "$TMP/m")"
printf '%-28s %10s\n' measure ms
printf '%-28s %10.2f\n' diag_floor "$floor" "exporter_no_attribution" "$base" \
	"exporter_cold" "$cold" "exporter_steady" "$steady" "ss_tanp" "$ssm" "fd_floor" "$fdfloor"
echo "steady/diag_floor          $(ratio "$steady" "$floor")   (target <= 1.5)"
echo "steady/no_attribution      $(ratio "$steady" "$base")"
echo "ss_tanp/steady             $(ratio "$ssm" "$steady")   (target >= 10)"
echo "cold/(diag_floor+1.3*fd)   $(ratio "$cold" "$(awk -v a="$floor" -v b="$fdfloor" 'BEGIN { print a + 1.3 * b }')")   (target <= 1.0)"
echo "series: $SERIES scrapes ${SERIES_GAP}s apart: median $s_med ms, p99 $s_p99 ms, max $s_max ms;" \
	"full re-reads $((${full1:-0} - ${full0:-0})) (counter ${full0:-?} -> ${full1:-?})"
echo "series p99/median          $(ratio "$s_p99" "$s_med")   (target <= 1.5)"
echo "processes collector: median $c_med ms, p99 $c_p99 ms"
grep -E '^netstat_process_sockets\{comm="sockpop",protocol="tcp",state="established"\}' "$TMP/m" >&2
