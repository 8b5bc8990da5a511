#!/usr/bin/env bash
# Runs the DaemonSet's pod template under a real container runtime, podman
# 4.3's `kube play`, beside two other pods, and checks what the manifest
# promises. Too slow for the test suite (minutes: it builds the image);
# its result is quoted in docs/deploy.md.
#   bash deploy/kubernetes/check.sh BUILD_DIR
# BUILD_DIR: any build directory; podman's storage (its own, apart from the
# machine's), the Debian root and the image go to BUILD_DIR/container, shared
# with deploy/container/check.sh.
#
# Podman 4.3 plays Pods, not DaemonSets: deploy/kubernetes/pod-from-daemonset.py
# makes the Pod from the template (the DaemonSet stays the one copy), with
# the image built here, the commented containers-storage mount uncommented
# (as on a CRI-O or Podman node) and pointed at this script's podman storage,
# /var/log/pods pointed at a directory that does not exist yet, and no
# ports list (podman 4.3 refuses port mappings in the host's network; the
# probes then name their port by number). The two
# other pods ("shop", "db") run a tiny static program listening on one port
# each. Everything runs inside a private network namespace that stands in
# for the node's network (hostNetwork), so ports and bridges stay there.
# Checked: the pod starts although /var/log/pods is missing
# (DirectoryOrCreate); the exporter's effective capabilities are exactly
# DAC_READ_SEARCH, SYS_PTRACE and SYS_ADMIN; its root is read-only; it runs
# with no_new_privs; it is not in the node's PID namespace (no hostPID);
# /healthz answers on the probe port (and nothing else does there); /metrics
# labels both other pods' namespaces (netstat_netns_info, with the names of
# their infra containers from containers/storage) and counts their
# listeners; every collector succeeds.
#
# This machine's quirks, handled here and nowhere else: the hybrid cgroup
# setup stops crun (runc and cgroupfs instead), and the hard RLIMIT_NOFILE is
# below podman's default for containers, so runc is wrapped to clamp the
# spec's rlimits to the hard limits it runs under. Needs root, podman, runc,
# debootstrap, gcc (static glibc), python3-yaml, curl.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$BUILD/container
IMAGE=localhost/netstat_exporter:check
PAUSE=localhost/netstat-pause:check
TMP=$(mktemp -d)
P=(podman --root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs)
ns_pid=""
fail() { echo "FAIL: $*" >&2; exit 1; }
in_ns() { nsenter -t "$ns_pid" -n "$@"; }
cleanup() {
	if [ -n "$ns_pid" ]; then
		for pod in netstat-exporter shop db; do
			in_ns "${P[@]}" pod rm -f -t 2 "$pod" >/dev/null 2>&1 || true
		done
		kill "$ns_pid" 2>/dev/null || true
		wait 2>/dev/null || true
		# The build stage's layers are full copies under vfs: drop them.
		"${P[@]}" image prune -f >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

t0=$(date +%s)
read -r t_base t_build < <(bash "$SRC/deploy/container/build-image.sh" "$WORK" "$IMAGE")
t1=$(date +%s)

# The other pods' program: listens on the port given, if any, and waits.
mkdir -p "$TMP/root/bin"
cat >"$TMP/pause.c" <<'C'
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
static void done(int s) { (void)s; _exit(0); }
int main(int argc, char **argv)
{
	signal(SIGTERM, done);
	signal(SIGINT, done);
	if (argc > 1) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1]))};
		int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0)
			return 1;
	}
	for (;;)
		pause();
}
C
gcc -static -O2 -o "$TMP/root/bin/pause" "$TMP/pause.c"
tar -C "$TMP/root" -c . | "${P[@]}" import --change 'CMD=["/bin/pause"]' - "$PAUSE" >/dev/null 2>&1

cat >"$TMP/runc" <<'SH'
#!/bin/bash
# runc with the spec's RLIMIT_NOFILE and RLIMIT_NPROC clamped to ours.
bundle="" prev=""
for a in "$@"; do
	case $prev in --bundle | -b) bundle=$a ;; esac
	prev=$a
done
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then
	nf=$(ulimit -Hn) np=$(ulimit -Hu)
	[ "$np" = unlimited ] && np=4194304
	jq --argjson nf "$nf" --argjson np "$np" '
	  def clamp($n): .hard = ([.hard, $n] | min) | .soft = ([.soft, .hard] | min);
	  if .process.rlimits then .process.rlimits |= map(
	    if .type == "RLIMIT_NOFILE" then clamp($nf) elif .type == "RLIMIT_NPROC" then clamp($np) else . end)
	  else . end' "$bundle/config.json" >"$bundle/config.json.new" &&
		mv "$bundle/config.json.new" "$bundle/config.json"
fi
exec runc "$@"
SH
chmod +x "$TMP/runc"
export CONTAINERS_CONF=$TMP/containers.conf
cat >"$CONTAINERS_CONF" <<CONF
[engine]
runtime = "$TMP/runc"
cgroup_manager = "cgroupfs"
infra_image = "$PAUSE"
infra_command = "/bin/pause"
CONF

