# Integration test of /api/v1/connections across network namespaces: two
# namespaces beside the exporter's (a Kubernetes-shaped pod made with `ip
# netns add`, a Docker-shaped container held by an `unshare -n` process; see
# netns.sh for the staging), each with a known socket population, queried
# through the netns collector's handles (netns/share): rows exact per
# namespace with netns, namespace, pod and container, the filters netns=,
# pod=, namespace=, group=pod and group=namespace, the budget (one
# shared-table namespace per batch at budget 0, in turn), and the netns
# collector off (the own namespace only, said in the answer).
#   bash tests/integration/connections_netns.sh BUILD_DIR SRC_DIR
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns
mkdir -p /run/netns
mount -t tmpfs issue19-cnetns /run/netns

command -v jq >/dev/null || fail "jq is required"
[ -x "$POP" ] || fail "missing $POP"
CGROOT=/sys/fs/cgroup/unified
[ -w "$CGROOT/cgroup.procs" ] || CGROOT=/sys/fs/cgroup
CG="$CGROOT/issue19-cnetns-${TMP##*/}"

cleanup() {
	ne_cleanup
	[ -d "$CG" ] && find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null
	true
}
trap cleanup EXIT

UID_K8S=5a1c9a52-8b0e-4d7a-9c61-0a1b2c3d4e19
CID_A=$(printf 'a%.0s' $(seq 64))
CID_B=$(printf '%s' "b1$(printf 'c%.0s' $(seq 62))")
CG_A="$CG/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_K8S//-/_}.slice/cri-containerd-$CID_A.scope"
CG_B="$CG/system.slice/docker-$CID_B.scope"
mkdir -p "$CG_A" "$CG_B"
mkdir -p "$TMP/pods/issue19-shop_issue19-web-0_$UID_K8S/web" "$TMP/docker/$CID_B"
printf '{"ID":"%s","Name":"/issue19-redis","State":{"Running":true}}' "$CID_B" \
	>"$TMP/docker/$CID_B/config.v2.json"

# A: a pod: a listener and 3 established pairs.
ip netns add issue19-a
NSA=/run/netns/issue19-a
nsenter --net=$NSA ip link set lo up
in_cgroup "$CG_A" nsenter --net=$NSA "$POP" L,127.0.0.1,8080 E,3,127.0.0.1,127.0.0.1,8080 \
	>"$TMP/a.out" 2>&1 &
wait_ready "$TMP/a.out"
# B: a container: an IPv6 listener, 2 pairs, one UDP socket.
in_cgroup "$CG_B" unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$POP" \
	L,::,6379 E,2,::1,::1,6379 U,127.0.0.1,5353 >"$TMP/b.out" 2>&1 &
PID_B=$!
wait_ready "$TMP/b.out"

INO_A=$(stat -L -c %i $NSA)
INO_B=$(readlink /proc/$PID_B/ns/net | tr -dc 0-9)
OWN_INO=$(stat -L -c %i /proc/self/ns/net)
[ -n "$INO_B" ] && [ "$INO_A" != "$INO_B" ] || fail "namespace inodes: A=$INO_A B=$INO_B"

STATES='[.rows[] | .state] | group_by(.) | map([.[0], length])'
IDS='[.rows[] | [.netns, .namespace, .pod, .container]] | unique'
L_A="[\"$INO_A\",\"issue19-shop\",\"issue19-web-0\",\"$CID_A\"]"
L_B="[\"$INO_B\",null,null,\"issue19-redis\"]"

OPTS=(--web.enable-connections --collector.netns.pods-root="$TMP/pods"
	--collector.netns.docker-root="$TMP/docker")
ne_start "${OPTS[@]}" --collector.netns.census-budget=10s
# The collector's table is filled by a scrape.
ne_scrape >"$TMP/m" || fail "scrape failed"
expect_value "$TMP/m" 'netstat_netns_namespaces' 2

