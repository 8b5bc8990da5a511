# Integration test of the /connections page in headless Chromium (Debian's
# chromium) against a live exporter in a private network namespace: the
# DOM after the page's JavaScript ran (rows, a filter taken from the URL,
# the grouped view), no Content-Security-Policy violation or script error
# in the console, a program named `<img src=x onerror=alert(1)>` shown as
# text, RTT and retransmissions from tcp_info (--collector.sockets.tcp-info)
# as the API gives them, and screenshots (wide and narrow) saved to the
# build directory.
#   bash tests/integration/connections_page.sh BUILD_DIR SRC_DIR
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

command -v chromium >/dev/null || fail "chromium is required (Debian package chromium)"

# A program whose name is markup: its comm is the first 15 bytes.
EVIL='<img src=x onerror=alert(1)>'
cp "$POP" "$TMP/$EVIL"
"$TMP/$EVIL" L,127.0.0.1,9090 >"$TMP/evil.out" 2>&1 &
wait_ready "$TMP/evil.out"
"$POP" L,127.0.0.1,8080 E,3,127.0.0.2,127.0.0.1,8080 >"$TMP/pop.out" 2>&1 &
wait_ready "$TMP/pop.out"

ne_start --web.enable-connections --collector.sockets.tcp-info

# Loads URL in a fresh headless Chromium; the DOM after JavaScript ran goes
# to $TMP/dom.html, the console to $TMP/console.log.
browse() { # PATH [extra chromium flags...]
	local path=$1
	shift
	rm -rf "$TMP/profile"
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$TMP/profile" --enable-logging=stderr --v=0 \
		--virtual-time-budget=2000 "$@" "$NE_URL$path" >"$TMP/dom.html" 2>"$TMP/console.log" ||
		fail "chromium failed on $path: $(tail -n 5 "$TMP/console.log")"
	if grep -E 'Refused to|Content Security Policy|Uncaught' "$TMP/console.log"; then
		fail "console errors on $path"
	fi
}
rows() { grep -o '<tr class="row">' "$TMP/dom.html" | wc -l; }

# Every socket: the status line counts them, the rows are there.
browse /connections --dump-dom
grep -q 'data-loaded="true"' "$TMP/dom.html" || fail "the page did not load its data: $(head -c 2000 "$TMP/dom.html")"
total=$(curl -sf "$NE_URL/api/v1/connections" | jq '.total')
n=$(rows)
[ "$n" -ge 9 ] || fail "only $n rows shown"
grep -q "id=\"status\"[^>]*>[0-9]* sockets match; showing $n" "$TMP/dom.html" ||
	fail "status line: $(grep -o '<p id="status"[^<]*' "$TMP/dom.html") (API total $total)"
grep -q '<td class="prog">sockpop</td>' "$TMP/dom.html" || fail "sockpop's rows missing"
# Keyboard: every sortable header is a button (focusable, Enter/Space sort),
# the current sort column says so to assistive technology, and every filter
# field sits in a label.
[ "$(grep -o '<th[^>]*><button type="button"' "$TMP/dom.html" | wc -l)" -ge 12 ] || fail "sortable headers are not buttons"
grep -q '<th scope="col" aria-sort="ascending"><button type="button" title="Sort by Local">Local</button>' "$TMP/dom.html" ||
	fail "the sort column is not marked: $(grep -o '<thead>.*</thead>' "$TMP/dom.html" | head -c 600)"
[ "$(grep -o '<input name=' "$TMP/dom.html" | wc -l)" = "$(grep -o '<label>[A-Za-z ]*<input name=' "$TMP/dom.html" | wc -l)" ] ||
	fail "a filter field without a label"

# The program named like markup is text: escaped in the serialised DOM, and
# no <img> element anywhere.
grep -q '<td class="prog">&lt;img src=x oner</td>' "$TMP/dom.html" ||
	fail "the markup-named program is not shown as text: $(grep -o '<td class="prog">[^<]*' "$TMP/dom.html" | sort -u)"
grep -qi '<img' "$TMP/dom.html" && fail "an <img> element made it into the DOM"

# A filter from the URL.
browse '/connections?state=listen&port=9090' --dump-dom
[ "$(rows)" = 1 ] || fail "state=listen&port=9090: $(rows) rows"
grep -q 'id="status"[^>]*>1 sockets match; showing 1\.' "$TMP/dom.html" || fail "filtered status line"
grep -q '<td>127.0.0.1:9090</td><td>0.0.0.0:0</td><td>listen</td>' "$TMP/dom.html" || fail "filtered row"

# RTT and retransmissions (tcp_info): idle loopback pairs keep the RTT of
# their handshake, so the page shows what the API says, to the microsecond.
browse '/connections?state=established&program=sockpop&retransmitting=false&sort=local' --dump-dom
[ "$(rows)" = 6 ] || fail "sockpop established, retransmitting=false: $(rows) rows"
curl -sf "$NE_URL/api/v1/connections?state=established&program=sockpop&retransmitting=false&sort=local" |
	jq -r '.rows[] | "<td class=\"num wide\">\(.rtt * 1000 * 1000 | round / 1000 | tostring)"' >"$TMP/rtt.want"
[ "$(wc -l <"$TMP/rtt.want")" = 6 ] || fail "API rows with tcp_info: $(cat "$TMP/rtt.want")"
grep -o '<td class="num wide">[0-9.]*</td><td class="num wide">0</td>' "$TMP/dom.html" |
	sed 's|</td><td class="num wide">0</td>||' >"$TMP/rtt.got"
# jq prints 0.05 where the page prints 0.050: compare as numbers.
paste <(sed 's/.*>//' "$TMP/rtt.got") <(sed 's/.*>//' "$TMP/rtt.want") |
	awk 'NF != 2 || $1 + 0 != $2 + 0 || $1 + 0 <= 0 { bad = 1 } END { exit bad }' ||
	fail "RTT cells: page $(tr '\n' ' ' <"$TMP/rtt.got"), API $(tr '\n' ' ' <"$TMP/rtt.want")"
[ "$(wc -l <"$TMP/rtt.got")" = 6 ] || fail "RTT cells: $(cat "$TMP/rtt.got")"

# A bad filter from the URL: the API's message is shown.
browse '/connections?port=99999' --dump-dom
grep -q "bad value for 'port'" "$TMP/dom.html" || fail "no error shown for a bad filter"

# The grouped view, by program, with drill-down links.
browse '/connections?group=program&state=established' --dump-dom
grep -q '<tr class="group"><td><a class="key" href="/connections?state=established&amp;program=sockpop">sockpop</a></td><td class="num">6</td><td>established 6</td></tr>' \
	"$TMP/dom.html" || fail "grouped view: $(grep -o '<tbody>.*</tbody>' "$TMP/dom.html" | head -c 1500)"

# Screenshots, wide and narrow (the layout wraps instead of clipping).
browse /connections --screenshot="$BUILD/connections.png" --window-size=1280,720 --hide-scrollbars
browse '/connections?group=port' --screenshot="$BUILD/connections-narrow.png" --window-size=400,800
for f in connections.png connections-narrow.png; do
	[ "$(head -c 8 "$BUILD/$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$f is not a PNG"
done
ne_stop
echo "connections_page: rows, URL filter, grouped view, escaping and screenshots as expected ($BUILD/connections.png)"
