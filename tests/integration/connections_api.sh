# Integration test of /api/v1/connections: a known population in a private
# network namespace (listeners of three programs, IPv4 and IPv6 pairs,
# TIME_WAIT, FIN_WAIT2/CLOSE_WAIT, UDP, and a real SYN backlog from one
# source with SYN-ACKs dropped by nftables), queried over HTTP: exact rows,
# every filter, sort, limit, total, the grouped views, hostile query strings
# (400), the flag off (404), and concurrent requests sharing one dump.
#   bash tests/integration/connections_api.sh BUILD_DIR SRC_DIR
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns
OWN_INO=$(stat -L -c %i /proc/self/ns/net)

command -v jq >/dev/null || fail "jq is required"
command -v nft >/dev/null || fail "nft (nftables) is required"

ip addr add 10.1.0.1/32 dev lo
ip addr add 198.51.100.7/32 dev lo
ip addr add 192.0.2.10/32 dev lo
ip addr add 203.0.113.9/32 dev lo
ip -6 addr add 2001:db8::1/128 dev lo nodad
ip -6 addr add 2001:db8::2/128 dev lo nodad
sysctl -qw net.ipv4.tcp_syncookies=0

# Programs are told apart by their comm: copies of sockpop under other names.
cp "$POP" "$TMP/apid"
cp "$POP" "$TMP/flooder"

"$POP" L,0.0.0.0,8080 L,::,8443 \
	E,4,127.0.0.2,127.0.0.1,8080 \
	E,3,2001:db8::1,2001:db8::2,8443 \
	E,5,198.51.100.7,192.0.2.10,8080 \
	T,2,127.0.0.4,127.0.0.1,8080 \
	W,3,127.0.0.6,127.0.0.1,8080 \
	X,2,127.0.0.5,127.0.0.1,8080 \
	U,127.0.0.1,5353 >"$TMP/pop.out" 2>&1 &
POP_PID=$!
wait_ready "$TMP/pop.out"
"$TMP/apid" L,0.0.0.0,9090,64 >"$TMP/apid.out" 2>&1 &
APID_PID=$!
wait_ready "$TMP/apid.out"

# Off by default.
ne_start
code=$(curl -s -o /dev/null -w '%{http_code}' "$NE_URL/api/v1/connections")
[ "$code" = 404 ] || fail "API answered $code without --web.enable-connections"
code=$(curl -s -o /dev/null -w '%{http_code}' "$NE_URL/connections")
[ "$code" = 404 ] || fail "page answered $code without --web.enable-connections"
curl -sf "$NE_URL/" | grep -q '/connections' && fail "landing page links /connections while off"
ne_stop

ne_start --web.enable-connections
curl -sf "$NE_URL/" | grep -q 'href="/connections"' || fail "landing page lacks the /connections link"

# SYN_RECV at apid's listener from one source; the clients stay in SYN_SENT.
# The SYN-ACKs are dropped on input, where the clients would get them: a drop
# on output fails the listener's retransmission, and the kernel then discards
# the request socket (until the client's next SYN), so the backlog would come
# and go.
nft add table inet issue12_conns
nft add chain inet issue12_conns in '{ type filter hook input priority 0; }'
nft add rule inet issue12_conns in tcp sport 9090 'tcp flags & (syn|ack) == (syn|ack)' drop
"$TMP/flooder" S,6,203.0.113.9,10.1.0.1,9090 >"$TMP/flood.out" 2>&1 &
wait_ready "$TMP/flood.out"


# SYN backlog from one source: the alert link's filter. No process holds a
# request socket: each is the program of the listener it came through,
# apid's, marked as such.
api 'state=syn_recv&port=9090'
expect_jq '.total' 6 "syn_recv on 9090"
expect_jq '[.rows[] | [.remote, .port, .direction, .program, .pid, .owner, .proto, .family]] | unique' \
	"[[\"203.0.113.9\",9090,\"inbound\",\"apid\",$APID_PID,\"listener\",\"tcp\",\"ipv4\"]]" "syn_recv rows"
api 'program=apid%20(listener)'
expect_jq '[.total, ([.rows[] | .state] | unique)]' '[6,["syn_recv"]]' "program=apid (listener)"
api 'program=api'
expect_jq '[.total, ([.rows[] | [.state, .owner]] | unique)]' '[7,[["listen","process"],["syn_recv","listener"]]]' \
	"program=api: a substring, listener-attributed rows too"