api "netns=$INO_A&limit=100"
expect_jq '.netns.own' "\"$OWN_INO\"" "netns.own"
expect_jq '[.total, .netns.collector, .netns.namespaces, .netns.skipped, .missing]' '[7,true,3,0,["rtt","retrans","retransmitting"]]' "netns=A"
expect_jq "$STATES" '[["established",6],["listen",1]]' "netns=A states"
expect_jq "$IDS" "[$L_A]" "netns=A identity"
api "netns=$INO_B&limit=100"
expect_jq '.total' 6 "netns=B"
expect_jq "$STATES" '[["established",4],["listen",1],["unconnected",1]]' "netns=B states"
expect_jq "$IDS" "[$L_B]" "netns=B identity"
api "pod=issue19-web-0&limit=100"
expect_jq "[.total, ($IDS)]" "[7,[$L_A]]" "pod="
api "namespace=issue19-shop&limit=100"
expect_jq "[.total, ($IDS)]" "[7,[$L_A]]" "namespace="
api "pod=none&netns=$INO_B&state=listen"
expect_jq '[.total, (.rows[0] | [.local, .port, .program, .pid])]' "[1,[\"::\",6379,\"sockpop\",$PID_B]]" "pod=none, B's listener"
api "pod=none&limit=1000"
expect_jq "([.rows[] | .netns] | unique) == ([\"$INO_B\",\"$OWN_INO\"] | sort)" true "pod=none: B and the own namespace"
api "netns=$OWN_INO&state=listen&port=$NE_PORT"
expect_jq '[.total, (.rows[0] | [.program, .namespace, .pod, .container])]' '[1,["netstat_exporte",null,null,null]]' "own namespace"

api "group=pod&proto=tcp&state=listen"
expect_jq '[.groups[] | [.key, .netns, .pod, .sockets]] | sort' \
	"[[\"$OWN_INO\",\"$OWN_INO\",null,1],[\"issue19-redis\",\"$INO_B\",null,1],[\"issue19-shop/issue19-web-0\",\"$INO_A\",\"issue19-web-0\",1]]" "group=pod"
api "group=namespace&state=established"
expect_jq '[.groups[] | select(.key == "issue19-shop") | .sockets]' '[6]' "group=namespace"
curl -sf "$NE_URL/api/v1/connections?group=pod&state=listen&format=csv" | tr -d '\r' |
	grep -q '^issue19-shop/issue19-web-0,1,' || fail "group=pod as CSV"
api "group=namespace&netns=$INO_B"
expect_jq '[.groups[] | [.key, .sockets]]' '[["",6]]' "group=namespace outside pods"

# CSV rows carry the four fields (then the owners).
curl -sf -o "$TMP/got.csv" "$NE_URL/api/v1/connections?netns=$INO_A&state=listen&format=csv" || fail "csv"
tail -n +2 "$TMP/got.csv" | tr -d '\r' | grep -q ",$INO_A,issue19-shop,issue19-web-0,$CID_A,[0-9]*:sockpop\$" ||
	fail "CSV row: $(cat "$TMP/got.csv")"

# Bad values are 400s.
for q in netns=x netns=0 group=pods; do
	code=$(curl -s -o /dev/null -w '%{http_code}' "$NE_URL/api/v1/connections?$q")
	[ "$code" = 400 ] || fail "?$q answered $code"
done
ne_stop

# Budget 0: one shared-table namespace per batch, in turn.
ne_start "${OPTS[@]}" --collector.netns.census-budget=0s
ne_scrape >/dev/null || fail "scrape failed"
api "pod=none&proto=tcp&state=listen&port=6379"
n1=$(jq -c '[.netns.skipped, .total]' "$TMP/api.json")
api "pod=none&proto=tcp&state=listen&port=6379"
n2=$(jq -c '[.netns.skipped, .total]' "$TMP/api.json")
# Exactly one of the two batches dumped B (and one of them A).
[ "$(printf '%s\n%s\n' "$n1" "$n2" | sort | tr '\n' ' ')" = "[1,0] [1,1] " ] ||
	fail "budget 0: batches gave $n1 and $n2, want [1,0] and [1,1] in either order"
ne_stop

# The netns collector off: the own namespace only, and the answer says so.
ne_start "${OPTS[@]}" --no-collector.netns
ne_scrape >/dev/null || fail "scrape failed"
api "netns=$INO_A"
expect_jq '[.total, .netns.collector, .netns.namespaces, .missing]' '[0,false,1,["rtt","retrans","retransmitting","namespace","pod","container"]]' "collector off"
api "state=listen&limit=100"
expect_jq '[.rows[] | .netns] | unique' "[\"$OWN_INO\"]" "collector off: own rows"
ne_stop
echo "connections_netns: ok"
