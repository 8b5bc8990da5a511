# Shared by the benchmark scripts: source it right after the script has read
# its arguments. Re-executes the caller in a private network namespace (its
# socket populations and ports are its own), raises the fd limit, and gives
# TMP, PIDS (killed on exit) and median.
if [ "${NE_BENCH_NETNS:-}" != 1 ]; then
	NE_BENCH_NETNS=1 exec unshare -n -- bash "$0" "${BENCH_ARGS[@]}"
fi
ip link set lo up
ulimit -n 20000

TMP=$(mktemp -d)
PIDS=()
bench_cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap bench_cleanup EXIT

# Exits unless each argument is there: a path (with a /) built, a bare name
# a command on PATH.
bench_need() {
	local x
	for x; do
		if [[ $x == */* ]]; then
			[ -x "$x" ] || { echo "$x not built" >&2; exit 1; }
		else
			command -v "$x" >/dev/null || { echo "$x not installed" >&2; exit 1; }
		fi
	done
}
# Exits unless build directory $1 has the events collector.
bench_need_events() {
	grep -q '^NETSTAT_HAVE_EVENTS:INTERNAL=ON' "$1/CMakeCache.txt" ||
		{ echo "$1 has no events collector (NETSTAT_EVENTS)" >&2; exit 1; }
}

# Median of the numbers on stdin, one per line.
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# Grows the population to $1 established loopback pairs (2 sockets each):
# sockpop workers ($POP) of at most 9000 pairs, each with its own listener
# port and 127.0.x.y source address (the per-process fd limit is 20000).
# Keeps BENCH_PAIRS and BENCH_WORKERS across calls, so sizes can grow.
# BENCH_FORK=N: each worker then forks N children holding all its sockets
# (every socket shared by N + 1 processes, as a pre-forking server's).
BENCH_PAIRS=0
BENCH_WORKERS=0
bench_grow_pairs() {
	local n port src out
	while [ "$BENCH_PAIRS" -lt "$1" ]; do
		n=$(($1 - BENCH_PAIRS))
		[ "$n" -gt 9000 ] && n=9000
		port=$((20000 + BENCH_WORKERS))
		src="127.0.$((1 + BENCH_WORKERS / 200)).$((10 + BENCH_WORKERS % 200))"
		out="$TMP/pop.$BENCH_WORKERS"
		: >"$out"
		"$POP" "L,127.0.0.1,$port,4096" "E,$n,$src,127.0.0.1,$port" \
			${BENCH_FORK:+"F,$BENCH_FORK"} >"$out" 2>&1 &
		PIDS+=("$!")
		for _ in $(seq 600); do grep -q ready "$out" && break; sleep 0.1; done
		grep -q ready "$out" || { cat "$out" >&2; exit 1; }
		BENCH_PAIRS=$((BENCH_PAIRS + n))
		BENCH_WORKERS=$((BENCH_WORKERS + 1))
	done
}
