// The /connections page: filters live in the URL, the table is built with
// textContent only (program names are chosen by whoever runs a process), and
// the data comes from /api/v1/connections every few seconds.
'use strict';

const FIELDS = ['state', 'port', 'remote', 'program', 'country', 'direction', 'proto',
	'retransmitting', 'group', 'limit', 'sort', 'order'];
const ROW_COLUMNS = [
	// [header, sort key, render(row), class]
	['Proto', 'proto', (r) => r.proto, ''],
	['Local', 'local', (r) => hostPort(r.local, r.port), ''],
	['Remote', 'remote', (r) => hostPort(r.remote, r.rport), ''],
	['State', 'state', (r) => r.state, ''],
	['Direction', 'direction', (r) => r.direction, ''],
	['Recv-Q', 'rqueue', (r) => String(r.rqueue), 'num'],
	['Send-Q', 'wqueue', (r) => String(r.wqueue), 'num'],
	['Program', 'program', (r) => (r.program === null ? '' : r.program), 'prog'],
	['PID', 'pid', (r) => (r.pid === null ? '' : String(r.pid)), 'num'],
	['User', 'uid', (r) => r.user, 'wide'],
	['Country', 'country', (r) => (r.country === null ? '' : r.country), 'geo'],
	['Network', null, (r) => asText(r), 'geo wide'],
	// rtt: seconds with microseconds; retrans: segments over the socket's
	// life, "now" while it is retransmitting (null without tcp_info).
	['RTT ms', 'rtt', (r) => (r.rtt === null ? '' : (r.rtt * 1000).toFixed(3)), 'num wide'],
	['Retrans', 'retrans', (r) => (r.retrans === null ? '' : r.retrans + (r.retransmitting ? ' now' : '')), 'num wide'],
	['Namespace / pod', null, (r) => [r.netns, r.pod, r.container].filter((v) => v !== null).join(' / '), 'wide'],
];
const GROUP_FILTER = { remote: 'remote', program: 'program', port: 'port', country: 'country' };
const REFRESH_MS = 5000;

const form = document.getElementById('filters');
const statusLine = document.getElementById('status');
const errorLine = document.getElementById('error');
const thead = document.querySelector('#table thead');
const tbody = document.querySelector('#table tbody');
let timer = null;
let inflight = null;

function hostPort(addr, port) {
	return (addr.includes(':') ? '[' + addr + ']' : addr) + ':' + port;
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

// The query as the URL and the form hold it: only non-empty fields.
function currentParams() {
	const p = new URLSearchParams();
	for (const name of FIELDS) {
		const v = form.elements[name].value.trim();
		if (v !== '') p.set(name, v);
	}
	return p;
}

function loadFromUrl() {
	const p = new URLSearchParams(location.search);
	for (const name of FIELDS) form.elements[name].value = p.get(name) || '';
}

function apply(push) {
	const p = currentParams();
	const url = location.pathname + (p.toString() ? '?' + p : '');
	if (push) history.pushState(null, '', url);
	else history.replaceState(null, '', url);
	refresh();
}

function header(columns, sortable) {
	const sort = form.elements.sort.value || 'local';
	const desc = form.elements.order.value === 'desc';
	const tr = el('tr');
	for (const [name, key, , cls] of columns) {
		const th = el('th', undefined, cls);
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
			if (key === sort) th.setAttribute('aria-sort', desc ? 'descending' : 'ascending');
		} else {
			th.textContent = name;
		}
		tr.appendChild(th);
	}
	thead.replaceChildren(tr);
}

function renderRows(data) {
	const cols = ROW_COLUMNS.filter(([, , , cls]) => data.geoip || !cls.includes('geo'));
	header(cols, true);
	const frag = document.createDocumentFragment();
	for (const r of data.rows) {
		const tr = el('tr', undefined, 'row');
		for (const [, , render, cls] of cols) tr.appendChild(el('td', render(r), cls));
		frag.appendChild(tr);
	}
	tbody.replaceChildren(frag);
	statusLine.textContent = data.total + ' sockets match; showing ' + data.returned +
		(data.returned < data.total ? ' (raise the limit or narrow the filter)' : '') + '.';
}

function counts(obj) {
	return Object.entries(obj).sort((a, b) => b[1] - a[1]).map(([k, n]) => (k === '' ? '(private)' : k) + ' ' + n).join(', ');
}

function renderGroups(data) {
	const cols = [['Group', null, null, ''], ['Sockets', null, null, 'num'], ['States', null, null, ''], ['Countries', null, null, 'geo']]
		.filter(([, , , cls]) => data.geoip || cls !== 'geo');
	header(cols, false);
	const frag = document.createDocumentFragment();
	for (const g of data.groups) {
		const tr = el('tr', undefined, 'group');
		const td = el('td');
		const key = String(g.key);
		const a = el('a', key === '' ? '(none)' : key, 'key');
		// Drill down: this group's sockets.
		const p = currentParams();
		p.delete('group');
		p.set(GROUP_FILTER[data.group], key === '' && data.group === 'country' ? 'none' : key);
		a.href = location.pathname + '?' + p;
		td.appendChild(a);
		tr.appendChild(td);
		tr.appendChild(el('td', String(g.sockets), 'num'));
		tr.appendChild(el('td', counts(g.states)));
		if (data.geoip) tr.appendChild(el('td', g.countries ? counts(g.countries) : ''));
		frag.appendChild(tr);
	}
	tbody.replaceChildren(frag);
	statusLine.textContent = data.total + ' sockets in ' + data.groups_total + ' groups by ' + data.group +
		'; showing the ' + data.groups.length + ' largest' +
		(data.untracked ? ' (' + data.untracked + ' sockets past the group table)' : '') + '.';
}

async function refresh() {
	clearTimeout(timer);
	if (inflight) inflight.abort();
	inflight = new AbortController();
	const p = currentParams();
	try {
		const resp = await fetch('/api/v1/connections?' + p, { signal: inflight.signal, headers: { Accept: 'application/json' } });
		if (!resp.ok) {
			errorLine.textContent = (await resp.text()).trim() || resp.statusText;
			errorLine.hidden = false;
			return;
		}
		const data = await resp.json();
		errorLine.hidden = true;
		if (data.group) renderGroups(data);
		else renderRows(data);
		document.body.dataset.loaded = 'true';
	} catch (e) {
		if (e.name === 'AbortError') return;
		errorLine.textContent = 'Cannot load connections: ' + e.message;
		errorLine.hidden = false;
	} finally {
		if (document.getElementById('live').checked) timer = setTimeout(refresh, REFRESH_MS);
	}
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
refresh();
