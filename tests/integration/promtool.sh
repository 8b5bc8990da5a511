# The Prometheus pieces under deploy/ checked by Prometheus' own tool: the
# example config, the rules, and the rules' unit tests (every alert firing,
# not firing, labels and annotations). No network needed.
source "$(dirname "$0")/../lib/common.sh"

P="$SRC/deploy/prometheus"
command -v promtool >/dev/null || fail "promtool not installed (Debian package prometheus)"

promtool check config "$P/prometheus.yml" >"$TMP/out" 2>&1 || fail "promtool check config: $(cat "$TMP/out")"
promtool check rules "$P/rules.yml" >"$TMP/out" 2>&1 || fail "promtool check rules: $(cat "$TMP/out")"
(cd "$P/tests" && promtool test rules ./*.yml) >"$TMP/out" 2>&1 || fail "promtool test rules: $(cat "$TMP/out")"

# Every alert in the rules file has a unit test that expects it to fire.
alerts=$(sed -n 's/^ *- alert: *//p' "$P/rules.yml" | sort -u)
[ -n "$alerts" ] || fail "no alerts found in rules.yml"
for a in $alerts; do
	grep -q "alertname: $a\$" "$P"/tests/*.yml || fail "alert $a has no promtool unit test"
	grep -A3 "alertname: $a\$" "$P"/tests/*.yml | grep -q 'exp_labels' ||
		fail "alert $a is never expected to fire in the unit tests"
	grep -A2 "alertname: $a\$" "$P"/tests/*.yml | grep -q 'exp_alerts: \[\]' ||
		fail "alert $a is never expected to stay silent in the unit tests"
	# Each alert carries a summary, a description and a runbook comment.
	awk -v a="$a" '
		/^ *#/ { comment = 1; next }
		/^ *- alert: / { if ($3 == a) { found = 1; ok_comment = comment } comment = 0; next }
		found && /^ *summary:/ { s = 1 }
		found && /^ *description:/ { d = 1 }
		found && /^ *- (alert|record):/ { exit }
		!/^ *#/ && !/^ *- alert: / { if (!found) comment = 0 }
		END { exit !(ok_comment && s && d) }' "$P/rules.yml" ||
		fail "alert $a lacks a runbook comment, a summary or a description"
done
echo "promtool: config, rules and $(echo "$alerts" | wc -l) alerts' unit tests pass"
