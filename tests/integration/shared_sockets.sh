# Sockets several processes hold (issue 20, item 8), end to end in private
# network and pid namespaces: a server (sockpop copied as "sharer") forks a
# child of the same name and one renamed "kid" after making its listener and
# two connections, so all three hold those five sockets; it then makes one
# connection and one server-side TIME_WAIT alone. A second server ("crowd")
# has ten processes on one listener, past the cache's list of 8.
#   - the explorer's rows list every owner, exactly the processes `ss -tanp`
#     lists (as sets: ss has one entry per fd), first the oldest; the CSV
#     owners column says the same; program= and pid= match any owner;
#   - netstat_process_sockets and netstat_listener_info count a shared socket
#     once per distinct program (per pid with --collector.processes.pid),
#     never twice for one; TIME_WAIT through the listener counts for its
#     first holder only; past 8 holders, the rest are counted, not listed.
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

cp "$POP" "$TMP/sharer"
"$TMP/sharer" L,127.0.0.1,8101 E,2,127.0.0.2,127.0.0.1,8101 F,1 F,1,kid \
	E,1,127.0.0.3,127.0.0.1,8101 X,1,127.0.0.4,127.0.0.1,8101 >"$TMP/sharer.out" 2>&1 &
PARENT=$!
wait_ready "$TMP/sharer.out"
read -r CHILD KID < <(awk '/^child / { printf "%s ", $2 } END { print "" }' "$TMP/sharer.out")
[ -n "$KID" ] || fail "no children: $(cat "$TMP/sharer.out")"
[ "$(cat /proc/"$KID"/comm)" = kid ] || fail "the renamed child is $(cat /proc/"$KID"/comm)"
cp "$POP" "$TMP/crowd"
"$TMP/crowd" L,127.0.0.1,8102 F,9 >"$TMP/crowd.out" 2>&1 &
CROWD=$!
wait_ready "$TMP/crowd.out"
# A child whose name holds the CSV owners column's separator and escape.
cp "$POP" "$TMP/esc"
"$TMP/esc" L,127.0.0.1,8103 'F,1,a;b\c' >"$TMP/esc.out" 2>&1 &
ESC=$!
wait_ready "$TMP/esc.out"
ESC_CHILD=$(awk '/^child / { print $2 }' "$TMP/esc.out")

ne_start --web.enable-connections

