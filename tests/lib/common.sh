# Shared helpers for integration tests. Source it from a test run as
#   bash tests/integration/NAME.sh BUILD_DIR SRC_DIR
# Every test runs in its own network, PID and mount namespaces (ne_enter_netns
# re-executes the script under `unshare`), so fixed ports, socket counts,
# processes and network namespaces are ours.

set -euo pipefail

BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
NE_BIN="$BUILD/netstat_exporter"
POP="$BUILD/tests/sockpop" # builds socket populations (tests/helpers/sockpop.c)
NE_PORT=${NE_PORT:-10730}
NE_URL="http://127.0.0.1:$NE_PORT"
NE_PID=""
TMP=$(mktemp -d)

fail() {
	echo "FAIL: $*" >&2
	if [ -s "$TMP/ne.log" ]; then
		echo "--- exporter log" >&2
		tail -n 20 "$TMP/ne.log" >&2
	fi
	exit 1
}

ne_cleanup() {
	local pids
	ne_stop || true
	pids=$(jobs -p) || true
	# A stopped job (a test's SIGSTOP) acts on the SIGTERM only once
	# continued: without the SIGCONT a failing test waits for it forever.
	[ -n "$pids" ] && { kill $pids; kill -CONT $pids; } 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap ne_cleanup EXIT

# Re-executes the calling script inside new network, PID and mount
# namespaces, then makes every mount private (so what the test mounts, /run/netns
# or overlays, never reaches the host), mounts its own /proc and brings lo up.
# The exporter then sees only this test's processes and network namespaces, so
# it runs with its defaults (the netns collector on), and the processes
# collector's work (and every scrape's time) does not depend on what else runs
# on the host.
ne_enter_netns() {
	if [ "${NE_IN_NETNS:-}" != 1 ]; then
		[ "$(id -u)" = 0 ] || { echo "integration tests need root (network namespaces)" >&2; exit 1; }
		trap - EXIT
		rm -rf "$TMP"
		# Not --propagation private / --mount-proc: they change /'s
		# propagation, which fails in a chroot (/ is no mount point there).
		NE_IN_NETNS=1 exec unshare -m -n -p -f --propagation unchanged --kill-child -- \
			bash "$0" "$BUILD" "$SRC"
	fi
	ne_private_mounts
	mount -t proc proc /proc || fail "cannot mount a private /proc"
	ip link set lo up
}

# Starts the exporter on 127.0.0.1:$NE_PORT with its defaults and extra flags;
# waits for /healthz.
ne_start() {
	"$NE_BIN" --web.listen-address="127.0.0.1:$NE_PORT" "$@" >"$TMP/ne.log" 2>&1 &
	NE_PID=$!
	for _ in $(seq 100); do
		if curl -sf -o /dev/null "$NE_URL/healthz"; then
			return 0
		fi
		kill -0 "$NE_PID" 2>/dev/null || fail "exporter exited at start"
		sleep 0.05
	done
	fail "exporter did not answer /healthz"
}

# Stops the exporter with SIGTERM; fails unless it exits 0.
ne_stop() {
	local rc=0
	[ -n "$NE_PID" ] || return 0
	kill -TERM "$NE_PID" 2>/dev/null || true
	wait "$NE_PID" || rc=$?
	NE_PID=""
	[ "$rc" = 0 ] || fail "exporter exited with status $rc on SIGTERM"
}

# Prints the body of one scrape; $1 is an optional Accept header.
ne_scrape() {
	curl -sf -H "Accept: ${1:-text/plain;version=0.0.4}" "$NE_URL/metrics"
}

# Prints the value of one series line, written exactly as the exporter emits
# it (labels in emitted order), from file $1; nothing when absent.
metric_value() {
	awk -v s="$2" 'substr($0, 1, length(s) + 1) == s " " { print substr($0, length(s) + 2); exit }' "$1"
}

# The census age (seconds) of namespace inode $2, one with no pod or
# container labels (a test's own), in scrape file $1; nothing when absent.
census_age() {
	metric_value "$1" "netstat_netns_census_age_seconds{netns=\"$2\",namespace=\"\",pod=\"\",container=\"\"}"
}

# Whether $1 seconds (none: 0) is over $2.
older_than() { awk -v a="${1:-0}" -v t="$2" 'BEGIN { exit !(a > t) }'; }

# Fails unless series $2 in file $1 has value $3.
expect_value() {
	local got
	got=$(metric_value "$1" "$2")
	[ "$got" = "$3" ] || fail "$2: got '${got:-<absent>}', want '$3'"
}

# Runs promtool check metrics on file $1; fails on any finding.
expect_promtool_clean() {
	local findings
	findings=$(promtool check metrics <"$1" 2>&1) || fail "promtool check metrics failed: $findings"
	[ -z "$findings" ] || fail "promtool check metrics findings: $findings"
}

# Waits until sockpop, writing to file $1, says its population is ready.
wait_ready() {
	for _ in $(seq 200); do
		grep -q ready "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "population did not get ready: $(cat "$1")"
}

# Drops SYN-ACKs from local port $2 where the clients receive them (nftables
# table $1): connects to a listener there leave request sockets (SYN_RECV)
# behind, a real SYN backlog, for the minute the SYN-ACK retries last. (Dropped
# on output instead, a failed retransmission makes the kernel drop the request
# socket at its first timer, after a second, and the client's next SYN makes
# a new one: the count then swings between 0 and N.)
drop_syn_acks() {
	nft add table inet "$1"
	nft add chain inet "$1" in '{ type filter hook input priority 0; }'
	nft add rule inet "$1" in tcp sport "$2" 'tcp flags & (syn|ack) == (syn|ack)' drop
}

# Whether exactly $1 request sockets (SYN_RECV) exist in this namespace
# (after "${@:2}", e.g. nsenter into another one), for wait_until.
syn_recv_count_is() {
	[ "$("${@:2}" ss -tanH state syn-recv | wc -l)" = "$1" ]
}

# Waits until command "$2..." succeeds, polling every 50 ms, for at most $1
# seconds; fails naming the condition otherwise. For conditions only: never
# wait a fixed time for something to have happened.
wait_until() {
	local limit=$1 end
	shift
	end=$(($(date +%s%N) + limit * 1000000000))
	until "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || fail "timed out after ${limit}s waiting for: $*"
		sleep 0.05
	done
}

# In a new mount namespace: makes every mount private, so what the test
# mounts (tmpfs on /run/netns, /proc, overlays) never reaches the host. Where
# / is no mount point (a chroot), mount by mount.
ne_private_mounts() {
	mount --make-rprivate / 2>/dev/null && return 0
	local m
	awk '{ print $5 }' /proc/self/mountinfo | sort -u | while read -r m; do
		[ -d "$m" ] && mount --make-private "$m" 2>/dev/null
	done
	return 0
}

# Runs "$@" as a process of cgroup (v2 directory) $1, placed from outside any
# new namespace (`ip netns exec` would remount /sys). Call it in the
# background, where it replaces its subshell, so $! is the program's pid.
in_cgroup() {
	local cg=$1
	shift
	exec sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

# Like ne_start, for an exporter whose /healthz needs credentials (a web
# config with users or client certificates): also serves /healthz alone on
# 127.0.0.1:$((NE_PORT + 1)) (--web.healthz-listen-address) and waits there.
ne_start_hz() {
	"$NE_BIN" --web.listen-address="127.0.0.1:$NE_PORT" --web.healthz-listen-address="127.0.0.1:$((NE_PORT + 1))" \
		"$@" >"$TMP/ne.log" 2>&1 &
	NE_PID=$!
	wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$((NE_PORT + 1))/healthz"
}

# Whether enum $1 of the running kernel's BTF (/sys/kernel/btf/vmlinux, read
# with bpftool, as tests/kernel/debian61-guest.sh reads it) has the name $2.
# Fails the test when the BTF cannot be read: call it as a condition, not in
# $(...), where that failure would read as "no".
btf_enum_has() {
	bpftool btf dump file /sys/kernel/btf/vmlinux format raw >"$TMP/btf.raw" 2>"$TMP/btf.err" ||
		fail "bpftool cannot read /sys/kernel/btf/vmlinux: $(cat "$TMP/btf.err")"
	grep -q "^\[[0-9]*\] ENUM '$1' " "$TMP/btf.raw" || fail "no enum $1 in the kernel's BTF"
	awk -v e="'$1'" -v n="'$2'" '!/^\t/ { p = ($2 == "ENUM" && $3 == e); next } p && $1 == n { f = 1 } END { exit !f }' "$TMP/btf.raw"
}

# Whether this build has the events collector (cmake/events.cmake).
ne_have_events() {
	grep -q '^NETSTAT_HAVE_EVENTS:INTERNAL=ON' "$BUILD/CMakeCache.txt"
}

# Makes network namespace $1 (ip netns add) joined to ours by a veth pair:
# veth-a here with address $2/24, veth-b there with $3/24, all up.
ne_veth_peer() {
	ip netns add "$1"
	ip link add veth-a type veth peer name veth-b netns "$1"
	ip addr add "$2/24" dev veth-a
	ip link set veth-a up
	nsenter --net=/run/netns/"$1" ip link set lo up
	nsenter --net=/run/netns/"$1" ip addr add "$3/24" dev veth-b
	nsenter --net=/run/netns/"$1" ip link set veth-b up
}

# /api/v1/connections?QUERY (200 and JSON, or the test fails): the body in
# $TMP/api.json.
api() { # QUERY -> body in $TMP/api.json
	local code
	code=$(curl -s -o "$TMP/api.json" -w '%{http_code}' "$NE_URL/api/v1/connections?$1")
	[ "$code" = 200 ] || fail "?$1: HTTP $code: $(cat "$TMP/api.json")"
	jq -e . "$TMP/api.json" >/dev/null || fail "?$1: not JSON"
}
# jq over the last answer; fails unless it prints $2.
expect_jq() { # FILTER WANT WHAT
	local got
	got=$(jq -c "$1" "$TMP/api.json")
	[ "$got" = "$2" ] || fail "$3: $1 gave $got, want $2"
}

# ss's count of each TCP state in the network namespace at path $1, as
# "family state count" lines (ipv4/ipv6, ss's state names).
ss_state_counts() {
	local f
	for f in inet inet6; do
		nsenter --net="$1" ss -tanH -f $f |
			awk -v fam=$([ $f = inet ] && echo ipv4 || echo ipv6) '
				{ n[$1]++ } END { for (s in n) print fam, s, n[s] }'
	done
}

# Prints why scrape $2 does not serve namespace inode $3's TCP states as
# ss_state_counts file $1 says (nothing when it does): every state must be
# there, and the differences summed at most $4 (0: each exact); but $5
# orphans in FIN_WAIT2 made since the namespace's last census are served as
# time_wait (IPv4; docs/events.md, "Live states"); $5 "any": an unknown
# number (fin_wait2 and time_wait are compared summed).
netns_states_off() {
	awk -v ns="netns=\"$3\"" -v tol="${4:-0}" -v orphans="${5:-0}" '
		BEGIN {
			split("established ESTAB syn_sent SYN-SENT syn_recv SYN-RECV fin_wait1 FIN-WAIT-1 " \
			      "fin_wait2 FIN-WAIT-2 time_wait TIME-WAIT close_wait CLOSE-WAIT last_ack LAST-ACK " \
			      "closing CLOSING listen LISTEN", a, " ")
			for (i = 1; i < 20; i += 2) ss[a[i]] = a[i + 1]
		}
		FNR == NR { want[$1 " " $2] = $3; next }
		index($0, "netstat_netns_tcp_sockets{" ns ",") == 1 {
			match($0, /family="[a-z0-9]+"/); fam = substr($0, RSTART + 8, RLENGTH - 9)
			match($0, /state="[a-z_0-9]+"/); st = substr($0, RSTART + 7, RLENGTH - 8)
			if (st in ss) got[fam " " ss[st]] = $NF
		}
		END {
			if (orphans == "any") {
				delete ss["fin_wait2"]
				for (f = 0; f < 2; f++) {
					k = (f ? "ipv6 " : "ipv4 ")
					if ((k "FIN-WAIT-2") in got) got[k "TIME-WAIT"] += got[k "FIN-WAIT-2"]
					want[k "TIME-WAIT"] += want[k "FIN-WAIT-2"]
				}
			} else {
				want["ipv4 TIME-WAIT"] += orphans; want["ipv4 FIN-WAIT-2"] -= orphans
			}
			for (f = 0; f < 2; f++) for (s in ss) {
				k = (f ? "ipv6 " : "ipv4 ") ss[s]; w = want[k] + 0
				if (!(k in got)) { print k " not served (ss counts " w ")"; exit }
				d = got[k] - w; off += d < 0 ? -d : d
				if (tol == 0 && d != 0) { print k ": served " got[k] ", want " w; exit }
			}
			if (off > tol) print "served states " off " sockets off ss'"'"'s, over " tol
		}' "$1" "$2"
}
