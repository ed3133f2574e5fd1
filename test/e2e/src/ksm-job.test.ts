// set-ksm on the lab host: a host-scoped job through the API, the queue and the actuator to the host's
// real KSM (/sys/kernel/mm/ksm), read back outside Ballast. Everything it changes is put back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { waitUntil } from './services.js';
import { startStack, submitJob, waitJob, type Stack } from './stack.js';

const LAB = process.env.BALLAST_LAB === '1';
const KSM = '/sys/kernel/mm/ksm';
const read = (knob: string): number => Number(readFileSync(`${KSM}/${knob}`, 'utf8').trim());

describe('set-ksm on the lab host', { skip: LAB ? false : 'needs the lab: run via `make test` or `make e2e` (sets BALLAST_LAB=1)' }, () => {
  let stack: Stack;
  const before0 = { run: 0, pages_to_scan: 0, sleep_millisecs: 0 };

  before(async () => {
    for (const k of Object.keys(before0) as (keyof typeof before0)[]) before0[k] = read(k);
    stack = await startStack();
    await waitUntil('the lab host in GET /v1/hosts', 30000, async () => {
      const { hosts } = (await (await stack.api('/v1/hosts')).json()) as { hosts: { hostId: string }[] };
      return hosts.some((h) => h.hostId === stack.hostId) ? true : undefined;
    });
  });

  after(async () => {
    await stack?.stop();
    // whatever happened above, the host's KSM is as it was
    if (read('run') !== before0.run) {
      if (before0.run === 0) writeFileSync(`${KSM}/run`, '2');
      writeFileSync(`${KSM}/run`, String(before0.run));
    }
    writeFileSync(`${KSM}/pages_to_scan`, String(before0.pages_to_scan));
    writeFileSync(`${KSM}/sleep_millisecs`, String(before0.sleep_millisecs));
  });

  const job = async (body: Record<string, unknown>) => {
    const r = await submitJob(stack, { type: 'set-ksm', host: stack.hostId, ...body });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    return waitJob(stack, String(r.json['id']), 30000);
  };

  test('pace and run state reach the kernel; a repeat is "already there"; it is all put back by jobs too', async () => {
    const pages = before0.pages_to_scan === 237 ? 238 : 237;
    const sleep = before0.sleep_millisecs === 41 ? 42 : 41;
    const a = await job({ pagesToScan: pages, sleepMillisecs: sleep });
    assert.equal(a.state, 'succeeded', JSON.stringify(a));
    assert.deepEqual([read('pages_to_scan'), read('sleep_millisecs')], [pages, sleep]);
    assert.equal((await job({ pagesToScan: pages })).result?.alreadyThere, true);
    const run = await job({ run: 'run' });
    assert.equal(run.state, 'succeeded', JSON.stringify(run));
    assert.equal(read('run'), 1);
    // back: unmerge what ksmd may have merged meanwhile (the host has room), then the original state
    const back = before0.run === 1 ? 'run' : 'stop';
    if (back === 'stop') assert.equal((await job({ run: 'unmerge' })).state, 'succeeded');
    const restored = await job({ run: back, pagesToScan: before0.pages_to_scan, sleepMillisecs: before0.sleep_millisecs });
    assert.equal(restored.state, 'succeeded', JSON.stringify(restored));
    assert.deepEqual([read('run'), read('pages_to_scan'), read('sleep_millisecs')], [before0.run, before0.pages_to_scan, before0.sleep_millisecs]);
  });
});
