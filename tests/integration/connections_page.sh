# Integration test of the /connections page in headless Chromium (Debian's
# chromium) against a live exporter in a private network namespace: the
# DOM after the page's JavaScript ran (rows, a filter taken from the URL,
# the grouped view), no Content-Security-Policy violation or script error
# in the console, a program named `<img src=x onerror=alert(1)>` shown as
# text, RTT and retransmissions from tcp_info (--collector.sockets.tcp-info)
# as the API gives them. Then, driven over the DevTools protocol
# (tests/helpers/cdp.js, Debian's nodejs): the summary's counts equal the
# API's, rows opened and closed between two refreshes are marked, every
# filter round-trips through the URL and an unknown parameter is said, the
# program column is in view at 420 px, screenshots at 1400 and 420 px are
# kept in the build directory (connections-1400.png, connections-420.png),
# a listener a parent and its child hold shows both pids (also at 420 px,
# connections-shared-420.png), and the table is marked stale once the
# exporter is stopped.
#   bash tests/integration/connections_page.sh BUILD_DIR SRC_DIR
source "$(dirname "$0")/../lib/common.sh"
ne_enter_netns

command -v chromium >/dev/null || fail "chromium is required (Debian package chromium)"
command -v node >/dev/null || fail "node is required (Debian package nodejs)"

# A program whose name is markup: its comm is the first 15 bytes.
EVIL='<img src=x onerror=alert(1)>'
cp "$POP" "$TMP/$EVIL"
"$TMP/$EVIL" L,127.0.0.1,9090 >"$TMP/evil.out" 2>&1 &
wait_ready "$TMP/evil.out"
"$POP" L,127.0.0.1,8080 E,3,127.0.0.2,127.0.0.1,8080 >"$TMP/pop.out" 2>&1 &
POPPID=$!
wait_ready "$TMP/pop.out"
# A listener a parent and its forked child both hold (issue 20, item 8).
cp "$POP" "$TMP/sharer"
"$TMP/sharer" L,127.0.0.1,8095 F,1 >"$TMP/sharer.out" 2>&1 &
SHARER=$!
wait_ready "$TMP/sharer.out"
SHARER_CHILD=$(awk '/^child / { print $2 }' "$TMP/sharer.out")
[ -n "$SHARER_CHILD" ] || fail "sharer did not fork: $(cat "$TMP/sharer.out")"

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
# Problems first by default: no column is the sort.
grep -q 'aria-sort' "$TMP/dom.html" && fail "a column marked as the default sort"
[ "$(grep -o '<input name=' "$TMP/dom.html" | wc -l)" = "$(grep -o '<label[^>]*>[A-Za-z ]*<input name=' "$TMP/dom.html" | wc -l)" ] ||
	fail "a filter field without a label"

# The program named like markup is text: escaped in the serialised DOM, and
# no <img> element anywhere.
grep -q '<td class="prog">&lt;img src=x oner</td>' "$TMP/dom.html" ||
	fail "the markup-named program is not shown as text: $(grep -o '<td class="prog">[^<]*' "$TMP/dom.html" | sort -u)"
grep -qi '<img' "$TMP/dom.html" && fail "an <img> element made it into the DOM"

# A filter from the URL, sorted by a column.
browse '/connections?state=listen&port=9090&sort=local' --dump-dom
[ "$(rows)" = 1 ] || fail "state=listen&port=9090: $(rows) rows"
grep -q 'id="status"[^>]*>1 sockets match; showing 1\.' "$TMP/dom.html" || fail "filtered status line"
grep -q '<td class=" sorted">127.0.0.1:9090</td><td class="prog">&lt;img src=x oner</td><td class="num">[0-9]*</td><td>0.0.0.0:0</td><td class="state">listen</td>' "$TMP/dom.html" ||
	fail "filtered row: $(grep -o '<tbody>.*</tbody>' "$TMP/dom.html" | head -c 800)"