api 'group=program&state=syn_recv'
expect_jq '[.groups[] | [.key, .sockets]]' '[["apid (listener)",6]]' "group=program of syn_recv"
# Server-side TIME_WAIT on sockpop's listener (port 8080) is sockpop's; the
# client side of TIME_WAIT (an ephemeral port, no listener) has no program.
api 'state=time_wait&port=8080'
expect_jq '[.total, ([.rows[] | [.program, .owner, .remote]] | unique)]' \
	'[2,[["sockpop","listener","127.0.0.5"]]]' "server-side time_wait"
api 'program=none&state=time_wait&rport=8080'
expect_jq '[.total, ([.rows[] | [.program, .pid, .owner, .rport]] | unique)]' '[2,[[null,null,null,8080]]]' \
	"program=none: client-side time_wait"
# TIME_WAIT lasts 60 s: these come first, before a slow machine lets them expire.
api 'state=time_wait&rport=8080'
expect_jq '[.total, ([.rows[] | [.program, .direction, .remote]] | unique)]' \
	'[2,[[null,"local","127.0.0.1"]]]' "time_wait"
api 'state=TIME-WAIT&rport=8080'
expect_jq '.total' 2 "state=TIME-WAIT (any case, - for _)"
api 'program=none'
jq -e '.total > 0 and ([.rows[] | .program] | unique) == [null]' "$TMP/api.json" >/dev/null ||
	fail "program=none: $(jq -c '[.total, [.rows[] | .program]]' "$TMP/api.json")"
# The same rule in netstat_process_sockets.
ne_scrape >"$TMP/m"
expect_value "$TMP/m" 'netstat_process_sockets{comm="apid",protocol="tcp",state="syn_recv"}' 6
expect_value "$TMP/m" 'netstat_process_sockets{comm="sockpop",protocol="tcp",state="time_wait"}' 2
grep -q '^netstat_unattributed_sockets{protocol="tcp",state="syn_recv"' "$TMP/m" &&
	fail "syn_recv on apid's listener counted as unattributed"
api 'state=syn_recv'
expect_jq '.total' 6 "syn_recv"
api 'group=remote&state=syn_recv'
expect_jq '[.total, .groups_total, .groups]' \
	'[6,1,[{"key":"203.0.113.9","sockets":6,"states":{"syn_recv":6},"countries":null}]]' "group=remote"

# Exact rows: the listeners, sorted by port.
api 'state=listen&sort=port'
expect_jq '[.rows[] | [.local, .port, .family, .program, .direction]]' \
	"[[\"0.0.0.0\",8080,\"ipv4\",\"sockpop\",\"listen\"],[\"::\",8443,\"ipv6\",\"sockpop\",\"listen\"],[\"0.0.0.0\",9090,\"ipv4\",\"apid\",\"listen\"],[\"127.0.0.1\",$NE_PORT,\"ipv4\",\"netstat_exporte\",\"listen\"]]" \
	"listeners"
# One whole row, every field but the inode.
api 'program=apid&state=listen'
expect_jq '.total' 1 "program=apid&state=listen"
expect_jq '.rows[0] | del(.inode)' \
	"{\"proto\":\"tcp\",\"family\":\"ipv4\",\"local\":\"0.0.0.0\",\"port\":9090,\"remote\":\"0.0.0.0\",\"rport\":0,\"state\":\"listen\",\"direction\":\"listen\",\"rqueue\":0,\"wqueue\":64,\"program\":\"apid\",\"pid\":$APID_PID,\"owner\":\"process\",\"owners\":[{\"pid\":$APID_PID,\"program\":\"apid\"}],\"owners_more\":0,\"uid\":0,\"user\":\"root\",\"country\":null,\"asn\":null,\"as_org\":null,\"rtt\":null,\"retrans\":null,\"retransmitting\":null,\"netns\":\"$OWN_INO\",\"namespace\":null,\"pod\":null,\"container\":null}" \
	"apid's listener row"
expect_jq '[.tcp_info, .missing]' '[false,["rtt","retrans","retransmitting","namespace","pod","container"]]' \
	"tcp_info off: missing"
inode=$(jq '.rows[0].inode' "$TMP/api.json")
ls -l "/proc/$APID_PID/fd" | grep -q "socket:\[$inode\]" || fail "apid does not hold inode $inode"

