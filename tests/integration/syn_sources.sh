# Integration test of a distributed SYN flood by country, prefix and AS: 23
# half-open connections from 11 sources in the documentation ranges (mapped
# to countries and ASNs by the suite's own MMDBs, tests/helpers/make_mmdb.pl)
# and one private address, at a listener whose SYN-ACKs nftables drops (so
# the request sockets stay). Checked exactly: the syn_recv series of
# netstat_tcp_peer_country_sockets, the top-K families by /24 and /48
# prefix and by AS, the connections API's rows (the listener's program),
# filters and groups over the same flood, and promtool's lint.
#   bash tests/integration/syn_sources.sh BUILD_DIR SRC_DIR
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

command -v jq >/dev/null || fail "jq is required"
command -v nft >/dev/null || fail "nft (nftables) is required"
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null ||
	fail "MaxMind::DB::Writer::Tree missing (Debian package libmaxmind-db-writer-perl)"
MK="$SRC/tests/helpers/make_mmdb.pl"
for l in maxmind asn; do perl "$MK" "$l" "$TMP/$l.mmdb" || fail "cannot build the $l database"; done

sysctl -qw net.ipv4.tcp_syncookies=0
ip addr add 10.1.0.1/32 dev lo
# source -> SYNs: DE (AS64496) 12 in one /24, FR (AS64497) 4, JP (AS64498) 3,
# NL (AS64499) 3 in two /48s, private 1.
SOURCES="192.0.2.10:5 192.0.2.11:4 192.0.2.12:3 198.51.100.20:2 198.51.100.21:2 203.0.113.30:3 2001:db8:1::5:2 2001:db8:2::5:1 10.9.0.1:1"
for s in $SOURCES; do
	a=${s%:*}
	case $a in *:*) ip -6 addr add "$a/128" dev lo nodad ;; *) ip addr add "$a/32" dev lo ;; esac
done
ip -6 addr add 2001:db8::1/128 dev lo nodad

cp "$POP" "$TMP/sshd"
"$TMP/sshd" L,::,2222,256 >"$TMP/sshd.out" 2>&1 &
SSHD_PID=$!
wait_ready "$TMP/sshd.out"

nft add table inet issue20_syn
nft add chain inet issue20_syn in '{ type filter hook input priority 0; }'
nft add rule inet issue20_syn in tcp sport 2222 'tcp flags & (syn|ack) == (syn|ack)' drop
spec=()
for s in $SOURCES; do
	a=${s%:*} n=${s##*:}
	case $a in *:*) dst=2001:db8::1 ;; *) dst=10.1.0.1 ;; esac
	spec+=("S,$n,$a,$dst,2222")
done
cp "$POP" "$TMP/flooder"
"$TMP/flooder" "${spec[@]}" >"$TMP/flood.out" 2>&1 &
wait_ready "$TMP/flood.out"

ne_start --geoip.database="$TMP/maxmind.mmdb" --geoip.asn-database="$TMP/asn.mmdb" \
	--collector.sockets.top-peers=3 --web.enable-connections

# Every SYN has become a request socket at sshd's listener.
for _ in $(seq 100); do
	n=$(curl -sf "$NE_URL/api/v1/connections?state=syn_recv&port=2222" | jq '.total')
	[ "$n" = 23 ] && break
	sleep 0.1
done
[ "$n" = 23 ] || fail "$n SYN_RECV sockets at port 2222, want 23"

ne_scrape >"$TMP/m" || fail "scrape failed"
expect_promtool_clean "$TMP/m"
c='netstat_tcp_peer_country_sockets{direction="inbound",country='
expect_value "$TMP/m" "${c}\"DE\",state=\"syn_recv\"}" 12
expect_value "$TMP/m" "${c}\"FR\",state=\"syn_recv\"}" 4
expect_value "$TMP/m" "${c}\"JP\",state=\"syn_recv\"}" 3
expect_value "$TMP/m" "${c}\"NL\",state=\"syn_recv\"}" 3
expect_value "$TMP/m" "${c}\"\",state=\"syn_recv\"}" 1
expect_value "$TMP/m" "${c}\"other\",state=\"syn_recv\"}" 0
[ "$(grep -c '^netstat_tcp_peer_country_sockets{.*state="syn_recv"' "$TMP/m")" = 6 ] ||
	fail "syn_recv country series: $(grep '^netstat_tcp_peer_country_sockets{.*syn_recv' "$TMP/m")"
# Established sockets keep their series (the scrape's own, over loopback).
grep -q "^${c}\"\",state=\"established\"} [0-9]" "$TMP/m" || fail "no established country series"
grep -q '^netstat_tcp_peer_country_sockets{direction="outbound".*state="syn_recv"' "$TMP/m" &&
	fail "outbound syn_recv country series"

