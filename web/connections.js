// The /connections page: filters live in the URL, the table is built with
// textContent only (program names are chosen by whoever runs a process), and
// the data comes from /api/v1/connections every few seconds: a summary strip
// (sockets per state, top programs and countries) above the rows, rows that
// opened or closed since the last refresh marked for one refresh, a stale
// table marked as such.
'use strict';

// Every API parameter; the URL and the form hold the same ones.
const FIELDS = ['state', 'port', 'rport', 'remote', 'program', 'pid', 'country', 'asn', 'direction', 'proto',
	'retransmitting', 'netns', 'namespace', 'pod', 'group', 'limit', 'sort', 'order'];
const FORMAT_ONLY = ['format'];
const DEFAULT_SORT = 'problems'; // the page's: SYN_RECV, CLOSE_WAIT, retransmitting first
const ROW_COLUMNS = [
	// [header, sort key, render(row), class]
	['Proto', 'proto', (r) => r.proto, 'wide'],
	['Local', 'local', (r) => hostPort(r.local, r.port), ''],
	['Program', 'program', (r) => programText(r), 'prog'],
	['PID', 'pid', (r) => pidText(r), 'num'],
	['Remote', 'remote', (r) => hostPort(r.remote, r.rport), ''],
	['State', 'state', (r) => r.state, 'state'],
	['Direction', 'direction', (r) => r.direction, 'wide'],
	['Recv-Q', 'rqueue', (r) => String(r.rqueue), 'num wide'],
	['Send-Q', 'wqueue', (r) => String(r.wqueue), 'num wide'],
	['Country', 'country', (r) => countryText(r.country), 'geo'],
	['Network', null, (r) => asText(r), 'geo wide'],
	// rtt: seconds with microseconds; retrans: segments over the socket's
	// life, "now" while it is retransmitting (null without tcp_info).
	['RTT ms', 'rtt', (r) => (r.rtt === null ? '' : (r.rtt * 1000).toFixed(3)), 'num wide'],
	['Retrans', 'retrans', (r) => (r.retrans === null ? '' : r.retrans + (r.retransmitting ? ' now' : '')), 'num wide'],
	['User', 'uid', (r) => r.user, 'wide'],
	['Namespace / pod', null, (r) => nsText(r), 'wide ns'],
];
// The filter a group's key drills down to.
const GROUP_FILTER = { remote: 'remote', prefix: 'remote', asn: 'asn', program: 'program', port: 'port',
	country: 'country', rport: 'rport', state: 'state', namespace: 'namespace', pod: 'netns' };
const STATE_ORDER = ['syn_recv', 'close_wait', 'established', 'syn_sent', 'fin_wait1', 'fin_wait2', 'time_wait',
	'last_ack', 'closing', 'close', 'listen', 'unconnected', 'connected'];
const ALERT_STATES = ['syn_recv', 'close_wait'];
const REFRESH_MS = 5000;
const TIMEOUT_MS = 4000;
// Rows drawn at most: the rest are counted (and in the CSV export), so a
// limit of 5000 does not cost the tab seconds of layout per refresh.
const MAX_DRAWN = 1000;

const form = document.getElementById('filters');
const statusLine = document.getElementById('status');
const errorLine = document.getElementById('error');
const updatedLine = document.getElementById('updated');
const noticeLine = document.getElementById('notice');
const summary = document.getElementById('summary');
const table = document.getElementById('table');
const thead = table.querySelector('thead');
const tbody = table.querySelector('tbody');
const csvLink = document.getElementById('csv');
let timer = null;
let inflight = null;
let lastOk = null;       // Date of the last answer shown
let lastText = '';       // its body: an unchanged answer (a 304 underneath) is not redrawn
let prevRows = null;     // key -> row of the last rows view, for opened/closed marks
let prevQuery = '';
let ownNetns = null;     // the exporter's own namespace (rows without identity there)

function hostPort(addr, port) {
	return (addr.includes(':') ? '[' + addr + ']' : addr) + ':' + port;
}

// A socket several processes hold (a forked server, a passed fd) lists them
// all: "socat (2 processes)" and "10, 11" (the first is the row's program
// and pid); past the API's list, "+N more".
function shared(r) {
	return r.owners && r.owners.length > 1;
}

