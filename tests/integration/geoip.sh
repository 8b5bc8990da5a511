# Integration test of peer geography: small MaxMind DB files built by the
# suite (tests/helpers/make_mmdb.pl, Debian's libmaxmind-db-writer-perl)
# map the documentation ranges to countries and networks; peers get those
# addresses on the loopback of the test's network namespace. Checked through
# netstat_tcp_peer_country_sockets, the labels of the top inbound peers and
# the JSON API, for both database layouts; start-up errors for missing and
# corrupt files; a database replaced on disk is reloaded, one that vanishes
# keeps the last good one with one warning, and so does one truncated,
# overwritten in place or replaced by a corrupt file.
#   bash tests/integration/geoip.sh BUILD_DIR SRC_DIR
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

command -v jq >/dev/null || fail "jq is required"
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null ||
	fail "MaxMind::DB::Writer::Tree missing (Debian package libmaxmind-db-writer-perl)"
MK="$SRC/tests/helpers/make_mmdb.pl"
for l in maxmind cc0 asn; do perl "$MK" "$l" "$TMP/$l.mmdb" || fail "cannot build the $l database"; done

ip addr add 192.0.2.1/32 dev lo        # this host's public address: DE
ip addr add 198.51.100.7/32 dev lo     # FR (IT in the updated database)
ip addr add 203.0.113.9/32 dev lo      # JP
ip addr add 192.88.99.1/32 dev lo      # public, not in the database
ip addr add 10.1.0.1/32 dev lo         # private
ip addr add 10.1.0.2/32 dev lo
ip -6 addr add 2001:db8::1/128 dev lo nodad  # NL
ip -6 addr add 2001:db8::7/128 dev lo nodad

"$POP" L,0.0.0.0,8080 L,::,8443 \
	E,5,198.51.100.7,192.0.2.1,8080 \
	E,3,203.0.113.9,192.0.2.1,8080 \
	E,1,192.88.99.1,192.0.2.1,8080 \
	E,2,2001:db8::7,2001:db8::1,8443 \
	E,4,10.1.0.2,10.1.0.1,8080 >"$TMP/pop.out" 2>&1 &
wait_ready "$TMP/pop.out"

FLAGS=(--collector.sockets.top-peers=3 --collector.sockets.peer-min-sockets=1 --web.enable-connections)
series() { # DIRECTION COUNTRY
	echo "netstat_tcp_peer_country_sockets{direction=\"$1\",country=\"$2\",state=\"established\"}"
}
# The scrape's own connection (curl to the exporter, over loopback) is one
# inbound and one outbound socket under country="".
check_countries() { # FILE FR_LABEL
	expect_value "$1" "$(series inbound "$2")" 5
	expect_value "$1" "$(series inbound JP)" 3
	expect_value "$1" "$(series inbound NL)" 2
	expect_value "$1" "$(series inbound unknown)" 1
	expect_value "$1" "$(series inbound "")" 5
	expect_value "$1" "$(series inbound other)" 0
	expect_value "$1" "$(series outbound DE)" 9
	expect_value "$1" "$(series outbound NL)" 2
	expect_value "$1" "$(series outbound "")" 5
	expect_value "$1" "$(series outbound other)" 0
	[ "$(grep -c '^netstat_tcp_peer_country_sockets{.*state="established"' "$1")" = 10 ] ||
		fail "unexpected country series: $(grep '^netstat_tcp_peer_country_sockets{' "$1")"
}

# MaxMind layout with an ASN database.
ne_start --geoip.database="$TMP/maxmind.mmdb" --geoip.asn-database="$TMP/asn.mmdb" "${FLAGS[@]}"
ne_scrape >"$TMP/m1" || fail "scrape failed"
expect_promtool_clean "$TMP/m1"
check_countries "$TMP/m1" FR
expect_value "$TMP/m1" 'netstat_tcp_top_inbound_peer_sockets{state="established",address="198.51.100.7",country="FR",asn="64497",as_org="Documentation Net Two"}' 5
expect_value "$TMP/m1" 'netstat_tcp_top_inbound_peer_sockets{state="established",address="10.1.0.2",country="",asn="",as_org=""}' 4
expect_value "$TMP/m1" 'netstat_tcp_top_inbound_peer_sockets{state="established",address="203.0.113.9",country="JP",asn="64498",as_org="Documentation <b>Three</b>"}' 3
# The events collector's scan sources carry the same labels: 7 SYNs from
# 203.0.113.9 to a closed port.
if ne_have_events; then
	"$POP" S,7,203.0.113.9,192.0.2.1,9 >"$TMP/scan" &
	wait_ready "$TMP/scan"
	no_syn_sent() { [ "$(ss -Htn state syn-sent | wc -l)" = 0 ]; }
	wait_until 10 no_syn_sent
	ne_scrape >"$TMP/scan.m" || fail "scrape failed"
	kill %% 2>/dev/null || true
	expect_value "$TMP/scan.m" "netstat_tcp_scan_sources{address=\"203.0.113.9\",country=\"JP\",asn=\"64498\",as_org=\"Documentation <b>Three</b>\"}" 7
