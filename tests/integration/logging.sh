# Errors are said once and truly: counted in the real exporter's log over
# several scrapes. An unopenable --path.procfs is one line naming it (not one
# "Bad file descriptor" per collector per scrape); a collector that fails says
# why in one line (not again as "collector X failed"), once, not per scrape.
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

# Warnings and errors in the exporter's log.
said() { grep -cE 'level=(warn|error)' "$TMP/ne.log" || true; }

# 1. --path.procfs that does not exist.
ne_start --path.procfs="$TMP/nowhere"
for _ in 1 2 3 4; do ne_scrape >"$TMP/m"; done
ne_stop
[ "$(said)" = 1 ] || fail "want one line for a missing --path.procfs, got: $(grep -E 'level=(warn|error)' "$TMP/ne.log")"
grep -q "level=error msg=\"cannot open --path.procfs $TMP/nowhere: No such file or directory" "$TMP/ne.log" ||
	fail "the line does not say the real cause"
! grep -q 'Bad file descriptor' "$TMP/ne.log" || fail "collectors still blame a bad file descriptor"
expect_value "$TMP/m" 'netstat_exporter_collector_success{collector="netstat"}' 0
expect_value "$TMP/m" 'netstat_exporter_collector_success{collector="sockets"}' 1

# 2. A malformed net/snmp: the collector's one line, once over four scrapes.
mkdir -p "$TMP/proc/net"
printf 'Ip: Forwarding\nIp: 1 2\n' >"$TMP/proc/net/snmp"
ne_start --path.procfs="$TMP/proc" --collector.disable-defaults --collector.netstat
for _ in 1 2 3 4; do ne_scrape >"$TMP/m"; done
ne_stop
[ "$(said)" = 1 ] || fail "want one line for a malformed net/snmp, got: $(grep -E 'level=(warn|error)' "$TMP/ne.log")"
grep -q 'level=warn msg="netstat: malformed net/snmp line' "$TMP/ne.log" || fail "the line does not name the file"
expect_value "$TMP/m" 'netstat_exporter_collector_success{collector="netstat"}' 0

# 3. When the cause changes, the new cause is said at once.
ne_start --path.procfs="$TMP/proc" --collector.disable-defaults --collector.netstat
ne_scrape >"$TMP/m"
printf 'Ip: Forwarding\nIp: x\n' >"$TMP/proc/net/snmp"
ne_scrape >"$TMP/m"
ne_scrape >"$TMP/m"
ne_stop
[ "$(said)" = 2 ] || fail "want one line per cause, got: $(grep -E 'level=(warn|error)' "$TMP/ne.log")"
echo "logging: one line per cause, said once"