function programText(r) {
	if (r.program === null) return '';
	if (r.owner === 'listener') return r.program + ' (listener)';
	if (!shared(r)) return r.program;
	return [...new Set(r.owners.map((o) => o.program))].join(', ') +
		' (' + (r.owners.length + r.owners_more) + ' processes)';
}

function pidText(r) {
	if (r.pid === null) return '';
	if (!shared(r)) return String(r.pid);
	return r.owners.map((o) => o.pid).join(', ') + (r.owners_more ? ' +' + r.owners_more + ' more' : '');
}

// Every owner with its program, for a shared row's tooltip.
function ownersTitle(r) {
	return r.owners.map((o) => o.program + ' ' + o.pid).join(', ') + (r.owners_more ? ' and ' + r.owners_more + ' more' : '');
}

function countryText(cc) {
	if (cc === null) return '';
	if (cc === '') return 'private';
	return cc;
}

// A pod as namespace/pod, else a container, else the namespace's inode;
// the exporter's own namespace (no identity) is left blank.
function nsText(r) {
	if (r.pod) return (r.namespace ? r.namespace + '/' : '') + r.pod + (r.container ? ' (' + r.container + ')' : '');
	if (r.container) return r.container;
	return r.netns && r.netns !== ownNetns ? 'netns ' + r.netns : '';
}

// What the answer says about the namespaces its rows come from.
function nsNote(data) {
	const n = data.netns;
	if (!n) return '';
	if (!n.collector) return ' Only the exporter\'s own network namespace: the netns collector is off.';
	return (n.skipped ? ' ' + n.skipped + ' namespace(s) on the shared hash table were not dumped this refresh ' +
		'(census budget): their rows are missing until their turn in a later refresh.' : '') +
		(n.failed ? ' ' + n.failed + ' namespace(s) could not be dumped.' : '');
}

function asText(r) {
	if (r.asn === null || r.asn === undefined) return r.as_org || '';
	return 'AS' + r.asn + (r.as_org ? ' ' + r.as_org : '');
}

function el(tag, text, cls) {
	const e = document.createElement(tag);
	if (text !== undefined) e.textContent = text;
	if (cls) e.className = cls;
	return e;
}

function hhmmss(d) {
	return d.toTimeString().slice(0, 8);
}

// The query as the URL and the form hold it: only non-empty fields.
function currentParams() {
	const p = new URLSearchParams();
	for (const name of FIELDS) {
		const v = form.elements[name].value.trim();
		if (v !== '') p.set(name, v);
	}
	return p;
}

// What the API is asked: the page's default sort when none is chosen.
function apiParams() {
	const p = currentParams();
	if (!p.has('sort') && !p.has('group')) p.set('sort', DEFAULT_SORT);
	return p;
}

function loadFromUrl() {
	const p = new URLSearchParams(location.search);
	for (const name of FIELDS) form.elements[name].value = p.get(name) || '';
	// Say what the page does not know, rather than drop it silently.
	const unknown = [...new Set([...p.keys()].filter((k) => !FIELDS.includes(k) && !FORMAT_ONLY.includes(k)))];
	noticeLine.textContent = unknown.length
		? 'Ignored unknown URL parameter' + (unknown.length > 1 ? 's' : '') + ': ' + unknown.join(', ') +
			'. Known: ' + FIELDS.join(', ') + '.'
		: '';
	noticeLine.hidden = unknown.length === 0;
}

function apply(push) {
	const p = currentParams();
	const url = location.pathname + (p.toString() ? '?' + p : '');
	if (push) history.pushState(null, '', url);
	else history.replaceState(null, '', url);
	refresh();
}

function sortKey() {
	return form.elements.sort.value || (form.elements.group.value ? '' : DEFAULT_SORT);
}

function header(columns, sortable) {
	const sort = sortKey();
	const desc = form.elements.order.value === 'desc';
	const tr = el('tr');
	let sortedTh = null;
	for (const [name, key, , cls] of columns) {
		const th = el('th', undefined, cls + (sortable && key === sort ? ' sorted' : ''));
		th.scope = 'col';
		if (sortable && key) {
			const b = el('button', name);
			b.type = 'button';
			b.title = 'Sort by ' + name;
			b.addEventListener('click', () => {
				form.elements.order.value = key === sort && !desc ? 'desc' : 'asc';
				form.elements.sort.value = key;
				apply(false);
			});
			th.appendChild(b);
			if (key === sort) {
				th.setAttribute('aria-sort', desc ? 'descending' : 'ascending');
				sortedTh = th;
			}
		} else {
			th.textContent = name;
		}
		tr.appendChild(th);
	}
	thead.replaceChildren(tr);
	return sortedTh;
}