grep -q '<th class=" sorted" scope="col" aria-sort="ascending"><button type="button" title="Sort by Local">Local</button>' "$TMP/dom.html" ||
	fail "the sort column is not marked: $(grep -o '<thead>.*</thead>' "$TMP/dom.html" | head -c 600)"

# RTT and retransmissions (tcp_info): idle loopback pairs keep the RTT of
# their handshake, so the page shows what the API says, to the microsecond.
browse '/connections?state=established&program=sockpop&retransmitting=false&sort=local' --dump-dom
[ "$(rows)" = 6 ] || fail "sockpop established, retransmitting=false: $(rows) rows"
curl -sf "$NE_URL/api/v1/connections?state=established&program=sockpop&retransmitting=false&sort=local" |
	jq -r '.rows[] | "<td class=\"num wide\">\(.rtt * 1000 * 1000 | round / 1000 | tostring)"' >"$TMP/rtt.want"
[ "$(wc -l <"$TMP/rtt.want")" = 6 ] || fail "API rows with tcp_info: $(cat "$TMP/rtt.want")"
# RTT, then Retrans (0), then User.
grep -o '<td class="num wide">[0-9.]*</td><td class="num wide">0</td><td class="wide">' "$TMP/dom.html" |
	sed 's|</td><td class="num wide">0</td><td class="wide">||' >"$TMP/rtt.got"
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

# A shared socket shows every owner: the program with the number of
# processes, both pids, and each owner with its program in the tooltip; the
# pid filter finds it by the child's pid too.
browse '/connections?program=sharer&state=listen' --dump-dom
both="sharer $SHARER, sharer $SHARER_CHILD"
grep -q "<td class=\"prog shared\" title=\"$both\">sharer (2 processes)</td><td class=\"num shared\" title=\"$both\">$SHARER, $SHARER_CHILD</td>" \
	"$TMP/dom.html" || fail "shared listener row: $(grep -o '<tbody>.*</tbody>' "$TMP/dom.html" | head -c 800)"
browse "/connections?pid=$SHARER_CHILD" --dump-dom
[ "$(rows)" = 1 ] || fail "pid=child: $(rows) rows"
grep -q "<td class=\"num shared\" title=\"$both\">$SHARER, $SHARER_CHILD</td>" "$TMP/dom.html" ||
	fail "pid=child does not show the shared listener"

# ---- Driven over the DevTools protocol ----
coproc CDP { node "$SRC/tests/helpers/cdp.js" "$TMP/cdp-profile" 1400 900 "$NE_URL/connections?program=sockpop&state=established&sort=local" 2>"$TMP/cdp.err"; }
cdp() { # COMMAND... -> the answer in $REPLY
	echo "$*" >&"${CDP[1]}"
	IFS= read -r -t 120 REPLY <&"${CDP[0]}" || fail "cdp.js did not answer '$*': $(cat "$TMP/cdp.err")"
}
cdp_wait() { # MS EXPR WHAT
	cdp wait "$1" "$2"
	[ "$REPLY" = ok ] || fail "$3 (waited $1 ms for $2)"
}
cdp_wait 20000 "document.body.dataset.loaded === 'true'" "the page did not load"
cdp eval "performance.setResourceTimingBufferSize(100000)" # the requests are counted below

# The summary strip counts what the API counts for the same filter.
cdp eval "[...document.querySelectorAll('#sum-states .chip')].filter(b => b.dataset.count !== '0').map(b => b.dataset.state + '=' + b.dataset.count).sort().join(' ')"
want=$(curl -sf "$NE_URL/api/v1/connections?program=sockpop&group=state" | jq -r '[.groups[] | "\(.key)=\(.sockets)"] | sort | join(" ")')
[ "$REPLY" = "\"$want\"" ] || fail "summary states $REPLY, API $want"
cdp eval "document.querySelector('#sum-top').textContent"
case $REPLY in *"Top programs: sockpop "*) ;; *) fail "top programs: $REPLY" ;; esac
# The namespace column stays hidden while no row has one.
cdp eval "[...document.querySelectorAll('th')].some(t => t.textContent.startsWith('Namespace'))"
[ "$REPLY" = false ] || fail "an empty namespace column is shown"