api 'proto=udp'
expect_jq '[.total, .rows[0].local, .rows[0].port, .rows[0].state, .rows[0].direction, .rows[0].program, .rows[0].pid]' \
	"[1,\"127.0.0.1\",5353,\"unconnected\",\"listen\",\"sockpop\",$POP_PID]" "udp"

# Remote address, exact and by prefix, both families.
api 'remote=198.51.100.7'
expect_jq '[.total, ([.rows[] | [.port, .state, .direction, .program]] | unique)]' \
	'[5,[[8080,"established","inbound","sockpop"]]]' "remote=198.51.100.7"
api 'remote=192.0.2.0%2F24'
expect_jq '[.total, ([.rows[] | [.local, .remote, .rport, .direction]] | unique)]' \
	'[5,[["198.51.100.7","192.0.2.10",8080,"outbound"]]]' "remote=192.0.2.0/24"
api 'remote=::ffff:198.51.100.7%2F128' # IPv4-mapped: the IPv4 peers, as rows show them
expect_jq '[.total, ([.rows[] | [.remote, .port, .direction]] | unique)]' \
	'[5,[["198.51.100.7",8080,"inbound"]]]' "remote=::ffff:198.51.100.7/128"
api 'remote=2001:db8::/32'
expect_jq '[.total, ([.rows[] | [.direction, .family]] | group_by(.) | map([.[0], length]))]' \
	'[6,[[["inbound","ipv6"],3],[["outbound","ipv6"],3]]]' "remote=2001:db8::/32"
api 'remote=2001:db8::1'
expect_jq '[.total, ([.rows[] | [.port, .direction]] | unique)]' '[3,[[8443,"inbound"]]]' "remote=2001:db8::1"
api 'rport=8443'
expect_jq '[.total, ([.rows[] | [.remote, .direction]] | unique)]' '[3,[["2001:db8::2","outbound"]]]' "rport=8443"

# Program and direction.
api 'program=flooder'
expect_jq '[.total, ([.rows[] | [.state, .remote, .rport, .direction]] | unique)]' \
	'[6,[["syn_sent","10.1.0.1",9090,"outbound"]]]' "program=flooder"
api 'direction=outbound&program=sockpop'
expect_jq '.total' 8 "outbound sockpop"
api 'direction=inbound&state=established'
expect_jq '.total' 8 "inbound established"
api 'direction=local&program=sockpop&state=established'
expect_jq '.total' 8 "local established sockpop"

# States of the closing handshakes.
api 'state=close_wait'
expect_jq '[.total, ([.rows[] | [.program, .port]] | unique)]' '[3,[["sockpop",8080]]]' "close_wait"
api 'state=fin_wait2,close_wait&port=8080'
expect_jq '.total' 3 "fin_wait2+close_wait on local port 8080"
api 'state=fin_wait2,close_wait'
expect_jq '.total' 6 "fin_wait2+close_wait"

