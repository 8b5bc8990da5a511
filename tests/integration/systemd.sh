# The systemd unit passes systemd's offline checks and keeps its hardening:
# `systemd-analyze verify` (ExecStart pointed at the built binary; the man page
# it names is checked by deb.sh, where it is installed), an
# exposure score of at most 3.0 in `systemd-analyze security --offline`, and
# the directives the README promises. No systemd as PID 1 is needed.
source "$(dirname "$0")/../lib/common.sh"

U="$SRC/deploy/systemd/netstat-exporter.service"
command -v systemd-analyze >/dev/null || fail "systemd-analyze not installed (Debian package systemd)"
sed "s#^ExecStart=/usr/bin/netstat-exporter#ExecStart=$NE_BIN#" "$U" >"$TMP/netstat-exporter.service"
systemd-analyze verify --man=no "$TMP/netstat-exporter.service" >"$TMP/out" 2>&1 || fail "systemd-analyze verify: $(cat "$TMP/out")"
[ ! -s "$TMP/out" ] || fail "systemd-analyze verify findings: $(cat "$TMP/out")"

systemd-analyze security --offline=yes --threshold=30 "$TMP/netstat-exporter.service" >"$TMP/sec" 2>&1 ||
	fail "exposure above 3.0: $(tail -n 1 "$TMP/sec")"

for d in 'DynamicUser=yes' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
	'RestrictAddressFamilies=AF_NETLINK AF_INET AF_INET6 AF_UNIX' \
	'CapabilityBoundingSet=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH CAP_SYS_ADMIN CAP_BPF CAP_PERFMON CAP_NET_ADMIN' \
	'AmbientCapabilities=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH CAP_SYS_ADMIN CAP_BPF CAP_PERFMON CAP_NET_ADMIN' \
	'SystemCallFilter=bpf' \
	'RestrictNamespaces=net'; do
	grep -qx "$d" "$U" || fail "unit lacks $d"
done
# RestrictNamespaces=yes would refuse the netns collector's setns().
[ "$(grep -c '^RestrictNamespaces=' "$U")" = 1 ] || fail "RestrictNamespaces= set more than once"
# Settings that would blind the exporter must stay out.
for d in PrivateNetwork ProtectProc ProcSubset PrivateUsers; do
	! grep -q "^$d=" "$U" || fail "unit sets $d, which hides sockets or processes from the exporter"
done
echo "systemd: verify clean, $(tail -n 1 "$TMP/sec" | sed 's/.*level for [^:]*: //')"