# The node's network: a private namespace held by a sleeper.
unshare -n sleep 3600 &
ns_pid=$!
while [ "$(readlink /proc/$ns_pid/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.02; done
in_ns ip link set lo up

python3 "$SRC/deploy/kubernetes/pod-from-daemonset.py" "$SRC/deploy/kubernetes/daemonset.yaml" \
	--image "$IMAGE" --enable containers-storage --no-ports \
	--host-path "/var/lib/containers/storage=$WORK/storage" \
	--host-path "/var/log/pods=$TMP/pods-missing" >"$TMP/exporter.yaml"
other_pod() { # name port
	cat <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  containers:
    - name: app
      image: $PAUSE
      command: ["/bin/pause", "$2"]
YAML
}
other_pod shop 8080 >"$TMP/shop.yaml"
other_pod db 5432 >"$TMP/db.yaml"
# From /, so that kube play does not take a directory named like an image
# for a build context.
for f in shop db exporter; do
	(cd / && in_ns "${P[@]}" kube play "$TMP/$f.yaml") >"$TMP/play-$f.log" 2>&1 ||
		{ cat "$TMP/play-$f.log" >&2; fail "podman kube play $f"; }
done
[ -d "$TMP/pods-missing" ] || fail "the missing /var/log/pods was not created (DirectoryOrCreate)"

CTR=netstat-exporter-netstat-exporter
pid=$("${P[@]}" inspect --format '{{.State.Pid}}' "$CTR")
[ "${pid:-0}" -gt 0 ] || fail "the exporter is not running"
status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
# DAC_READ_SEARCH (2), SYS_PTRACE (19), SYS_ADMIN (21).
[ "$(status CapEff)" = 0000000000280004 ] || fail "CapEff is $(status CapEff), want 0000000000280004"
[ "$(status NoNewPrivs)" = 1 ] || fail "no_new_privs is not set"
root_opts=$(awk '$5 == "/" { print $6 }' "/proc/$pid/mountinfo")
case $root_opts in ro | ro,*) ;; *) fail "the root is mounted '$root_opts', not read-only" ;; esac
[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/1/ns/pid)" ] ||
	fail "the exporter is in the node's PID namespace (hostPID)"
[ "$(readlink "/proc/$pid/ns/net")" = "$(readlink "/proc/$ns_pid/ns/net")" ] ||
	fail "the exporter is not in the node's network namespace (hostNetwork)"

code=""
for _ in $(seq 100); do
	code=$(in_ns curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:10731/healthz || true)
	[ "$code" = 200 ] && break
	sleep 0.1
done
[ "$code" = 200 ] || { "${P[@]}" logs "$CTR" >&2; fail "/healthz on the probe port: $code"; }
code=$(in_ns curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:10731/metrics)
[ "$code" = 404 ] || fail "the probe port serves /metrics ($code)"

# The other pods: each namespace (held by its infra container) labelled
# with that container's name, and its listener counted. The census of a
# namespace can wait for the budget: scrape until both have one.
declare -A want_ns want_name
for pod in shop db; do
	infra=$("${P[@]}" pod inspect --format '{{.InfraContainerID}}' "$pod")
	ipid=$("${P[@]}" inspect --format '{{.State.Pid}}' "$infra")
	ino=$(readlink "/proc/$ipid/ns/net")
	ino=${ino#net:[}
	want_ns[$pod]=${ino%]}
	want_name[$pod]=$("${P[@]}" inspect --format '{{.Name}}' "$infra")
done
have() { # pod: its info line and its listener in $TMP/m
	grep -E "^netstat_netns_info\{" "$TMP/m" | grep -F "netns=\"${want_ns[$1]}\"" |
		grep -qF "container=\"${want_name[$1]}\"" &&
		grep -E '^netstat_netns_tcp_sockets\{' "$TMP/m" | grep -F "netns=\"${want_ns[$1]}\"" |
		grep -F 'state="listen"' | grep -F 'family="ipv4"' | grep -q ' 1$'
}
ok=""
for _ in $(seq 60); do
	in_ns curl -sf -o "$TMP/m" http://127.0.0.1:10730/metrics || true
	if [ -s "$TMP/m" ] && have shop && have db; then ok=1; break; fi
	sleep 0.5
done
if [ -z "$ok" ]; then
	grep -F -e "${want_ns[shop]}" -e "${want_ns[db]}" "$TMP/m" | head -n 20 >&2 || true
	"${P[@]}" logs "$CTR" 2>&1 | tail -n 20 >&2
	fail "the other pods' namespaces are not labelled (shop ${want_ns[shop]} ${want_name[shop]}, db ${want_ns[db]} ${want_name[db]})"
fi
for c in sockets processes netstat sockstat limits netns; do
	grep -qxF "netstat_exporter_collector_success{collector=\"$c\"} 1" "$TMP/m" ||
		fail "collector $c did not succeed"
done
t2=$(date +%s)
echo "kubernetes: image (base $t_base s, build $t_build s); pods played and checked in $((t2 - t1)) s; total $((t2 - t0)) s;" \
	"CapEff 0x280004, no_new_privs, read-only root, own PID namespace; /healthz 200 on 10731;" \
	"shop (${want_name[shop]}) and db (${want_name[db]}) labelled, their listeners counted"