# Limit and total; sort by several columns both ways against jq's own sort.
api 'state=syn_sent&limit=2'
expect_jq '[.total, .returned, (.rows | length)]' '[6,2,2]' "limit"
api 'program=sockpop&limit=100'
jq -c '[.rows[] | .port]' "$TMP/api.json" >"$TMP/ports"
for spec in port:asc port:desc rport:desc remote:asc state:desc; do
	col=${spec%%:*} ord=${spec##*:}
	api "program=sockpop&sort=$col&order=$ord&limit=100"
	key=".$col"
	# Addresses sort as numbers, IPv4 before IPv6 (these IPv6 ones sort as text, "::" first).
	# States sort in the kernel's order.
	[ "$col" = state ] &&
		key='(.state as $s | ["established","syn_sent","syn_recv","fin_wait1","fin_wait2","time_wait","close","close_wait","last_ack","listen","closing","unconnected","connected"] | index($s))'
	[ "$col" = remote ] &&
		key='(.remote | if contains(":") then [1, (if . == "::" then "" else . end)] else [0, (split(".") | map(tonumber))] end)'
	jq -e --arg o "$ord" "[.rows[] | $key] as \$k | (\$k | sort) as \$s | if \$o == \"asc\" then \$k == \$s else \$k == (\$s | reverse) end" \
		"$TMP/api.json" >/dev/null || fail "sort=$col order=$ord is not sorted: $(jq -c "[.rows[] | $key]" "$TMP/api.json")"
	expect_jq '[.sort, .order, .total]' "[\"$col\",\"$ord\",$(jq '.total' "$TMP/api.json")]" "sort echo"
	all=$(jq -c '[.rows[] | .inode] | .[0:4]' "$TMP/api.json")
	api "program=sockpop&sort=$col&order=$ord&limit=4"
	expect_jq '[.rows[] | .inode]' "$all" "the top 4 of sort=$col order=$ord"
done

# Grouped views.
api 'group=program&direction=outbound'
expect_jq '[.groups[] | [.key, .sockets, .states]]' \
	'[["sockpop",8,{"established":8}],["flooder",6,{"syn_sent":6}]]' "group=program"
api 'group=port&direction=inbound&state=established'
expect_jq '[.groups[] | [.key, .sockets]]' '[[8080,5],[8443,3]]' "group=port"
# By local port: only service ports (a listener's); a client's ephemeral
# ports are counted apart.
api 'group=port&program=sockpop&state=established'
expect_jq '[.total, .ungrouped, ([.groups[] | [.key, .sockets]] | sort)]' '[24,12,[[8080,9],[8443,3]]]' "group=port without ephemeral ports"
# By remote: listeners (0.0.0.0, ::) have none.
api 'group=remote&program=sockpop'
jq -e '[.groups[] | .key] | (index("0.0.0.0") == null and index("::") == null)' "$TMP/api.json" >/dev/null ||
	fail "group=remote lists a listener's address: $(jq -c '[.groups[] | .key]' "$TMP/api.json")"
expect_jq '.ungrouped' 3 "group=remote: sockpop's listeners (8080, 8443, UDP 5353) apart"
api 'group=state&program=sockpop'
expect_jq '[.groups[] | [.key, .sockets]] | sort' \
	'[["close_wait",3],["established",24],["fin_wait2",3],["listen",2],["time_wait",2],["unconnected",1]]' "group=state"
api 'group=rport&direction=outbound&proto=tcp'
expect_jq '[.groups[] | [.key, .sockets]] | sort' '[[8080,5],[8443,3],[9090,6]]' "group=rport"
api 'group=prefix&state=established&direction=inbound'
expect_jq '[.groups[] | [.key, .sockets]] | sort' '[["198.51.100.0/24",5],["2001:db8::/48",3]]' "group=prefix"

# CSV: the same rows as JSON, in the same order.
api 'program=sockpop&sort=port&limit=100'
jq -r '.rows[] | [.proto, .family, .local, .port, .remote, .rport, .state, .direction, .rqueue, .wqueue,
	.program, .pid, .owner, .uid, .user, .inode, .country, .asn, .as_org, .rtt, .retrans, .retransmitting,
	.netns, .namespace, .pod, .container, ([.owners[] | "\(.pid):\(.program)"] | join(";"))] |
	map(if . == null then "" else tostring end) | join(",")' "$TMP/api.json" >"$TMP/want.csv"
curl -sf -D "$TMP/h" -o "$TMP/got.csv" "$NE_URL/api/v1/connections?program=sockpop&sort=port&limit=100&format=csv" ||
	fail "format=csv failed"
grep -qi '^content-type: text/csv; charset=utf-8' "$TMP/h" || fail "CSV content type: $(cat "$TMP/h")"
head -n 1 "$TMP/got.csv" | tr -d '\r' | grep -qx 'proto,family,local,port,remote,rport,state,direction,rqueue,wqueue,program,pid,owner,uid,user,inode,country,asn,as_org,rtt,retrans,retransmitting,netns,namespace,pod,container,owners' ||
	fail "CSV header: $(head -n 1 "$TMP/got.csv")"
tail -n +2 "$TMP/got.csv" | tr -d '\r' | diff - "$TMP/want.csv" >"$TMP/csv.diff" || fail "CSV differs from JSON rows: $(head -c 1500 "$TMP/csv.diff")"
[ "$(wc -l <"$TMP/want.csv")" -ge 30 ] || fail "only $(wc -l <"$TMP/want.csv") rows compared"
curl -sf "$NE_URL/api/v1/connections?group=state&program=sockpop&format=csv" | tr -d '\r' >"$TMP/g.csv"
grep -qx 'established,24,24,0,0,0,0,0,0,0,0,0,0,0,0' "$TMP/g.csv" || fail "grouped CSV: $(cat "$TMP/g.csv")"