# Rows opened between two refreshes are marked, then closed ones.
cdp eval "document.querySelectorAll('tr.row').length"
[ "$REPLY" = 6 ] || fail "$REPLY established sockpop rows, want 6"
"$POP" L,127.0.0.1,8081 E,2,127.0.0.3,127.0.0.1,8081 >"$TMP/more.out" 2>&1 &
MORE=$!
wait_ready "$TMP/more.out"
cdp_wait 15000 "document.querySelectorAll('tr.row.new').length === 4" "the 4 new rows are not marked new"
cdp eval "document.querySelectorAll('tr.row').length + ' ' + document.querySelectorAll('tr.row.closed').length"
[ "$REPLY" = '"10 0"' ] || fail "rows, closed after the new ones: $REPLY"
kill "$MORE"
wait "$MORE" 2>/dev/null || true
cdp_wait 15000 "document.querySelectorAll('tr.row.closed').length === 4 && document.querySelectorAll('tr.row.new').length === 0" \
	"the 4 closed rows are not marked closed"
cdp_wait 15000 "document.querySelectorAll('tr.row.closed').length === 0 && document.querySelectorAll('tr.row').length === 6" \
	"closed rows still shown after the next refresh"

# A text selection in the table survives refreshes (the rows are not
# redrawn under it); once it is cleared the new rows appear.
cdp eval "(() => { const td = document.querySelector('tr.row td'); const r = document.createRange(); r.selectNodeContents(td); getSelection().removeAllRanges(); getSelection().addRange(r); return getSelection().toString(); })()"
sel=$REPLY
"$POP" L,127.0.0.1,8082 E,1,127.0.0.3,127.0.0.1,8082 >"$TMP/more2.out" 2>&1 &
MORE2=$!
wait_ready "$TMP/more2.out"
# A refresh asks for the rows, the states and the top programs (and the
# countries only with GeoIP): count refreshes by their one states request.
REFRESHES="performance.getEntriesByType('resource').filter(e => e.name.includes('/api/') && e.name.includes('group=state')).length"
cdp eval "$REFRESHES"
n0=$REPLY
cdp_wait 15000 "$REFRESHES >= $n0 + 2" "no two refreshes"
cdp eval "getSelection().toString() + '|' + document.querySelectorAll('tr.row').length"
[ "$REPLY" = "${sel%\"}|6\"" ] || fail "the selection did not survive the refresh ($REPLY, selected $sel)"
cdp eval "getSelection().removeAllRanges()"
cdp_wait 15000 "document.querySelectorAll('tr.row').length === 8" "the new rows did not appear once the selection was cleared"
kill "$MORE2"
wait "$MORE2" 2>/dev/null || true

# A hidden tab does not refresh; it refreshes again when shown.
cdp eval "Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'}); document.dispatchEvent(new Event('visibilitychange')); 0"
sleep 1
cdp eval "performance.getEntriesByType('resource').filter(e => e.name.includes('/api/')).length"
n0=$REPLY
sleep 7
cdp eval "performance.getEntriesByType('resource').filter(e => e.name.includes('/api/')).length"
[ "$REPLY" = "$n0" ] || fail "a hidden tab refreshed ($n0 -> $REPLY requests)"
cdp eval "Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'}); document.dispatchEvent(new Event('visibilitychange')); 0"
cdp_wait 5000 "performance.getEntriesByType('resource').filter(e => e.name.includes('/api/')).length > $n0" "no refresh when the tab is shown again"
cdp_wait 15000 "document.querySelectorAll('tr.row').length === 6 && document.querySelectorAll('tr.row.closed').length === 0" "rows after the hidden tab"