# ---- the explorer against ss -tanp ----
# "LOCAL REMOTE pid:comm pid:comm..." per socket, owners sorted.
ss_owners() { # ss filter...
	# With one state given, ss leaves out the State column.
	ss -tanpH "$@" | while read -r _ _ local remote users; do
		printf '%s %s %s\n' "$local" "${remote/%:\*/:0}" \
			"$(grep -o '("[^"]*",pid=[0-9]*' <<<"$users" | sed 's/^("\(.*\)",pid=\(.*\)$/\2:\1/' | sort -un | paste -sd' ')"
	done | sort
}
api_owners() { # jq over $TMP/api.json rows, same format
	jq -r '.rows[] | "\(.local):\(.port) \(.remote):\(.rport) \(.owners | sort_by(.pid) | map("\(.pid):\(.program)") | join(" "))"' \
		"$TMP/api.json" | sort
}
ss_owners state listening '( sport = :8101 or sport = :8102 )' >"$TMP/ss.listen"
ss_owners state established '( sport = :8101 or dport = :8101 )' >"$TMP/ss.est"
[ "$(wc -l <"$TMP/ss.listen")" = 2 ] || fail "ss listeners: $(cat "$TMP/ss.listen")"
[ "$(wc -l <"$TMP/ss.est")" = 6 ] || fail "ss established: $(cat "$TMP/ss.est")"
# The shared sockets: three holders each (ss agrees).
[ "$(grep -c " $PARENT:sharer $CHILD:sharer $KID:kid\$" "$TMP/ss.est")" = 4 ] ||
	fail "ss does not show the shared connections' three holders: $(cat "$TMP/ss.est")"

api 'state=established&port=8101&limit=100'
api_owners >"$TMP/api.est"
api 'state=established&rport=8101&limit=100'
api_owners >>"$TMP/api.est"
sort -o "$TMP/api.est" "$TMP/api.est"
diff "$TMP/ss.est" "$TMP/api.est" >"$TMP/d" || fail "API owners differ from ss -tanp users: $(cat "$TMP/d")"
api 'state=listen&port=8101'
api_owners >"$TMP/api.listen"
expect_jq '[.rows[0].program, .rows[0].pid, .rows[0].owner, .rows[0].owners_more, ([.rows[0].owners[].pid] | length)]' \
	"[\"sharer\",$PARENT,\"process\",0,3]" "the shared listener's first owner is the oldest"
expect_jq '[.rows[0].owners[0].pid]' "[$PARENT]" "owners start with the first owner"
# Past the list of 8: the first 8 (the parent first), and 2 more.
api 'state=listen&port=8102'
expect_jq '[.rows[0].pid, (.rows[0].owners | length), .rows[0].owners_more, ([.rows[0].owners[].program] | unique)]' \
	"[$CROWD,8,2,[\"crowd\"]]" "ten holders of one listener"
expect_jq '[.rows[0].owners[0].pid]' "[$CROWD]" "the crowd's first owner"
# ss lists all ten: the API's 8 are among them.
ss_owners state listening '( sport = :8102 )' | tr ' ' '\n' | grep -c '^[0-9]*:crowd$' | grep -qx 10 ||
	fail "ss does not list ten crowd holders"
for p in $(jq -r '.rows[0].owners[].pid' "$TMP/api.json"); do
	ss -tlnpH '( sport = :8102 )' | grep -q "pid=$p," || fail "API owner $p of the crowd's listener is not in ss"
done
grep ':8101 ' "$TMP/ss.listen" >"$TMP/ss.l8101"
diff "$TMP/ss.l8101" "$TMP/api.listen" >"$TMP/d" || fail "listener owners differ from ss: $(cat "$TMP/d")"

# The CSV owners column: PID:PROGRAM joined by ';', as the JSON.
api 'port=8101&state=listen,established&sort=rport&limit=100'
jq -r '.rows[] | [.owners[] | "\(.pid):\(.program)"] | join(";")' "$TMP/api.json" >"$TMP/want.owners"
curl -sf "$NE_URL/api/v1/connections?port=8101&state=listen,established&sort=rport&limit=100&format=csv" |
	tr -d '\r' >"$TMP/got.csv"
head -n 1 "$TMP/got.csv" | grep -q ',container,owners$' || fail "CSV header: $(head -n 1 "$TMP/got.csv")"
tail -n +2 "$TMP/got.csv" | awk -F, '{ print $NF }' | diff - "$TMP/want.owners" >"$TMP/d" ||
	fail "CSV owners differ from JSON: $(cat "$TMP/d")"
grep -q "^$PARENT:sharer;$CHILD:sharer;$KID:kid\$" "$TMP/want.owners" || fail "no shared row in the CSV check"
curl -sf "$NE_URL/api/v1/connections?port=8102&state=listen&format=csv" | tr -d '\r' | tail -n 1 | grep -q ';+2$' ||
	fail "CSV owners past the list: no ';+2'"
got=$(curl -sf "$NE_URL/api/v1/connections?port=8103&state=listen&format=csv" | tr -d '\r' | tail -n 1)
[ "${got##*,}" = "$ESC:esc;$ESC_CHILD:"'a\;b\\c' ] || fail "CSV owners escaping: $got"
api 'port=8103&state=listen'
expect_jq '[.rows[0].owners[].program]' '["esc","a;b\\c"]' "a program with ; and \\ in JSON"

# program= and pid= match any owner. kid holds the listener and the two
# shared connections (4 sockets); the parent those, its own connection and
# the TIME_WAIT its listener took (owner "listener").
api 'pid='"$KID"'&port=8101&limit=100'
expect_jq '[.total, ([.rows[].state] | sort)]' '[3,["established","established","listen"]]' "pid=kid, local port 8101"
api 'pid='"$KID"'&limit=100'
expect_jq '.total' '5' "pid=kid"
api 'program=kid&limit=100'
expect_jq '[.total, ([.rows[].program] | unique)]' '[5,["sharer"]]' "program=kid (rows show the first owner)"
api 'pid='"$PARENT"'&limit=100'
expect_jq '[.total, ([.rows[] | [.state, .owner]] | unique)]' \
	'[8,[["established","process"],["listen","process"],["time_wait","listener"]]]' "pid=parent"
api 'pid='"$CHILD"'&program=kid'
expect_jq '.total' '0' "pid=child&program=kid (no one owner is both)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$NE_URL/api/v1/connections?pid=0")
[ "$code" = 400 ] || fail "pid=0: HTTP $code"

# ---- the per-program families ----
ne_scrape >"$TMP/m1"
s='netstat_process_sockets{comm='
expect_value "$TMP/m1" "${s}\"sharer\",protocol=\"tcp\",state=\"listen\"}" 1
expect_value "$TMP/m1" "${s}\"sharer\",protocol=\"tcp\",state=\"established\"}" 6
expect_value "$TMP/m1" "${s}\"sharer\",protocol=\"tcp\",state=\"time_wait\"}" 1
expect_value "$TMP/m1" "${s}\"kid\",protocol=\"tcp\",state=\"listen\"}" 1
expect_value "$TMP/m1" "${s}\"kid\",protocol=\"tcp\",state=\"established\"}" 4
expect_value "$TMP/m1" "${s}\"crowd\",protocol=\"tcp\",state=\"listen\"}" 1
[ "$(grep -c "^${s}\"\(sharer\|kid\|crowd\)\"" "$TMP/m1")" = 6 ] ||
	fail "extra series: $(grep "^${s}\"\(sharer\|kid\|crowd\)\"" "$TMP/m1")"