# gzip when asked, and 304 for an unchanged answer (its ETag in If-None-Match).
q='state=listen&sort=port'
curl -sf -D "$TMP/h1" -o "$TMP/plain.json" "$NE_URL/api/v1/connections?$q" || fail "GET $q"
curl -sf -H 'Accept-Encoding: gzip' -D "$TMP/h2" -o "$TMP/body.gz" "$NE_URL/api/v1/connections?$q" || fail "GET $q gzip"
grep -qi '^content-encoding: gzip' "$TMP/h2" || fail "no gzip: $(cat "$TMP/h2")"
grep -qi '^content-encoding' "$TMP/h1" && fail "gzip without Accept-Encoding"
[ "$(gzip -dc "$TMP/body.gz" | jq -c 'del(.dump)')" = "$(jq -c 'del(.dump)' "$TMP/plain.json")" ] || fail "gzip body differs"
etag=$(grep -i '^etag:' "$TMP/h1" | tr -d '\r' | cut -d' ' -f2)
[ -n "$etag" ] || fail "no ETag: $(cat "$TMP/h1")"
code=$(curl -s -o "$TMP/nm" -w '%{http_code}' -H "If-None-Match: $etag" "$NE_URL/api/v1/connections?$q")
[ "$code" = 304 ] && [ ! -s "$TMP/nm" ] || fail "If-None-Match $etag: HTTP $code, $(wc -c <"$TMP/nm") bytes"
gtag=$(grep -i '^etag:' "$TMP/h2" | tr -d '\r' | cut -d' ' -f2)
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip' -H "If-None-Match: $gtag" "$NE_URL/api/v1/connections?$q")
[ "$code" = 304 ] || fail "If-None-Match $gtag with gzip: HTTP $code"
# A changed answer is a 200 again (another limit: other rows).
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$NE_URL/api/v1/connections?$q&limit=1")
[ "$code" = 200 ] || fail "If-None-Match on a different answer: HTTP $code"

# Hostile query strings: 400 and one line saying what is wrong.
while IFS='|' read -r q want; do
	code=$(curl -s -o "$TMP/err" -w '%{http_code}' "$NE_URL/api/v1/connections?$q")
	[ "$code" = 400 ] || fail "?$q: HTTP $code, want 400"
	grep -qF "$want" "$TMP/err" || fail "?$q: message '$(cat "$TMP/err")' lacks '$want'"
done <<'CASES'
state=bogus|bad value for 'state'
port=70000|bad value for 'port'
limit=100000|bad value for 'limit'
remote=1.2.3.4/40|bad value for 'remote'
sort=evil|bad value for 'sort'
x=1|unknown parameter 'x'
port=1&port=2|given twice
program=a%00b|bad query string
program=%0d%0aSet-Cookie:x|bad query string
program=%zz|bad query string
%3Cscript%3E=1|unknown parameter '<script>'
country=DE|need --geoip.database
asn=64496|need --geoip.database
group=asn|need --geoip.database
format=xml|bad value for 'format'
group=bogus|bad value for 'group'
CASES
code=$(curl -s -o /dev/null -w '%{http_code}' "$NE_URL/api/v1/connections?$(printf 'a%.0s=1&' $(seq 40))")
[ "$code" = 400 ] || fail "40 parameters: HTTP $code, want 400"
code=$(curl -s -o /dev/null -w '%{http_code}' "$NE_URL/api/v1/connections?program=$(head -c 3000 /dev/zero | tr '\0' a)")
[ "$code" = 400 ] || fail "a 3000-byte value: HTTP $code, want 400"
# Still serving.
api 'state=listen'

# Concurrent requests share dumps: a request that arrives while a dump
# runs joins the next one with every other such request. Eight requests at
# once (curl --parallel) must take fewer than eight dumps in at least one of
# five bursts (each request its own dump would take eight every time), and
# every answer must be right.
shared=0
for burst in 1 2 3 4 5; do
	args=()
	for i in $(seq 8); do args+=(-o "$TMP/c$i.json" "$NE_URL/api/v1/connections?state=listen&limit=$i"); done
	curl -sf --parallel --parallel-immediate --parallel-max 8 "${args[@]}" || fail "parallel requests failed"
	for i in $(seq 8); do
		[ "$(jq '.total' "$TMP/c$i.json")" = 4 ] || fail "concurrent request $i: $(cat "$TMP/c$i.json")"
		[ "$(jq '.rows | length' "$TMP/c$i.json")" = "$((i < 4 ? i : 4))" ] || fail "concurrent request $i: limit"
	done
	ndumps=$(jq -s 'map(.dump) | unique | length' "$TMP"/c?.json)
	[ "$ndumps" -lt 8 ] && { shared=1; break; }