function rowKey(r) {
	return r.proto + ' ' + hostPort(r.local, r.port) + ' ' + hostPort(r.remote, r.rport) + ' ' + r.inode;
}

function rowTr(cols, r, extra) {
	const tr = el('tr', undefined, 'row' + extra);
	for (const [, key, render, cls] of cols) {
		const sorted = key && key === sortKey() ? ' sorted' : '';
		const td = el('td', render(r), cls + sorted);
		if (cls === 'state' && ALERT_STATES.includes(r.state)) td.classList.add('alert');
		if ((key === 'program' || key === 'pid') && shared(r)) {
			td.classList.add('shared');
			td.title = ownersTitle(r);
		}
		tr.appendChild(td);
	}
	return tr;
}

function renderRows(data, query) {
	ownNetns = data.netns ? data.netns.own : null;
	const hasNs = data.rows.some((r) => nsText(r) !== '');
	const cols = ROW_COLUMNS.filter(([, , , cls]) => (data.geoip || !cls.includes('geo')) && (hasNs || !cls.includes('ns')));
	const sortedTh = header(cols, true);
	const frag = document.createDocumentFragment();
	const now = new Map();
	const same = prevRows !== null && query === prevQuery;
	let opened = 0, closed = 0;
	const drawn = data.rows.slice(0, MAX_DRAWN);
	for (const r of data.rows) now.set(rowKey(r), r);
	for (const r of drawn) {
		const isNew = same && !prevRows.has(rowKey(r));
		if (isNew) opened++;
		frag.appendChild(rowTr(cols, r, isNew ? ' new' : ''));
	}
	// Rows gone since the last refresh stay one refresh, struck through.
	if (same) {
		for (const [k, r] of prevRows) {
			if (now.has(k) || closed >= 100) continue;
			closed++;
			frag.appendChild(rowTr(cols, r, ' closed'));
		}
	}
	tbody.replaceChildren(frag);
	prevRows = now;
	prevQuery = query;
	statusLine.textContent = data.total + ' sockets match; showing ' + data.returned +
		(data.returned < data.total ? ' (raise the limit or narrow the filter)' : '') + '.' +
		(drawn.length < data.rows.length ? ' The first ' + drawn.length + ' are drawn; the CSV export has all ' + data.rows.length + '.' : '') +
		(same && (opened || closed) ? ' Since the last refresh: ' + opened + ' opened, ' + closed + ' closed.' : '') +
		nsNote(data);
	// The sorted column in view, even when it is far to the right.
	if (sortedTh && sortedTh.scrollIntoView) sortedTh.scrollIntoView({ block: 'nearest', inline: 'nearest' });
}

function counts(obj) {
	return Object.entries(obj).sort((a, b) => b[1] - a[1]).map(([k, n]) => (k === '' ? '(private)' : k) + ' ' + n).join(', ');
}

function groupLabel(group, key) {
	if (key !== '') return key;
	if (group === 'country') return '(private)';
	if (group === 'asn') return '(private or unknown)';
	return '(none)';
}

