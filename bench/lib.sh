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

# Median of the numbers on stdin, one per line.
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
