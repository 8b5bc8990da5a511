#!/usr/bin/env bash
# Builds deploy/container/Containerfile with podman and checks the running
# container; too slow for the test suite (a few minutes), so its result is
# quoted in docs/deploy.md.
#   bash deploy/container/check.sh BUILD_DIR
# BUILD_DIR is a build with the tests (for the sockpop helper); podman's
# storage (its own, apart from the machine's), the Debian 12 root and the
# logs go to BUILD_DIR/container.
#
# No registry is reachable here: deploy/container/build-image.sh makes the
# base image and builds. Podman is run the way this machine allows: vfs
# storage, chroot isolation for the build (the hybrid cgroup setup stops
# crun), runc and cgroupfs to run, rlimits within the current ones.
#
# The containers run with the documented --net=host --pid=host
# -v /proc:/host/proc:ro --read-only --security-opt=no-new-privileges, inside
# a private network namespace (their "host" network): a root program holds a
# listener on 9300 and three connections to it. Checked: every collector
# succeeds, those sockets are visible, and the root program's sockets are
# attributed with --user=0 --cap-drop=ALL and the two documented
# capabilities, and not as the image's default user.
# Needs root, podman, runc, debootstrap, curl.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$BUILD/container
POP=$BUILD/tests/sockpop
IMAGE=localhost/netstat_exporter:check
[ -x "$POP" ] || { echo "no $POP: build the tests first" >&2; exit 1; }
mkdir -p "$WORK"
TMP=$(mktemp -d)
P=(podman --root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs)
RUN=(run --runtime runc --cgroup-manager cgroupfs --ulimit nofile=1024:4096 --ulimit nproc=1024:4096
	--net=host --pid=host -v /proc:/host/proc:ro --read-only --security-opt=no-new-privileges)
ns_pid=""
cleanup() {
	"${P[@]}" rm -f --time 2 netstat-check >/dev/null 2>&1 || true
	[ -z "$ns_pid" ] || kill $(jobs -p) 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

read -r t_base t_build < <(bash "$SRC/deploy/container/build-image.sh" "$WORK" "$IMAGE")
t2=$(date +%s)

# The containers' "host" network: a private namespace held by a sleeper.
unshare -n sleep 600 &
ns_pid=$!
while [ "$(readlink /proc/$ns_pid/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.02; done
in_ns() { nsenter -t "$ns_pid" -n "$@"; }
in_ns ip link set lo up
nsenter -t "$ns_pid" -n "$POP" L,127.0.0.1,9300 E,3,127.0.0.1,127.0.0.1,9300 >"$TMP/pop" &
for _ in $(seq 100); do grep -q ready "$TMP/pop" && break; sleep 0.05; done

# Runs the image with extra podman options "$@"; scrapes it into $TMP/m.
scrape_container() {
	in_ns "${P[@]}" "${RUN[@]}" -d --name netstat-check "$@" "$IMAGE" >/dev/null ||
		fail "podman run $*"
	for _ in $(seq 100); do
		in_ns curl -sf -o "$TMP/m" http://127.0.0.1:10730/metrics && break
		sleep 0.1
	done
	[ -s "$TMP/m" ] || { "${P[@]}" logs netstat-check >&2; fail "no /metrics from the container ($*)"; }
	"${P[@]}" logs netstat-check >"$TMP/log" 2>&1
	"${P[@]}" rm -f --time 5 netstat-check >/dev/null
}
value() { awk -v s="$1" 'substr($0, 1, length(s) + 1) == s " " { print substr($0, length(s) + 2); exit }' "$TMP/m"; }
expect() { [ "$(value "$1")" = "$2" ] || fail "$3: $1 is '$(value "$1")', want '$2'"; }
check_common() {
	local c
	for c in sockets processes netstat sockstat limits; do
		expect "netstat_exporter_collector_success{collector=\"$c\"}" 1 "$1"
	done
	expect 'netstat_tcp_listeners{port="9300"}' 1 "$1"
	expect 'netstat_tcp_port_sockets{direction="inbound",port="9300",state="established"}' 3 "$1"
}

rm -f "$TMP/m"
scrape_container
check_common "default user"
! grep -q 'comm="sockpop"' "$TMP/m" || fail "default user: attributed a root program's sockets"
n=$(value 'netstat_unattributed_sockets{protocol="tcp",state="established",reason="not_found"}')
[ "${n:-0}" -ge 6 ] || fail "default user: sockpop's 6 sockets not counted as not_found"
user_out=$(grep -c . "$TMP/m")

rm -f "$TMP/m"
scrape_container --user=0 --cap-drop=ALL --cap-add=SYS_PTRACE --cap-add=DAC_READ_SEARCH
check_common "uid 0 with two capabilities"
expect 'netstat_process_sockets{comm="sockpop",protocol="tcp",state="established"}' 6 "two capabilities"
expect 'netstat_listener_info{comm="sockpop",protocol="tcp",address="127.0.0.1",port="9300"}' 1 "two capabilities"
t3=$(date +%s)

size=$("${P[@]}" image inspect --format '{{.Size}}' "$IMAGE")
base=$("${P[@]}" image inspect --format '{{.Size}}' localhost/debian:12-slim)
# The build stage's layers are full copies under vfs (gigabytes): drop them.
"${P[@]}" image prune -f >/dev/null
echo "container: image $IMAGE $((size / 1000000)) MB (base debian:12-slim import $((base / 1000000)) MB, +$(((size - base) / 1000)) kB);" \
	"base $t_base s, build $t_build s, run and checks $((t3 - t2)) s;" \
	"default user: $user_out lines, root's sockets not_found; uid 0 + SYS_PTRACE,DAC_READ_SEARCH: attributed"