done
[ "$shared" = 1 ] || fail "8 concurrent requests never shared a dump in 5 bursts"

# The page and its files, with the policy.
for path in /connections /connections.js /connections.css; do
	curl -sf -D "$TMP/h" -o /dev/null "$NE_URL$path" || fail "GET $path failed"
	grep -qi "^content-security-policy: default-src 'none'; script-src 'self'" "$TMP/h" || fail "$path lacks the CSP"
	grep -qi '^x-content-type-options: nosniff' "$TMP/h" || fail "$path lacks nosniff"
done
curl -sf "$NE_URL/connections" | grep -qi '<script>' && fail "the page has an inline script"
ne_stop

# tcp_info in the rows (--collector.sockets.tcp-info): 3 senders to a sink on
# port 7102 over loopback, 1 in 20 of their segments dropped by nftables
# `numgen random` on input, so they retransmit. Then the senders are stopped
# (SIGSTOP; the sink keeps reading) until their queues drain and `ss -ti`
# says the same twice: RTT and retransmission counts are stable and compared
# exactly with `ss -tin` taken before and after the request.
nft add rule inet issue12_conns in tcp dport 7102 numgen random mod 20 == 0 drop
"$BUILD/tests/traffic" -t 40 sink,127.0.0.1,7102 >"$TMP/sink.out" 2>&1 &
SINK_PID=$!
wait_ready "$TMP/sink.out"
"$BUILD/tests/traffic" -t 40 send,3,127.0.0.1,127.0.0.1,7102,65536 >"$TMP/send.out" 2>&1 &
SEND_PID=$!
wait_ready "$TMP/send.out"
ne_start --web.enable-connections --collector.sockets.tcp-info
# `ss -tin` of the senders: "LOCALPORT RTT_US TOTAL_RETRANS UNACKED_RETRANS" lines.
ss_senders() {
	ss -tinH state established "( dport = :7102 )" | awk '
		/^[0-9]/ { split($3, a, ":"); lp = a[length(a)]; next }
		{
			rtt = ""; tr = 0; ur = 0
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^rtt:/) { split(substr($i, 5), r, "/"); rtt = r[1] * 1000 }
				if ($i ~ /^retrans:/) { split(substr($i, 9), r, "/"); ur = r[1]; tr = r[2] }
			}
			if (rtt != "") printf "%s %.0f %d %d\n", lp, rtt, tr, ur
		}' | sort
}
# While they send: sorted by retransmissions, rows without tcp_info last.
for _ in $(seq 50); do
	[ "$(ss_senders | awk '$3 > 0' | wc -l)" -gt 0 ] && break
	sleep 0.1
done
api 'port=7102&sort=retrans&order=desc'
expect_jq '[.tcp_info, .missing, .total]' '[true,["namespace","pod","container"],4]' "tcp_info on"
expect_jq '[.rows[] | .state]' '["established","established","established","listen"]' "retrans sort: the listener last"
api 'rport=7102&sort=retrans&order=desc'
jq -e '[.rows[] | .retrans] as $k | ($k | length) == 3 and $k == ($k | sort | reverse) and $k[0] > 0' \
	"$TMP/api.json" >/dev/null || fail "senders, sort=retrans order=desc: $(jq -c '[.rows[] | .retrans]' "$TMP/api.json")"
api 'rport=7102&sort=rtt'
jq -e '[.rows[] | .rtt] as $k | ($k | length) == 3 and $k == ($k | sort)' "$TMP/api.json" >/dev/null ||
	fail "sort=rtt: $(jq -c '[.rows[] | .rtt]' "$TMP/api.json")"