function renderGroups(data) {
	const asn = data.group === 'asn';
	const cols = [['Group', null, null, ''], ['Network', null, null, asn ? '' : 'skip'], ['Sockets', null, null, 'num'],
		['States', null, null, ''], ['Countries', null, null, 'geo']]
		.filter(([, , , cls]) => (data.geoip || cls !== 'geo') && cls !== 'skip');
	header(cols, false);
	const frag = document.createDocumentFragment();
	for (const g of data.groups) {
		const tr = el('tr', undefined, 'group');
		const td = el('td');
		const key = String(g.key);
		// Drill down: this group's sockets (there is no filter for an
		// unknown AS).
		if (key === '' && asn) {
			td.appendChild(el('span', groupLabel(data.group, key), 'key'));
		} else {
			const a = el('a', groupLabel(data.group, key), 'key');
			const p = currentParams();
			p.delete('group');
			p.set(GROUP_FILTER[data.group], data.group === 'pod' ? g.netns : key === '' ? 'none' : key);
			a.href = location.pathname + '?' + p;
			td.appendChild(a);
		}
		tr.appendChild(td);
		if (asn) tr.appendChild(el('td', g.as_org || ''));
		tr.appendChild(el('td', String(g.sockets), 'num'));
		tr.appendChild(el('td', counts(g.states)));
		if (data.geoip) tr.appendChild(el('td', g.countries ? counts(g.countries) : ''));
		frag.appendChild(tr);
	}
	tbody.replaceChildren(frag);
	prevRows = null;
	statusLine.textContent = data.total + ' sockets in ' + data.groups_total + ' groups by ' + data.group +
		'; showing the ' + data.groups.length + ' largest' +
		(data.untracked ? ' (' + data.untracked + ' sockets past the group table)' : '') +
		(data.ungrouped ? '; ' + data.ungrouped + ' sockets in no group (' +
			(data.group === 'port' ? 'ephemeral client ports' : 'listeners') + ')' : '') + '.' + nsNote(data);
}

// The summary strip: sockets per state of the current filter (each a
// button that filters by it), and the top programs and countries.
function renderSummary(states, programs, countries) {
	const chips = document.getElementById('sum-states');
	const frag = document.createDocumentFragment();
	const byState = new Map(states.groups.map((g) => [String(g.key), g.sockets]));
	const chosen = form.elements.state.value;
	for (const st of STATE_ORDER) {
		const n = byState.get(st);
		if (n === undefined && !ALERT_STATES.includes(st)) continue;
		const b = el('button', st + ' ' + (n || 0), 'chip');
		b.type = 'button';
		b.dataset.state = st;
		b.dataset.count = String(n || 0);
		if (ALERT_STATES.includes(st) && n) b.classList.add('alert');
		if (chosen === st) b.setAttribute('aria-pressed', 'true');
		b.addEventListener('click', () => {
			form.elements.state.value = chosen === st ? '' : st;
			apply(true);
		});
		frag.appendChild(b);
	}
	chips.replaceChildren(frag);
	const tops = document.getElementById('sum-top');
	const t = document.createDocumentFragment();
	const list = (title, data, label) => {
		if (!data) return;
		const p = el('p', title + ': ');
		data.groups.forEach((g, i) => {
			if (i) p.appendChild(document.createTextNode(', '));
			p.appendChild(el('span', label(String(g.key)) + ' ' + g.sockets, 'top'));
		});
		if (!data.groups.length) p.appendChild(document.createTextNode('none'));
		t.appendChild(p);
	};
	list('Top programs', programs, (k) => k || '(none)');
	list('Top remote countries', countries, (k) => (k === '' ? 'private' : k));
	tops.replaceChildren(t);
	summary.hidden = false;
}

async function getJson(params, signal) {
	const resp = await fetch('/api/v1/connections?' + params, { signal, headers: { Accept: 'application/json' } });
	const text = await resp.text();
	if (!resp.ok) {
		const e = new Error(text.trim() || resp.statusText);
		e.api = true;
		throw e;
	}
	return text;
}

function markStale(why) {
	table.classList.add('stale');
	document.body.dataset.stale = 'true';
	errorLine.textContent = 'Not live: ' + why + (lastOk ? ' The table is from ' + hhmmss(lastOk) + '.' : '');
	errorLine.hidden = false;
	updatedLine.textContent = lastOk ? 'stale, updated ' + hhmmss(lastOk) : 'not loaded';
	updatedLine.classList.add('stale');
}

function selectionInTable() {
	const s = window.getSelection && window.getSelection();
	return s && !s.isCollapsed && s.rangeCount > 0 && table.contains(s.getRangeAt(0).commonAncestorContainer);
}

