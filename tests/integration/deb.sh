# The Debian package, end to end: built by deploy/debian/build-deb.sh, clean
# under lintian (no error or warning; every other tag explained in
# docs/deploy.md), installed with apt-get into a throw-away overlay on a fresh
# Debian 12 root (debootstrap minbase, made once per build directory), every
# file where docs/deploy.md's table says and nothing else, the unit enabled
# and verified by systemd-analyze, the installed binary started the way the
# unit starts it (its ExecStart, the installed /etc/default flags, its user
# and capabilities) and scraped, then purged leaving the root as it was.
# The first run in a build directory also runs debootstrap (40 s to 2 min,
# while the package builds); later runs take 20-35 s.

# A private mount namespace for the overlay and /proc, gone with the test.
if [ "${DEB_IN_MNTNS:-}" != 1 ]; then
	DEB_IN_MNTNS=1 exec unshare -m --propagation unchanged -- bash "$0" "$@"
fi
source "$(dirname "$0")/../lib/common.sh"
ne_private_mounts

for t in lintian debootstrap help2man file dpkg-shlibdeps systemd-analyze promtool nsenter; do
	command -v "$t" >/dev/null || fail "$t not installed (see the README's test line)"
done
DOC="$SRC/docs/deploy.md"
R="$TMP/root"
root_pid=""
deb_cleanup() {
	# A root being made is finished, not killed, so the next run can use it.
	[ -z "$root_pid" ] || wait "$root_pid" 2>/dev/null || true
	ne_stop || true
	umount -R "$R" 2>/dev/null || umount -lR "$R" 2>/dev/null || true
	ne_cleanup
}
trap deb_cleanup EXIT
in_root() { chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }

# The fresh root (debootstrap, first run only) is made while the package builds.
bash "$SRC/deploy/debian/fresh-root.sh" "$BUILD/deb-root" >"$TMP/root.log" 2>&1 &
root_pid=$!

# Build and lint.
t0=$(date +%s)
deb=$(bash "$SRC/deploy/debian/build-deb.sh" "$BUILD/deb") || fail "build-deb.sh failed"
lintian --fail-on error,warning --display-info --pedantic "$deb" >"$TMP/lintian" 2>&1 ||
	fail "lintian errors or warnings (or lintian failed): $(cat "$TMP/lintian")"
grep -v 'running with root privileges' "$TMP/lintian" >"$TMP/tags" || true
while read -r _ _ tag _; do
	grep -qF "\`$tag\`" "$DOC" || fail "lintian tag $tag is not explained in docs/deploy.md"
done <"$TMP/tags"
t1=$(date +%s)

# A throw-away root: an overlay on the cached fresh one.
wait "$root_pid" || fail "cannot make a fresh Debian 12 root: $(cat "$TMP/root.log")"
t1b=$(date +%s)
mkdir "$TMP/upper" "$TMP/work" "$R"
mount -t overlay netstat-deb-test -o "lowerdir=$BUILD/deb-root,upperdir=$TMP/upper,workdir=$TMP/work" "$R"
mount -t proc proc "$R/proc"
# What the purge must restore: every path with its type, mode, owner and
# link target, leaving out dpkg's and apt's own records, caches and logs.
snapshot() {
	in_root find / -xdev \( -path /proc -o -path /tmp -o -path /var/lib/dpkg -o -path /var/lib/apt \
		-o -path /var/cache -o -path /var/log \) -prune -o -printf '%p %y %m %u:%g %l\n' | sort
}
snapshot >"$TMP/before"

