#!/usr/bin/env node
// Small host-side helpers for lab-up.sh, in plain Node (no build step, no dependencies).
//   ping <socket> [timeoutMs]                       exit 0 when the guest agent answers a ping
//   wait <timeoutS> <name>=<t0Ms>,<serialLog>,<socket> ...
//                                                   wait until every guest printed the ready marker
//                                                   and answers a ping; print "ready in X s" per guest
//   state <file>   (JSON on stdin)                  write the lab state file atomically
import fs from 'node:fs';
import net from 'node:net';

const READY_MARKER = 'BALLAST-LAB-READY';
const PANIC_RE = /Kernel panic - not syncing[^\n]*/;

function pingOnce(socket, timeoutMs) {
  return new Promise((resolve) => {
    const id = `lab${process.pid}x${Date.now() % 1e6}`;
    const s = net.connect(socket);
    let buf = '';
    const done = (ok) => { clearTimeout(timer); s.destroy(); resolve(ok); };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.on('connect', () => s.write(`P ${id}\n`));
    s.on('data', (d) => { buf += d.toString('latin1'); if (buf.includes(`R ${id} 0 0\n`)) done(true); });
    s.on('error', () => done(false));
    s.on('close', () => done(false));
  });
}

async function ping(socket, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pingOnce(socket, Math.max(200, deadline - Date.now()))) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

function readTail(file, lines = 25) {
  try {
    const text = fs.readFileSync(file, 'latin1').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    const tail = text.split('\n').slice(-lines).join('\n');
    return tail.trim() ? tail : '(nothing printed yet)';
  } catch (e) {
    return `(cannot read ${file}: ${e.code ?? e.message})`;
  }
}

async function wait(timeoutS, specs) {
  const vms = specs.map((s) => {
    const [name, rest] = s.split('=');
    const [t0, serialLog, socket] = rest.split(',');
    return { name, t0: Number(t0), serialLog, socket, marker: false, ready: false };
  });
  const deadline = Date.now() + timeoutS * 1000;
  while (vms.some((v) => !v.ready)) {
    for (const v of vms.filter((x) => !x.ready)) {
      let log = '';
      try { log = fs.readFileSync(v.serialLog, 'latin1'); } catch { /* not yet */ }
      const panic = PANIC_RE.exec(log);
      if (panic) {
        console.error(`lab: error: ${v.name} panicked while booting: ${panic[0]}\n--- ${v.serialLog} (tail) ---\n${readTail(v.serialLog)}`);
        process.exit(1);
      }
      if (!v.marker && log.includes(READY_MARKER)) {
        v.marker = true;
        console.log(`${v.name}: booted (marker after ${((Date.now() - v.t0) / 1000).toFixed(1)} s), pinging agent`);
      }
      if (v.marker && (await ping(v.socket, 1500))) {
        v.ready = true;
        console.log(`${v.name}: ready in ${((Date.now() - v.t0) / 1000).toFixed(1)} s`);
      }
    }
    if (vms.every((v) => v.ready)) break;
    if (Date.now() > deadline) {
      for (const v of vms.filter((x) => !x.ready)) {
        const why = v.marker ? 'booted but its agent does not answer' : 'no ready marker on its console';
        console.error(`lab: error: ${v.name} not ready after ${timeoutS} s (${why})\n--- ${v.serialLog} (tail) ---\n${readTail(v.serialLog)}`);
      }
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function writeState(file) {
  const state = JSON.parse(fs.readFileSync(0, 'utf8'));
  state.updatedAt = new Date().toISOString();
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'ping') process.exit((await ping(args[0], Number(args[1] ?? 3000))) ? 0 : 1);
else if (cmd === 'wait') await wait(Number(args[0]), args.slice(1));
else if (cmd === 'state') writeState(args[0]);
else { console.error('usage: lab-helper.mjs ping|wait|state ...'); process.exit(2); }
