# Slow clients, on plain HTTP: a connection trickling its headers a byte at a
# time, and an idle one, are closed at --web.header-timeout (not kept alive by
# the trickle); with --web.max-connections=16 filled by 40 idle connections
# from 4 addresses (tests/helpers/abuser), a scraper that sends its request at
# once is still served every time; conflicting duplicate Content-Length
# headers get 400 (identical ones are harmless).
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

ABUSER="$BUILD/tests/abuser"
[ -x "$ABUSER" ] || fail "$ABUSER not built (tests/helpers/abuser.c)"
ne_start --web.header-timeout=2 --web.max-connections=16 --web.max-connections-per-ip=16

# Seconds until the exporter closes a connection that sends "$1" a byte a second.
closed_after() {
	local start end msg=$1 i=0
	exec 3<>"/dev/tcp/127.0.0.1/$NE_PORT"
	start=$(date +%s%N)
	while [ "$i" -lt 20 ]; do
		[ "$i" -lt "${#msg}" ] && { printf '%s' "${msg:$i:1}" >&3 2>/dev/null || break; }
		# The exporter's close shows as end of file.
		if read -r -t 1 -u 3 _; then :; else [ $? -gt 128 ] || break; fi
		i=$((i + 1))
	done
	end=$(date +%s%N)
	exec 3>&-
	echo $(((end - start) / 100000000)) # tenths of a second
}
t=$(closed_after "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
[ "$t" -ge 15 ] && [ "$t" -le 40 ] || fail "a trickling connection was closed after ${t}/10 s, want about 2 s"
t=$(closed_after "")
[ "$t" -ge 15 ] && [ "$t" -le 40 ] || fail "an idle connection was closed after ${t}/10 s, want about 2 s"

# Capacity for prompt clients while idle ones from 4 addresses flood.
"$ABUSER" 8 "$NE_PORT" 4 idle:40 >"$TMP/abuser.log" &
ABUSE=$!
wait_ready "$TMP/abuser.log" # every idle connection has reached the exporter
for _ in $(seq 10); do
	code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "$NE_URL/metrics") || true
	[ "$code" = 200 ] || fail "a prompt scrape answered '$code' while idle connections flood"
	sleep 0.4
done
wait "$ABUSE"
grep -q 'idle: ' "$TMP/abuser.log" || fail "abuser: $(cat "$TMP/abuser.log")"

# Content-Length twice: conflicting is refused, identical is not.
req() {
	exec 3<>"/dev/tcp/127.0.0.1/$NE_PORT"
	printf "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n%s" "$1" "$2" >&3
	head -n 1 <&3 | tr -d '\r'
	exec 3>&-
}
status=$(req $'Content-Length: 5\r\nContent-Length: 6\r\n' "abcde")
[[ "$status" == *" 400 "* ]] || fail "conflicting Content-Length: '$status', want 400"
status=$(req $'Content-Length: 5\r\nContent-Length: 5\r\n' "abcde")
[[ "$status" == *" 200 "* ]] || fail "identical Content-Length twice: '$status', want 200"
ne_stop
echo "slow_clients: trickling and idle connections closed at the header deadline; prompt scrapes served through a flood; conflicting Content-Length refused"