# Screenshots, wide and narrow; at 420 px the program is in view.
cdp shot "$BUILD/connections-1400.png"
cdp size 420 900
cdp_wait 5000 "innerWidth === 420" "the viewport did not narrow"
cdp eval "(() => { const th = [...document.querySelectorAll('th')].find(t => t.textContent.startsWith('Program')); const r = th.getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth; })()"
[ "$REPLY" = true ] || fail "the Program column is off-screen at 420 px"
cdp shot "$BUILD/connections-420.png"
# The shared listener at 420 px: both pids in view.
cdp eval "location.href = '/connections?program=sharer'"
cdp_wait 20000 "document.readyState === 'complete' && document.body.dataset.loaded === 'true' && location.search.includes('sharer') && document.querySelector('td.num.shared') !== null" \
	"the shared listener's page did not load"
cdp eval "(() => { const td = document.querySelector('td.num.shared'); const r = td.getBoundingClientRect(); return td.textContent + '|' + (r.left >= 0 && r.right <= innerWidth); })()"
[ "$REPLY" = "\"$SHARER, $SHARER_CHILD|true\"" ] || fail "the shared listener's pids at 420 px: $REPLY"
cdp shot "$BUILD/connections-shared-420.png"
cdp size 1400 900

# Every filter round-trips through the URL: loaded into the form, sent to
# the API, written back by Apply; an unknown parameter is said.
Q="state=established&port=8080&rport=0&remote=127.0.0.0%2F8&program=sockpop&pid=$POPPID&direction=local&proto=tcp&retransmitting=false&limit=50&sort=port&order=desc"
cdp eval "location.href = '/connections?$Q&bogus=1&group='"
cdp_wait 20000 "document.readyState === 'complete' && document.body.dataset.loaded === 'true' && location.search.includes('bogus')" "the filtered page did not load"
cdp eval "document.getElementById('notice').hidden + ' ' + document.getElementById('notice').textContent"
case $REPLY in '"false Ignored unknown URL parameter: bogus.'*) ;; *) fail "unknown parameter notice: $REPLY" ;; esac
total=$(curl -sf "$NE_URL/api/v1/connections?$Q" | jq '.total')
cdp eval "document.getElementById('status').textContent"
case $REPLY in "\"$total sockets match"*) ;; *) fail "status with every filter: $REPLY, API total $total" ;; esac
cdp eval "document.getElementById('filters').requestSubmit(); [...new URLSearchParams(location.search)].map(([k, v]) => k + '=' + v).sort().join('&')"
want=$(printf '%s\n' "${Q//&/$'\n'}" | sed 's/%2F/\//' | sort | paste -sd'&')
[ "$REPLY" = "\"$want\"" ] || fail "filters after Apply: $REPLY, want $want"
# The CSV link exports the current view.
cdp eval "document.getElementById('csv').getAttribute('href')"
case $REPLY in *format=csv*program=sockpop*|*program=sockpop*format=csv*) ;; *) fail "CSV link: $REPLY" ;; esac

# Stale: the exporter stops; the table is marked within a refresh or two.
cdp_wait 10000 "document.getElementById('updated').textContent.startsWith('updated ')" "no 'updated hh:mm:ss'"
cdp eval "document.getElementById('updated').textContent"
[[ $REPLY =~ ^\"updated\ [0-9]{2}:[0-9]{2}:[0-9]{2}\"$ ]] || fail "updated line: $REPLY"
ne_stop
cdp_wait 20000 "document.body.dataset.stale === 'true' && document.getElementById('table').classList.contains('stale')" "the table is not marked stale"
cdp eval "document.getElementById('updated').textContent + ' | ' + document.getElementById('error').textContent"
case $REPLY in '"stale, updated '*'| Not live: '*) ;; *) fail "staleness shown as: $REPLY" ;; esac
cdp errors
[ "$REPLY" = '[]' ] || fail "script errors: $REPLY"
echo quit >&"${CDP[1]}"; wait "$CDP_PID" 2>/dev/null || true
for f in connections-1400.png connections-420.png connections-shared-420.png; do
	[ "$(head -c 8 "$BUILD/$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$f is not a PNG"
done
echo "connections_page: rows, URL filters, summary, live marks, staleness, escaping and screenshots as expected ($BUILD/connections-1400.png)"