fi
grep -q 'level=info msg="GeoIP database .*GeoLite2-Country (country.iso_code layout)' "$TMP/ne.log" ||
	fail "layout not logged as MaxMind's"

curl -sf "$NE_URL/api/v1/connections?country=FR&direction=inbound" >"$TMP/a.json" || fail "API failed"
[ "$(jq -c '[.total, ([.rows[] | [.remote, .country, .asn, .as_org]] | unique)]' "$TMP/a.json")" = \
	'[5,[["198.51.100.7","FR",64497,"Documentation Net Two"]]]' ] || fail "country=FR: $(cat "$TMP/a.json")"
curl -sf "$NE_URL/api/v1/connections?remote=203.0.113.9&limit=1" >"$TMP/a.json" || fail "API failed"
grep -qF '\u003cb\u003eThree' "$TMP/a.json" || fail "as_org not escaped in JSON: $(cat "$TMP/a.json")"
[ "$(jq -r '.rows[0].as_org' "$TMP/a.json")" = 'Documentation <b>Three</b>' ] || fail "as_org round trip"
curl -sf "$NE_URL/api/v1/connections?group=country&direction=inbound&state=established" >"$TMP/a.json" || fail "API failed"
[ "$(jq -c '[.groups[] | select(.key != "") | [.key, .sockets]]' "$TMP/a.json")" = \
	'[["FR",5],["JP",3],["NL",2],["unknown",1]]' ] || fail "group=country: $(cat "$TMP/a.json")"
curl -sf "$NE_URL/api/v1/connections?country=none&port=8080&direction=inbound" >"$TMP/a.json" || fail "API failed"
[ "$(jq -c '[.total, ([.rows[] | .remote] | unique)]' "$TMP/a.json")" = '[4,["10.1.0.2"]]' ] ||
	fail "country=none: $(cat "$TMP/a.json")"
curl -sf "$NE_URL/api/v1/connections?group=program&direction=outbound" >"$TMP/a.json" || fail "API failed"
[ "$(jq -c '.groups[] | select(.key == "sockpop") | .countries' "$TMP/a.json")" = '{"DE":9,"":4,"NL":2}' ] ||
	[ "$(jq -c '.groups[] | select(.key == "sockpop") | .countries | to_entries | sort_by(.key)' "$TMP/a.json")" = \
	'[{"key":"","value":4},{"key":"DE","value":9},{"key":"NL","value":2}]' ] ||
	fail "countries of group=program: $(cat "$TMP/a.json")"

# The database is updated on disk (a rename, as geoipupdate does): the next
# scrape and API call use it.
perl "$MK" maxmind "$TMP/new.mmdb" alt || fail "cannot build the updated database"
mv "$TMP/new.mmdb" "$TMP/maxmind.mmdb"
ne_scrape >"$TMP/m2" || fail "scrape failed"
check_countries "$TMP/m2" IT
expect_value "$TMP/m2" "$(series inbound FR)" ""
curl -sf "$NE_URL/api/v1/connections?country=IT" >"$TMP/a.json" || fail "API failed"
[ "$(jq '.total' "$TMP/a.json")" = 5 ] || fail "country=IT after the update: $(cat "$TMP/a.json")"
# Readers: the sockets collector, the connections explorer, and the events
# collector (its scan sources) where built.
readers=2
! ne_have_events || readers=3
[ "$(grep -c 'msg="GeoIP database .*maxmind.mmdb reloaded"' "$TMP/ne.log")" = "$readers" ] ||
	fail "reload not logged once per reader: $(grep GeoIP "$TMP/ne.log")"

# SIGHUP reopens; the exporter keeps serving. Polled: scrapes until a
# reader of the scrape (sockets, and events where built) has reopened the
# unchanged file (one more "reloaded" than the readers had said).
kill -HUP "$NE_PID"
wait_until 5 grep -q 'msg="received SIGHUP, reopening GeoIP databases"' "$TMP/ne.log"
reopened_after_hup() {
	ne_scrape >"$TMP/m3" || fail "scrape after SIGHUP failed"
	[ "$(grep -c 'msg="GeoIP database .*maxmind.mmdb reloaded"' "$TMP/ne.log")" -gt "$readers" ]
}
wait_until 10 reopened_after_hup
check_countries "$TMP/m3" IT

# The file goes away: the last good database stays, with one warning (each
# reader says it once; the log says a line once).
rm "$TMP/maxmind.mmdb"
for _ in 1 2 3; do ne_scrape >"$TMP/m4" || fail "scrape without the file failed"; done
curl -sf "$NE_URL/api/v1/connections?country=IT" >/dev/null || fail "API without the file failed"
curl -sf "$NE_URL/api/v1/connections?country=IT" >/dev/null || fail "API without the file failed"
check_countries "$TMP/m4" IT
[ "$(grep -c 'level=warn.*maxmind.mmdb.*keeping the database loaded before' "$TMP/ne.log")" = 1 ] ||
	fail "want one warning: $(grep GeoIP "$TMP/ne.log")"

