// cdp.js: drives one headless Chromium page for the integration tests,
// over the DevTools protocol on a pipe (--remote-debugging-pipe: no port,
// no WebSocket library; Debian's nodejs and chromium only).
//
//   node cdp.js PROFILE_DIR WIDTH HEIGHT URL
// then one command per line on stdin, one answer line on stdout each:
//   eval EXPR            the JSON of EXPR's value (promises awaited)
//   wait MS EXPR         polls EXPR until truthy, at most MS: "ok" or "timeout"
//   size WIDTH HEIGHT    the viewport
//   shot FILE            a PNG screenshot of the viewport: "ok"
//   errors               JSON list of script exceptions and console errors
//                        (CSP violations among them) so far
//   metrics              JSON of the page's main-thread time so far, in
//                        seconds: {task, layout, script, style}
//   quit
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const readline = require('readline');

const [profile, width, height, url] = process.argv.slice(2);
const chrome = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars',
	'--remote-debugging-pipe', '--user-data-dir=' + profile, 'about:blank'],
{ stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
const toChrome = chrome.stdio[3];
const fromChrome = chrome.stdio[4];
let nextId = 1;
const pending = new Map();
const errors = [];
let session = null;
let buf = Buffer.alloc(0);

fromChrome.on('data', (chunk) => {
	buf = Buffer.concat([buf, chunk]);
	let i;
	while ((i = buf.indexOf(0)) >= 0) {
		const msg = JSON.parse(buf.subarray(0, i).toString());
		buf = buf.subarray(i + 1);
		if (msg.id && pending.has(msg.id)) {
			const { resolve, reject } = pending.get(msg.id);
			pending.delete(msg.id);
			if (msg.error) reject(new Error(JSON.stringify(msg.error)));
			else resolve(msg.result);
		} else if (msg.method === 'Runtime.exceptionThrown') {
			errors.push('exception: ' + msg.params.exceptionDetails.text + ' ' +
				JSON.stringify(msg.params.exceptionDetails.exception && msg.params.exceptionDetails.exception.description));
		} else if (msg.method === 'Log.entryAdded' && msg.params.entry.level === 'error') {
			// Network errors (the exporter stopped on purpose) are expected.
			if (msg.params.entry.source !== 'network') errors.push('log: ' + msg.params.entry.text);
		} else if (msg.method === 'Runtime.consoleAPICalled' && msg.params.type === 'error') {
			errors.push('console: ' + JSON.stringify(msg.params.args));
		}
	}
});

function send(method, params = {}, sessionId = session) {
	const id = nextId++;
	const msg = { id, method, params };
	if (sessionId) msg.sessionId = sessionId;
	return new Promise((resolve, reject) => {
		pending.set(id, { resolve, reject });
		toChrome.write(JSON.stringify(msg) + '\0');
	});
}

async function evaluate(expr) {
	const r = await send('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true });
	if (r.exceptionDetails) throw new Error('eval: ' + r.exceptionDetails.text + ' ' + expr);
	return r.result.value;
}

async function setSize(w, h) {
	await send('Emulation.setDeviceMetricsOverride', { width: +w, height: +h, deviceScaleFactor: 1, mobile: false });
}

async function main() {
	const { targetId } = await send('Target.createTarget', { url: 'about:blank' }, null);
	({ sessionId: session } = await send('Target.attachToTarget', { targetId, flatten: true }, null));
	await send('Runtime.enable');
	await send('Log.enable');
	await send('Page.enable');
	await send('Performance.enable');
	await setSize(width, height);
	await send('Page.navigate', { url });
	const rl = readline.createInterface({ input: process.stdin });
	for await (const line of rl) {
		const [cmd, ...rest] = line.split(' ');
		let out;
		try {
			if (cmd === 'eval') {
				out = JSON.stringify(await evaluate(rest.join(' ')));
			} else if (cmd === 'wait') {
				const deadline = Date.now() + +rest[0];
				const expr = rest.slice(1).join(' ');
				out = 'timeout';
				while (Date.now() < deadline) {
					let v = false;
					try { v = await evaluate(expr); } catch (e) { v = false; }
					if (v) { out = 'ok'; break; }
					await new Promise((r) => setTimeout(r, 100));
				}
			} else if (cmd === 'size') {
				await setSize(rest[0], rest[1]);
				out = 'ok';
			} else if (cmd === 'shot') {
				const r = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: false });
				fs.writeFileSync(rest[0], Buffer.from(r.data, 'base64'));
				out = 'ok';
			} else if (cmd === 'metrics') {
				const r = await send('Performance.getMetrics');
				const m = Object.fromEntries(r.metrics.map((x) => [x.name, x.value]));
				out = JSON.stringify({ task: m.TaskDuration, layout: m.LayoutDuration, script: m.ScriptDuration,
					style: m.RecalcStyleDuration });
			} else if (cmd === 'errors') {
				out = JSON.stringify(errors);
			} else if (cmd === 'quit') {
				break;
			} else {
				out = 'unknown command ' + cmd;
			}
		} catch (e) {
			out = 'error ' + e.message.replace(/\n/g, ' ');
		}
		process.stdout.write(out + '\n');
	}
	chrome.kill();
	process.exit(0);
}

const guard = setTimeout(() => { chrome.kill(); process.exit(3); }, 240000);
guard.unref();
main().catch((e) => { process.stderr.write(String(e) + '\n'); chrome.kill(); process.exit(2); });