async function refresh() {
	clearTimeout(timer);
	timer = null;
	if (inflight) inflight.abort();
	const ctl = new AbortController();
	inflight = ctl;
	const timeout = setTimeout(() => ctl.abort(new DOMException('timed out', 'TimeoutError')), TIMEOUT_MS);
	const p = apiParams();
	csvLink.href = '/api/v1/connections?' + p + '&format=csv';
	// The summary counts what the filter matches, in every state.
	const sp = apiParams();
	for (const k of ['state', 'group', 'sort', 'order', 'limit']) sp.delete(k);
	const geo = document.body.dataset.geoip === 'true';
	try {
		const [main, st, pr, cc] = await Promise.all([
			getJson(p, ctl.signal),
			getJson(new URLSearchParams([...sp, ['group', 'state'], ['limit', '20']]), ctl.signal),
			getJson(new URLSearchParams([...sp, ['group', 'program'], ['limit', '3']]), ctl.signal),
			geo ? getJson(new URLSearchParams([...sp, ['group', 'country'], ['limit', '3']]), ctl.signal) : null,
		]);
		lastOk = new Date();
		errorLine.hidden = true;
		table.classList.remove('stale');
		delete document.body.dataset.stale;
		updatedLine.classList.remove('stale');
		updatedLine.textContent = 'updated ' + hhmmss(lastOk);
		const all = main + st + (pr || '') + (cc || '');
		// Unchanged (the browser revalidated with the ETag: 304), or the
		// user is selecting text in the table: keep the DOM as it is.
		if (all !== lastText && !selectionInTable()) {
			lastText = all;
			const data = JSON.parse(main);
			document.body.dataset.geoip = String(data.geoip);
			// Country and AS filters need the databases.
			form.elements.country.closest('label').hidden = !data.geoip && !form.elements.country.value;
			form.elements.asn.closest('label').hidden = !data.asn && !form.elements.asn.value;
			renderSummary(JSON.parse(st), JSON.parse(pr), cc ? JSON.parse(cc) : null);
			if (data.group) renderGroups(data);
			else renderRows(data, p.toString());
		} else if (!selectionInTable()) {
			// Nothing opened or closed since: the marks were for one refresh.
			for (const tr of tbody.querySelectorAll('tr.closed')) tr.remove();
			for (const tr of tbody.querySelectorAll('tr.new')) tr.classList.remove('new');
			statusLine.textContent = statusLine.textContent.replace(/ Since the last refresh: .*$/, '');
		}
		document.body.dataset.loaded = 'true';
	} catch (e) {
		if (inflight !== ctl) return; // replaced by a newer refresh
		if (e.api) {
			errorLine.textContent = e.message;
			errorLine.hidden = false;
		} else if (e.name === 'AbortError' || e.name === 'TimeoutError' || ctl.signal.aborted) {
			markStale('no answer within ' + TIMEOUT_MS / 1000 + ' s.');
		} else {
			markStale('cannot reach the exporter (' + e.message + ').');
		}
	} finally {
		clearTimeout(timeout);
		if (inflight === ctl) {
			inflight = null;
			schedule();
		}
	}
}

// The next refresh, unless paused or the tab is hidden (then on return).
function schedule() {
	clearTimeout(timer);
	timer = null;
	if (document.getElementById('live').checked && document.visibilityState !== 'hidden')
		timer = setTimeout(refresh, REFRESH_MS);
}

form.addEventListener('submit', (ev) => {
	ev.preventDefault();
	apply(true);
});
form.addEventListener('change', (ev) => {
	if (ev.target.tagName === 'SELECT') apply(true);
});
document.getElementById('clear').addEventListener('click', () => {
	for (const name of FIELDS) form.elements[name].value = '';
	apply(true);
});
document.getElementById('live').addEventListener('change', refresh);
document.addEventListener('visibilitychange', () => {
	if (document.visibilityState === 'hidden') {
		clearTimeout(timer);
		timer = null;
	} else if (!inflight) {
		refresh();
	}
});
window.addEventListener('popstate', () => {
	loadFromUrl();
	refresh();
});
// "/" jumps to the first filter, as in many log viewers.
document.addEventListener('keydown', (ev) => {
	if (ev.key === '/' && !['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement.tagName)) {
		ev.preventDefault();
		form.elements.state.focus();
	}
});

loadFromUrl();
// Whether the exporter has GeoIP decides the country summary: ask once.
fetch('/api/v1/connections?limit=1&state=listen').then((r) => r.json()).then((d) => {
	document.body.dataset.geoip = String(d.geoip);
}).catch(() => {}).finally(refresh);
