# Basic auth against the real binary, plain HTTP (TLS: integration.tls):
# - an unknown user costs the exporter the CPU of a known user's wrong
#   password (CPU time of the process, not latency: the bcrypt work itself),
#   so time does not tell which names exist;
# - a flood of wrong passwords from one address (tests/helpers/abuser, 80
#   connections from 127.0.0.2, each reconnecting 0.5 s after its answer)
#   takes at most its share of the bcrypt queue: meanwhile credentials from
#   another address that are not yet remembered are checked and served 200.
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

ABUSER="$BUILD/tests/abuser"
[ -x "$ABUSER" ] || fail "$ABUSER not built (tests/helpers/abuser.c)"
# Passwords: cost 8 "secret", cost 4 "quick"; cost 10 only ever gets wrong ones.
C8='$2b$08$MX55HfXAooE13YlL8Q0YYuGsDxyeP9mJdMEHmjI3deC5zR66rklOa'
C10='$2y$10$9OUcBeMgBzRsJALHa7IKj.Dddug..qv5nJujWXeYLi86iD4W3dvhm'
C4='$2y$04$oGzqgE6Cd/RppFFxEor4NO5/tpT1Zt3Tw51oW/Sbl63DRPPs6rHy2'

# CPU ticks (user + system) the exporter has used so far.
ticks() { awk '{ print $14 + $15 }' "/proc/$NE_PID/stat"; }
# Runs $1 requests for /healthz as user $2, password "wrong", one after the
# other (each a 401); prints the exporter's CPU ticks they cost.
cost_of() {
	local n=$1 user=$2 before code
	before=$(ticks)
	for _ in $(seq "$n"); do
		code=$(curl -s -o /dev/null -w '%{http_code}' -u "$user:wrong" "$NE_URL/healthz")
		[ "$code" = 401 ] || fail "$user:wrong answered $code, want 401"
	done
	echo $(($(ticks) - before))
}

printf 'basic_auth_users:\n  alice: %s\n' "$C8" >"$TMP/web.yml"
ne_start_hz --web.config.file="$TMP/web.yml" --no-collector.processes
code=$(curl -s -o /dev/null -w '%{http_code}' -u alice:secret "$NE_URL/healthz")
[ "$code" = 200 ] || fail "alice:secret answered $code"
known=$(cost_of 10 alice)
unknown=$(cost_of 10 mallory)
echo "basic_auth: 10 wrong passwords of a cost-8 user cost $known ticks, 10 unknown users $unknown"
# A cost-8 bcrypt is ~20 ms: ~20 ticks for 10; a cost-10 decoy would be 4 times that.
[ "$known" -ge 10 ] || fail "10 cost-8 checks cost only $known ticks: not measured"
[ "$unknown" -le $((known * 3 / 2 + 3)) ] && [ "$unknown" -ge $((known * 2 / 3 - 3)) ] ||
	fail "unknown users cost $unknown ticks, a known user's wrong password $known: user enumeration"
ne_stop

# The flood: alice (cost 10, ~0.06 s a check) with a wrong password from
# 127.0.0.2; prom1..3 (cost 4) from 127.0.0.1, each not yet remembered.
{
	printf 'basic_auth_users:\n  alice: %s\n' "$C10"
	for i in 1 2 3; do printf '  prom%d: %s\n' "$i" "$C4"; done
} >"$TMP/web.yml"
ne_start_hz --web.config.file="$TMP/web.yml" --no-collector.processes --web.max-connections=200 \
	--web.max-connections-per-ip=0
"$ABUSER" 15 "$NE_PORT" 1 auth:80 >"$TMP/abuser.log" 2>&1 &
ABUSE=$!
# Saturated: one more check from the flood's address is refused at once.
flood_refused() {
	[ "$(curl -s -m 5 --interface 127.0.0.2 -o /dev/null -w '%{http_code}' -u alice:other "$NE_URL/healthz")" = 503 ]
}
wait_until 10 flood_refused
for i in 1 2 3; do
	code=$(curl -s -m 10 -o /dev/null -w '%{http_code} %{time_total}' -u "prom$i:quick" "$NE_URL/metrics")
	echo "basic_auth: prom$i during the flood: $code"
	[ "${code%% *}" = 200 ] || fail "prom$i's first scrape during a flood from another address: $code, want 200"
done
wait "$ABUSE" || fail "abuser failed: $(cat "$TMP/abuser.log")"
cat "$TMP/abuser.log"
grep -q '^auth: [1-9][0-9]* answered 401, [1-9][0-9]* answered 503' "$TMP/abuser.log" ||
	fail "the flood was not both checked and refused: $(cat "$TMP/abuser.log")"
ne_stop
echo "basic_auth: unknown users cost a known user's bcrypt; one address's flood does not lock others out"