kill -STOP "$SEND_PID"
# Drained first (nothing unacknowledged, so no retransmission outstanding or
# to come), then ss before and after the request agree. Checked the other
# way round, a retransmission outstanding in both snapshots could be
# acknowledged just before the drain check, and the filters below then see
# one sender fewer retransmitting than the snapshot.
unacked() { ss -tnH state established '( dport = :7102 )' | awk '{ s += $2 } END { print s + 0 }'; }
stable=0
for _ in $(seq 100); do
	if [ "$(unacked)" != 0 ]; then
		sleep 0.2
		continue
	fi
	ss_senders >"$TMP/before"
	sleep 0.2
	api 'rport=7102&limit=10'
	ss_senders >"$TMP/after"
	if cmp -s "$TMP/before" "$TMP/after" && [ "$(wc -l <"$TMP/before")" = 3 ]; then
		stable=1
		break
	fi
done
[ "$stable" = 1 ] || fail "the stopped senders' tcp_info never settled: $(cat "$TMP/before") / $(cat "$TMP/after")"
jq -r '.rows[] | "\(.port) \(.rtt * 1000000 | round) \(.retrans) \(if .retransmitting then 1 else 0 end)"' \
	"$TMP/api.json" | sort >"$TMP/got"
awk '{ print $1, $2, $3, ($4 > 0) }' "$TMP/after" >"$TMP/want"
cmp -s "$TMP/got" "$TMP/want" || fail "rows' rtt (us), retrans, retransmitting differ from ss -tin:
got:
$(cat "$TMP/got")
want:
$(cat "$TMP/want")"
[ "$(awk '{ s += $3 } END { print s }' "$TMP/want")" -gt 0 ] || fail "the lossy senders never retransmitted: $(cat "$TMP/want")"
# The filter: retransmitting now or not, among the sockets with tcp_info.
api 'rport=7102&retransmitting=false'
expect_jq '.total' "$(awk '$4 == 0' "$TMP/after" | wc -l)" "retransmitting=false"
api 'rport=7102&retransmitting=true'
expect_jq '.total' "$(awk '$4 > 0' "$TMP/after" | wc -l)" "retransmitting=true"
api 'state=time_wait&retransmitting=false'
expect_jq '.total' 0 "retransmitting=false: TIME_WAIT has no tcp_info"
code=$(curl -s -o "$TMP/err" -w '%{http_code}' "$NE_URL/api/v1/connections?retransmitting=maybe")
[ "$code" = 400 ] && grep -qF "bad value for 'retransmitting'" "$TMP/err" || fail "retransmitting=maybe: $code $(cat "$TMP/err")"
kill "$SEND_PID" "$SINK_PID" 2>/dev/null; kill -CONT "$SEND_PID" 2>/dev/null || true
wait "$SEND_PID" "$SINK_PID" 2>/dev/null || true
ne_stop

# The API counts against --web.max-requests with the scrapes: with a scrape
# held in flight (tests/helpers/stuck_server: the real HTTP front end over a
# collector that blocks on a FIFO), the API answers 503.
mkfifo "$TMP/fifo"
"$BUILD/tests/stuck_server" "$TMP/fifo" --web.listen-address="127.0.0.1:$NE_PORT" \
	--web.max-requests=1 --web.enable-connections >"$TMP/ne.log" 2>&1 &
NE_PID=$!
for _ in $(seq 100); do curl -sf -o /dev/null "$NE_URL/healthz" && break; sleep 0.05; done
touch "$TMP/hold"
( exec 3>"$TMP/fifo"; touch "$TMP/opened"; while [ -e "$TMP/hold" ]; do sleep 0.05; done ) &
writer=$!
curl -s -o /dev/null "$NE_URL/metrics" &
held=$!
for _ in $(seq 200); do [ -e "$TMP/opened" ] && break; sleep 0.05; done
[ -e "$TMP/opened" ] || fail "the held scrape never opened its FIFO"
code=$(curl -s -o "$TMP/busy" -w '%{http_code}' "$NE_URL/api/v1/connections?state=listen")
[ "$code" = 503 ] || fail "API with a scrape in flight and --web.max-requests=1: HTTP $code, want 503"
grep -q 'web.max-requests' "$TMP/busy" || fail "503 body: $(cat "$TMP/busy")"
rm "$TMP/hold"
wait "$writer" || true
wait "$held" || true
api 'state=listen'
ne_stop
echo "connections_api: rows, filters, sorts, limit, groups, hostile queries and shared dumps as expected"