l='netstat_listener_info{comm='
expect_value "$TMP/m1" "${l}\"sharer\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"8101\"}" 1
expect_value "$TMP/m1" "${l}\"kid\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"8101\"}" 1
expect_value "$TMP/m1" "${l}\"crowd\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"8102\"}" 1
[ "$(grep -c "^${l}\"\(sharer\|kid\|crowd\)\"" "$TMP/m1")" = 3 ] || fail "extra listener series"
expect_promtool_clean "$TMP/m1"

# By pid: once per holding process, the first 8 of the crowd.
ne_stop
ne_start --collector.processes.pid
ne_scrape >"$TMP/m2"
for p in "$PARENT" "$CHILD"; do
	expect_value "$TMP/m2" "${s}\"sharer\",pid=\"$p\",protocol=\"tcp\",state=\"listen\"}" 1
	expect_value "$TMP/m2" "${l}\"sharer\",pid=\"$p\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"8101\"}" 1
done
expect_value "$TMP/m2" "${s}\"sharer\",pid=\"$PARENT\",protocol=\"tcp\",state=\"established\"}" 6
expect_value "$TMP/m2" "${s}\"sharer\",pid=\"$PARENT\",protocol=\"tcp\",state=\"time_wait\"}" 1
expect_value "$TMP/m2" "${s}\"sharer\",pid=\"$CHILD\",protocol=\"tcp\",state=\"established\"}" 4
expect_value "$TMP/m2" "${s}\"kid\",pid=\"$KID\",protocol=\"tcp\",state=\"listen\"}" 1
expect_value "$TMP/m2" "${s}\"kid\",pid=\"$KID\",protocol=\"tcp\",state=\"established\"}" 4
[ "$(grep -c "^${s}\"\(sharer\|kid\)\"" "$TMP/m2")" = 7 ] || fail "extra per-pid series: $(grep "^${s}\"\(sharer\|kid\)\"" "$TMP/m2")"
[ "$(grep -c "^${s}\"crowd\",pid=\"[0-9]*\",protocol=\"tcp\",state=\"listen\"} 1\$" "$TMP/m2")" = 8 ] ||
	fail "crowd per pid: $(grep "^${s}\"crowd\"" "$TMP/m2")"
expect_value "$TMP/m2" "${s}\"crowd\",pid=\"$CROWD\",protocol=\"tcp\",state=\"listen\"}" 1
expect_promtool_clean "$TMP/m2"
echo "shared_sockets: every owner listed as ss -tanp lists them; families counted once per program"