# Either database damaged under the running exporter, in every way a file
# can be: it survives (truncation used to be a SIGBUS: the file was mapped),
# serves the last good answers, never garbage; a good file written in place
# is taken. Both readers (scrape and API) are asked each time.
check_db() { # COUNTRY_OF_198.51.100.7
	ne_scrape >"$TMP/m8" || fail "scrape failed"
	kill -0 "$NE_PID" 2>/dev/null || fail "exporter died"
	check_countries "$TMP/m8" "$1"
	expect_value "$TMP/m8" "netstat_tcp_top_inbound_peer_sockets{state=\"established\",address=\"198.51.100.7\",country=\"$1\",asn=\"64497\",as_org=\"Documentation Net Two\"}" 5
	curl -sf "$NE_URL/api/v1/connections?remote=198.51.100.7" >"$TMP/a.json" || fail "API failed"
	[ "$(jq -c '[.total, ([.rows[] | [.country, .asn]] | unique)]' "$TMP/a.json")" = "[5,[[\"$1\",64497]]]" ] ||
		fail "API after damage: $(cat "$TMP/a.json")"
}
perl "$MK" maxmind "$TMP/new.mmdb" || fail "cannot build the database"
mv "$TMP/new.mmdb" "$TMP/maxmind.mmdb"
check_db FR
: >"$TMP/maxmind.mmdb"                            # truncated
: >"$TMP/asn.mmdb"
check_db FR
check_db FR
perl "$MK" maxmind "$TMP/alt.mmdb" alt || fail "cannot build the database"
cat "$TMP/alt.mmdb" >"$TMP/maxmind.mmdb"         # a good one written in place
check_db IT
size=$(stat -c %s "$TMP/maxmind.mmdb")            # garbage over it, in place
head -c "$size" /dev/urandom | dd of="$TMP/maxmind.mmdb" conv=notrunc status=none
check_db IT
perl "$MK" asn "$TMP/asn.mmdb" || fail "cannot build the ASN database"
check_db IT
size=$(stat -c %s "$TMP/asn.mmdb")
head -c "$size" /dev/zero | dd of="$TMP/asn.mmdb" conv=notrunc status=none
check_db IT
for f in maxmind asn; do                          # corrupt files renamed into place
	head -c 4096 /dev/urandom >"$TMP/new.mmdb"
	mv "$TMP/new.mmdb" "$TMP/$f.mmdb"
done
check_db IT
ne_stop

# The CC0 ip-location-db layout (country_code), no ASN database: no asn labels.
ne_start --geoip.database="$TMP/cc0.mmdb" "${FLAGS[@]}"
ne_scrape >"$TMP/m5" || fail "scrape failed"
expect_promtool_clean "$TMP/m5"
check_countries "$TMP/m5" FR
expect_value "$TMP/m5" 'netstat_tcp_top_inbound_peer_sockets{state="established",address="198.51.100.7",country="FR"}' 5
grep -q 'country_code layout' "$TMP/ne.log" || fail "layout not logged as country_code"
ne_stop

# The rest of the countries past --collector.sockets.top-countries are "other".
ne_start --geoip.database="$TMP/cc0.mmdb" --collector.sockets.top-countries=1
ne_scrape >"$TMP/m6" || fail "scrape failed"
expect_value "$TMP/m6" "$(series inbound FR)" 5
expect_value "$TMP/m6" "$(series inbound other)" 6
expect_value "$TMP/m6" "$(series inbound JP)" ""
ne_stop

# Without a database: no family, no extra labels.
ne_start "${FLAGS[@]}"
ne_scrape >"$TMP/m7" || fail "scrape failed"
grep -q '^netstat_tcp_peer_country_sockets' "$TMP/m7" && fail "country family without a database"
expect_value "$TMP/m7" 'netstat_tcp_top_inbound_peer_sockets{state="established",address="198.51.100.7"}' 5
ne_stop

# Start-up errors: missing and corrupt files, also for the ASN database.
head -c 4096 /dev/urandom >"$TMP/corrupt.mmdb"
for args in "--geoip.database=$TMP/absent.mmdb" "--geoip.database=$TMP/corrupt.mmdb" \
	"--geoip.database=$TMP/cc0.mmdb --geoip.asn-database=$TMP/absent.mmdb"; do
	rc=0
	# shellcheck disable=SC2086
	timeout 10 "$NE_BIN" --web.listen-address="127.0.0.1:$NE_PORT" $args >"$TMP/err.log" 2>&1 || rc=$?
	[ "$rc" = 2 ] || fail "$args: exit status $rc, want 2: $(cat "$TMP/err.log")"
	grep -q 'cannot open GeoIP database' "$TMP/err.log" || fail "$args: unclear error: $(cat "$TMP/err.log")"
done
echo "geoip: countries, peer labels, API, both layouts, reload and start-up errors as expected"
