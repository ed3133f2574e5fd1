import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JOB_TYPES, jobType } from '@ballast/domain';
import { flagName, jobFields, jobRequestBody, jobSynopses, numberList } from './job-flags.js';
import { progressText } from './job-view.js';

test('flag names are kebab-case with unit suffixes as one word', () => {
  assert.deepEqual(
    ['memoryMiB', 'targetHost', 'quotaUs', 'emulatorPcpus', 'pagesToScan', 'sleepMillisecs', 'pcpus', 'sizeKiB'].map(flagName),
    ['memory-mib', 'target-host', 'quota-us', 'emulator-pcpus', 'pages-to-scan', 'sleep-millisecs', 'pcpus', 'size-kib'],
  );
});

test("every registry type's request fields become flags of a known kind", () => {
  for (const d of JOB_TYPES) {
    const fields = jobFields(jobType(d.type));
    assert.deepEqual(fields.map((f) => f.field).sort(), Object.keys(d.request.shape).sort(), d.type);
  }
  const byField = Object.fromEntries(jobFields(jobType('pin-vcpu')).map((f) => [f.field, f.kind]));
  assert.deepEqual(byField, { vcpu: 'number', pcpus: 'numbers' });
  const numa = Object.fromEntries(jobFields(jobType('set-numa')).map((f) => [f.field, [f.kind, f.optional]]));
  assert.deepEqual(numa, { cell: ['number', false], memoryMode: ['string', true], pinVcpus: ['boolean', true] });
});

test('one synopsis per type, with --vm or --host by scope', () => {
  const lines = jobSynopses();
  assert.equal(lines.length, JOB_TYPES.length);
  assert.ok(lines.includes('set-memory --vm <vm> --memory-mib <number>'), lines.join('\n'));
  assert.ok(lines.some((l) => /^set-ksm --host <host> \[--run stop\|run\|unmerge\]/.test(l)), lines.join('\n'));
});

test('number lists take commas and ranges', () => {
  const bad = () => new Error('bad');
  assert.deepEqual(numberList('0,2-4, 7', bad), [0, 2, 3, 4, 7]);
  for (const s of ['', 'a', '3-1', '1,,2', '-1']) assert.throws(() => numberList(s, bad), /bad/, s);
});

test('request bodies carry typed values', () => {
  assert.deepEqual(jobRequestBody(jobType('set-numa'), { vm: 'v', cell: '1', 'pin-vcpus': 'false' }), { type: 'set-numa', vm: 'v', cell: 1, pinVcpus: false });
  assert.deepEqual(jobRequestBody(jobType('set-cpu-tune'), { vm: 'v', shares: '2048', 'emulator-pcpus': '0-1' }), {
    type: 'set-cpu-tune',
    vm: 'v',
    shares: 2048,
    emulatorPcpus: [0, 1],
  });
});

test('progress text from a migration job', () => {
  assert.equal(progressText({ memorySentMiB: 100, memoryTotalMiB: 400, percent: 25, rateMiBs: 50, elapsedSec: 2 }), '100/400 MiB sent (25%) at 50 MiB/s, 2 s');
  assert.equal(progressText({ memorySentMiB: 100, memoryTotalMiB: 400 }), '100/400 MiB sent (25%)');
  assert.equal(progressText({ phase: 'migrating' }), undefined);
  assert.equal(progressText(undefined), undefined);
});