# Install; the dependencies' .debs are kept beside the root for the next run.
t2=$(date +%s)
mkdir -p "$BUILD/deb-archives"
cp "$BUILD"/deb-archives/*.deb "$R/var/cache/apt/archives/" 2>/dev/null || true
cp "$deb" "$R/tmp/"
pkg=/tmp/$(basename "$deb")
if ! in_root apt-get install -y "$pkg" >"$TMP/apt.log" 2>&1; then
	# Lists older than the mirror: refresh once.
	in_root apt-get update >>"$TMP/apt.log" 2>&1 && in_root apt-get install -y "$pkg" >>"$TMP/apt.log" 2>&1 ||
		fail "apt-get install: $(tail -n 20 "$TMP/apt.log")"
fi
cp -n "$R"/var/cache/apt/archives/*.deb "$BUILD/deb-archives/" 2>/dev/null || true
t3=$(date +%s)

# Every file where the documentation's table says, and no other.
sed -n '/<!-- deb:files -->/,/^$/p' "$DOC" | grep -o '^| `/[^`]*`' | sed 's/^| `//; s/`$//' >"$TMP/documented"
[ -s "$TMP/documented" ] || fail "no file table after <!-- deb:files --> in docs/deploy.md"
in_root dpkg -L netstat-exporter | while read -r p; do [ -d "$R$p" ] || echo "$p"; done >"$TMP/installed"
while read -r p; do
	while read -r pat; do
		# shellcheck disable=SC2053 # the documented path may be a glob
		[[ $p == $pat ]] && continue 2
	done <"$TMP/documented"
	fail "installed but not documented: $p"
done <"$TMP/installed"
while read -r pat; do
	grep -qxF -- "$pat" "$TMP/installed" || compgen -G "$R$pat" >/dev/null || fail "documented but not installed: $pat"
done <"$TMP/documented"
conf=$(in_root dpkg-query -W -f='${Conffiles}' netstat-exporter | awk 'NF { print $1 }')
[ "$conf" = /etc/default/netstat-exporter ] || fail "conffiles: '$conf'"
U=/lib/systemd/system/netstat-exporter.service
[ "$(readlink "$R/etc/systemd/system/multi-user.target.wants/netstat-exporter.service")" = "$U" ] ||
	fail "the unit is not enabled on installation"
cmp -s "$R$U" "$SRC/deploy/systemd/netstat-exporter.service" || fail "the installed unit differs from deploy/systemd/"
in_root netstat-exporter --version | grep -q '^netstat_exporter, version ' || fail "installed binary does not run"

# systemd's offline check of the installed unit (ExecStart pointed into the
# root; man: resolved against the root's man pages).
sed "s#^ExecStart=/#ExecStart=$R/#" "$R$U" >"$TMP/netstat-exporter.service"
MANPATH="$R/usr/share/man" systemd-analyze verify "$TMP/netstat-exporter.service" >"$TMP/verify" 2>&1 ||
	fail "systemd-analyze verify: $(cat "$TMP/verify")"
[ ! -s "$TMP/verify" ] || fail "systemd-analyze verify findings: $(cat "$TMP/verify")"

# Start it as the unit does: its ExecStart with the installed /etc/default
# file, as an unprivileged user with the unit's capabilities and no new privs,
# in a private network namespace (the steps above needed the network for apt
# and debootstrap) held by a sleeping process.
unshare -n sleep 300 &
ns_pid=$!
# (Background jobs call nsenter directly, so that $! is their process.)
in_ns() { nsenter -t "$ns_pid" -n "$@"; }
for _ in $(seq 50); do
	[ "$(readlink /proc/$ns_pid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
	sleep 0.02
done
in_ns ip link set lo up
env_file=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$R$U")
exec_start=$(sed -n 's/^ExecStart=//p' "$R$U")
caps=$(sed -n 's/^AmbientCapabilities=//p' "$R$U" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
[ "$env_file" = /etc/default/netstat-exporter ] || fail "EnvironmentFile is '$env_file'"
[ -n "$exec_start" ] && [ -n "$caps" ] || fail "no ExecStart or AmbientCapabilities in $U"
# A root program holding a listener and three connections to it.
nsenter -t "$ns_pid" -n "$POP" L,127.0.0.1,9300 E,3,127.0.0.1,127.0.0.1,9300 >"$TMP/pop" &
wait_ready "$TMP/pop"
# nsenter, chroot, env, setpriv and sh each exec the next: $! is the exporter.
nsenter -t "$ns_pid" -n chroot "$R" env -i PATH=/usr/bin:/bin setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs --inh-caps="$caps" --ambient-caps="$caps" \
	sh -c "set -a; . $env_file; exec $exec_start" >"$TMP/ne.log" 2>&1 &
NE_PID=$!
for _ in $(seq 100); do
	in_ns curl -sf -o /dev/null "$NE_URL/healthz" && break
	kill -0 "$NE_PID" 2>/dev/null || fail "installed exporter exited at start"
	sleep 0.05
done
in_ns curl -sf "$NE_URL/metrics" >"$TMP/m" || fail "cannot scrape the installed exporter on $NE_URL"
ne_stop
expect_promtool_clean "$TMP/m"
grep -q '^netstat_exporter_build_info{version="0.1.0",' "$TMP/m" || fail "no build_info for 0.1.0"
for c in sockets processes netstat sockstat limits; do
	expect_value "$TMP/m" "netstat_exporter_collector_success{collector=\"$c\"}" 1
done
expect_value "$TMP/m" 'netstat_process_sockets{comm="sockpop",protocol="tcp",state="established"}' 6
expect_value "$TMP/m" 'netstat_listener_info{comm="sockpop",protocol="tcp",address="127.0.0.1",port="9300"}' 1
expect_value "$TMP/m" 'netstat_listener_info{comm="netstat-exporte",protocol="tcp",address="::",port="10730"}' 1

# Purge: the root is as it was, nothing named netstat left.
t4=$(date +%s)
in_root apt-get purge -y --autoremove netstat-exporter >"$TMP/purge.log" 2>&1 || fail "purge: $(tail -n 20 "$TMP/purge.log")"
snapshot >"$TMP/after"
diff "$TMP/before" "$TMP/after" >"$TMP/diff" || fail "purge left the root changed: $(cat "$TMP/diff")"
left=$(in_root find / -xdev -path /proc -prune -o -name '*netstat*' -print | grep -v '^/tmp/') || true
[ -z "$left" ] || fail "purge left: $left"
t5=$(date +%s)
echo "deb: $(basename "$deb") $(stat -c %s "$deb") bytes; lintian: $(grep -c . "$TMP/tags") tags ($(awk '{ print $1 $3 }' "$TMP/tags" | paste -sd ' ')); build+lint $((t1 - t0)) s, fresh root $((t1b - t0)) s, install $((t3 - t2)) s, purge $((t5 - t4)) s"