p='netstat_tcp_syn_recv_top_prefix_sockets{prefix='
expect_value "$TMP/m" "${p}\"192.0.2.0/24\"}" 12
expect_value "$TMP/m" "${p}\"198.51.100.0/24\"}" 4
expect_value "$TMP/m" "${p}\"203.0.113.0/24\"}" 3
expect_value "$TMP/m" "${p}\"other\"}" 4   # 2001:db8:1::/48 2, 2001:db8:2::/48 1, 10.9.0.0/24 1
[ "$(grep -c '^netstat_tcp_syn_recv_top_prefix_sockets{' "$TMP/m")" = 4 ] || fail "prefix series: $(grep '^netstat_tcp_syn_recv_top_prefix' "$TMP/m")"
a='netstat_tcp_syn_recv_top_asn_sockets{asn='
expect_value "$TMP/m" "${a}\"64496\",as_org=\"Documentation Net One\"}" 12
expect_value "$TMP/m" "${a}\"64497\",as_org=\"Documentation Net Two\"}" 4
expect_value "$TMP/m" "${a}\"64498\",as_org=\"Documentation <b>Three</b>\"}" 3  # ties go to the lower AS
expect_value "$TMP/m" "${a}\"other\",as_org=\"\"}" 4                             # NL 3, private 1
[ "$(grep -c '^netstat_tcp_syn_recv_top_asn_sockets{' "$TMP/m")" = 4 ] || fail "asn series: $(grep '^netstat_tcp_syn_recv_top_asn' "$TMP/m")"
# With K large enough, the /48s have their own series.
ne_stop
ne_start --geoip.database="$TMP/maxmind.mmdb" --geoip.asn-database="$TMP/asn.mmdb" \
	--collector.sockets.top-peers=10 --web.enable-connections
ne_scrape >"$TMP/m2" || fail "scrape failed"
expect_value "$TMP/m2" "${p}\"2001:db8:1::/48\"}" 2
expect_value "$TMP/m2" "${p}\"2001:db8:2::/48\"}" 1
expect_value "$TMP/m2" "${p}\"10.9.0.0/24\"}" 1
expect_value "$TMP/m2" "${p}\"other\"}" 0
expect_value "$TMP/m2" "${a}\"64499\",as_org=\"Documentation Net Six\"}" 3
expect_value "$TMP/m2" "${a}\"\",as_org=\"\"}" 1
# The request sockets are sshd's, through its listener.
expect_value "$TMP/m2" 'netstat_process_sockets{comm="sshd",protocol="tcp",state="syn_recv"}' 23

# The same flood in the connections API.
api() { # QUERY -> body in $TMP/api.json
	local code
	code=$(curl -s -o "$TMP/api.json" -w '%{http_code}' "$NE_URL/api/v1/connections?$1")
	[ "$code" = 200 ] || fail "?$1: HTTP $code: $(cat "$TMP/api.json")"
}
expect_jq() { # FILTER WANT WHAT
	local got
	got=$(jq -c "$1" "$TMP/api.json")
	[ "$got" = "$2" ] || fail "$3: $1 gave $got, want $2"
}
api 'state=syn_recv&limit=100'
expect_jq '[.rows[] | [.program, .pid, .owner]] | unique' "[[\"sshd\",$SSHD_PID,\"listener\"]]" "syn_recv rows' program"
api 'state=syn_recv&group=country'
expect_jq '[.groups[] | [.key, .sockets]] | sort' '[["",1],["DE",12],["FR",4],["JP",3],["NL",3]]' "group=country"
api 'state=syn_recv&country=NL'
expect_jq '.total' 3 "country=NL"
# The alerts' links: by AS, by prefix.
api 'state=syn_recv&group=asn'
expect_jq '[.groups[] | [.key, .as_org, .sockets]] | sort' \
	'[["","",1],["64496","Documentation Net One",12],["64497","Documentation Net Two",4],["64498","Documentation <b>Three</b>",3],["64499","Documentation Net Six",3]]' "group=asn"
api 'state=syn_recv&asn=64496&group=prefix'
expect_jq '[.total, [.groups[] | [.key, .sockets]]]' '[12,[["192.0.2.0/24",12]]]' "asn=64496&group=prefix"
api 'state=syn_recv&group=prefix'
expect_jq '[.groups[] | [.key, .sockets]] | sort' \
	'[["10.9.0.0/24",1],["192.0.2.0/24",12],["198.51.100.0/24",4],["2001:db8:1::/48",2],["2001:db8:2::/48",1],["203.0.113.0/24",3]]' "group=prefix"
echo "syn_sources: a distributed SYN flood by country, prefix and AS exact in the metrics and the API"
