# Builds the libFuzzer harnesses (tests/fuzz/fuzz_*.c) with clang in
# BUILD_DIR/fuzz and runs each: first over its regression inputs
# (tests/fuzz/regressions/NAME/, every past finding), then for
# FUZZ_SECONDS (default 5) from its seeds (fixtures and tests/fuzz/seeds/NAME/).
# A crash, a leak, undefined behaviour or a 5 s hang fails the test and leaves
# the input in BUILD_DIR/fuzz/artifacts/. See tests/fuzz/README to fuzz for hours.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
FZ="$BUILD/fuzz"
SECS=${FUZZ_SECONDS:-5}

fail() { echo "FAIL: $*" >&2; exit 1; }
command -v clang >/dev/null || fail "clang is not installed (apt-get install clang)"

cmake -S "$SRC" -B "$FZ" -DCMAKE_C_COMPILER=clang -DNETSTAT_FUZZ=ON -DNETSTAT_WERROR=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$FZ.configure.log" 2>&1 ||
	{ cat "$FZ.configure.log" >&2; fail "configuring the fuzzing build"; }
cmake --build "$FZ" --target fuzzers -j2 >"$FZ.build.log" 2>&1 ||
	{ tail -n 40 "$FZ.build.log" >&2; fail "building the harnesses"; }

# Seed directories of a harness, besides its own seeds/ and regressions/.
fixture_seeds() {
	case "$1" in
	sockdiag_reply) echo "$SRC/tests/fixtures" ;; # *.nl: recorded dumps (the rest is noise)
	procfs) echo "$SRC/tests/fixtures/procfs" ;;
	web_config) echo "$SRC/tests/fixtures/web-config" ;;
	netns_identity) echo "$SRC/tests/fixtures/podman" ;;
	esac
}

mkdir -p "$FZ/artifacts"
for src in "$SRC"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	bin="$FZ/tests/fuzz_$name"
	reg="$SRC/tests/fuzz/regressions/$name"
	[ -x "$bin" ] || fail "$bin not built"
	if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
		"$bin" -runs=0 "$reg"/* >"$FZ/$name.regress.log" 2>&1 ||
			{ tail -n 30 "$FZ/$name.regress.log" >&2; fail "$name: a regression input fails again"; }
	fi
	corpus="$FZ/corpus/$name"
	rm -rf "$corpus"
	mkdir -p "$corpus"
	seeds=()
	for d in "$SRC/tests/fuzz/seeds/$name" "$reg" $(fixture_seeds "$name"); do
		[ -d "$d" ] && seeds+=("$d")
	done
	start=$(date +%s)
	if ! "$bin" -max_total_time="$SECS" -timeout=5 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$FZ/artifacts/$name-" \
		"$corpus" "${seeds[@]}" >"$FZ/$name.log" 2>&1; then
		tail -n 40 "$FZ/$name.log" >&2
		fail "$name: libFuzzer found a problem; the input is in $FZ/artifacts/ (add it to tests/fuzz/regressions/$name/ with the fix)"
	fi
	runs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$FZ/$name.log")
	echo "fuzz_$name: ${runs:-?} runs in $(($(date +%s) - start)) s, corpus $(ls "$corpus" | wc -l) new inputs"
done
