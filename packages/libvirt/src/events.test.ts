// Events from libvirt's event-loop thread, delivered through a ThreadSafeFunction.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Connection } from './connection.js';
import { DomainEventType } from './constants.js';
import { isConnectionClosed } from './error-predicates.js';
import { open } from './open.js';
import { domainXml } from './test-helpers.js';
import type { LibvirtEvent } from './types.js';

const TEST_UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f';

/** Resolves with the first event matching `pred`, or rejects after `ms`. */
function nextEvent(conn: Connection, pred: (e: LibvirtEvent) => boolean, ms = 5000): Promise<LibvirtEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no matching event'));
    }, ms);
    const off = conn.onEvent((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

describe('lifecycle events on test:///default', () => {
  let conn: Connection;
  const seen: LibvirtEvent[] = [];
  let unsubscribe: () => void;

  before(async () => {
    conn = await open('test:///default');
    unsubscribe = conn.onEvent((e) => seen.push(e));
    assert.deepEqual(await conn.eventsReady(), { lifecycle: true, tunable: true, balloonChange: true, metadataChange: true, closeCallback: true });
  });
  after(async () => {
    unsubscribe();
    await conn.close();
  });

  test('destroy → stopped/destroyed, create → started/booted', async () => {
    const stopped = nextEvent(conn, (e) => e.type === 'lifecycle' && e.event === DomainEventType.STOPPED);
    await conn.destroy(TEST_UUID);
    assert.deepEqual(await stopped, { type: 'lifecycle', uuid: TEST_UUID, name: 'test', event: DomainEventType.STOPPED, detail: 1 });
    const started = nextEvent(conn, (e) => e.type === 'lifecycle' && e.event === DomainEventType.STARTED);
    await conn.create(TEST_UUID);
    assert.deepEqual(await started, { type: 'lifecycle', uuid: TEST_UUID, name: 'test', event: DomainEventType.STARTED, detail: 0 });
  });

  test('define / undefine / suspend / resume', async () => {
    const uuid = 'bbbbbbbb-0000-4000-8000-000000000001';
    const defined = nextEvent(conn, (e) => e.type === 'lifecycle' && e.uuid === uuid && e.event === DomainEventType.DEFINED);
    await conn.defineXML(domainXml('ev-vm', uuid));
    assert.equal((await defined).type, 'lifecycle');
    const undefined_ = nextEvent(conn, (e) => e.type === 'lifecycle' && e.uuid === uuid && e.event === DomainEventType.UNDEFINED);
    await conn.undefine(uuid);
    await undefined_;
    const suspended = nextEvent(conn, (e) => e.type === 'lifecycle' && e.event === DomainEventType.SUSPENDED);
    await conn.suspend(TEST_UUID);
    await suspended;
    const resumed = nextEvent(conn, (e) => e.type === 'lifecycle' && e.event === DomainEventType.RESUMED);
    await conn.resume(TEST_UUID);
    await resumed;
  });

  test('every listener gets each event; an unsubscribed one does not', async () => {
    const a: LibvirtEvent[] = [];
    const b: LibvirtEvent[] = [];
    const offA = conn.onEvent((e) => a.push(e));
    const offB = conn.onEvent((e) => b.push(e));
    offB();
    const done = nextEvent(conn, (e) => e.type === 'lifecycle' && e.event === DomainEventType.SUSPENDED);
    await conn.suspend(TEST_UUID);
    await done;
    await conn.resume(TEST_UUID);
    offA();
    assert.ok(a.some((e) => e.type === 'lifecycle' && e.event === DomainEventType.SUSPENDED));
    assert.equal(b.length, 0);
    assert.ok(seen.length >= 6);
  });

  test('the test driver sends no tunable or balloon-change events', async () => {
    const before_ = seen.length;
    await conn.setMemory(TEST_UUID, 1048576);
    await conn.setNumaParameters(TEST_UUID, { numa_nodeset: '0' });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(seen.slice(before_).filter((e) => e.type !== 'lifecycle').length, 0);
  });
});

describe('event registration and process lifetime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ballast-events-'));
  const indexUrl = new URL('./index.js', import.meta.url).href;
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs a script in a child node; resolves with its exit code, or 'alive' if still running after ms. */
  function runChild(name: string, body: string, ms = 5000): Promise<number | 'alive'> {
    const file = join(dir, `${name}.mjs`);
    writeFileSync(file, `import { open } from ${JSON.stringify(indexUrl)};\n${body}\n`);
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [file], { stdio: 'inherit' });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('alive');
      }, ms);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code ?? -1);
      });
    });
  }

  test('after the last unsubscribe the process can exit (connection left open)', async () => {
    const code = await runChild(
      'unsubscribed',
      "const c = await open('test:///default'); const off = c.onEvent(() => {}); await c.eventsReady(); off();",
    );
    assert.equal(code, 0);
  });

  test('close releases the listener: the process exits', async () => {
    const code = await runChild(
      'closed',
      "const c = await open('test:///default'); c.onEvent(() => {}); await c.eventsReady(); await c.close();",
    );
    assert.equal(code, 0);
  });

  test('a subscribed listener keeps the process alive (like a socket)', async () => {
    const code = await runChild(
      'subscribed',
      "const c = await open('test:///default'); c.onEvent(() => {}); await c.eventsReady();",
      1500,
    );
    assert.equal(code, 'alive');
  });

  test('re-subscribing after unsubscribe delivers again', async () => {
    const code = await runChild(
      'resubscribe',
      [
        "const c = await open('test:///default');",
        'c.onEvent(() => {})();',
        'let got = 0;',
        'const off = c.onEvent((e) => { if (e.type === "lifecycle") got++; });',
        'await c.eventsReady();',
        "const u = (await c.lookupByName('test')).uuid;",
        'await c.suspend(u); await c.resume(u);',
        'await new Promise((r) => setTimeout(r, 200));',
        'off(); await c.close();',
        'process.exit(got >= 2 ? 0 : 3);',
      ].join('\n'),
    );
    assert.equal(code, 0);
  });

  test('onEvent after close: eventsReady rejects with isConnectionClosed', async () => {
    const conn = await open('test:///default');
    await conn.close();
    const off = conn.onEvent(() => undefined);
    await assert.rejects(conn.eventsReady(), (err) => isConnectionClosed(err));
    off();
  });
});
