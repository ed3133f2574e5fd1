import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decisionRows, policyRows } from './policy-command.js';

test('policy rows: args as JSON, cut long ones, - for none', () => {
  const long = { defaults: { x: 'y'.repeat(200) } };
  const lines = policyRows([
    { name: 'ksm', automation: 'auto', args: {} },
    { name: 'memory-balloon', automation: 'recommend', args: long },
  ]).split('\n');
  assert.match(lines[1] as string, /^ksm\s+auto\s+-$/);
  const args = (lines[2] as string).replace(/^memory-balloon\s+recommend\s+/, '');
  assert.equal(args.length, 100);
  assert.ok(args.endsWith('…'));
});

test('decision rows name the VM where it is known, else the UUID or the host', () => {
  const now = Date.parse('2026-01-01T00:00:10Z');
  const at = '2026-01-01T00:00:00Z';
  const text = decisionRows(
    [
      { policy: 'memory-balloon', at, kind: 'grow', reason: 'short', vmUuid: 'u1', jobs: [{ id: 'j1', type: 'set-memory', description: 'set memory to 400 MiB', state: 'succeeded' }] },
      { policy: 'memory-balloon', at, kind: 'skip', reason: 'held', vmUuid: 'u9', jobs: [{ type: 'set-memory', description: 'set memory to 300 MiB', skipped: 'held by a manual job' }] },
      { policy: 'ksm', at, kind: 'idle', reason: 'plenty', hostId: 'h0' },
    ],
    new Map([['u1', 'vm-a']]),
    now,
  );
  const lines = text.split('\n');
  assert.match(lines[1] as string, /^10s\s+memory-balloon\s+grow\s+vm-a\s+short\s+set memory to 400 MiB \[succeeded\] j1$/);
  assert.match(lines[2] as string, /\s+u9\s+held\s+set memory to 300 MiB \[skipped: held by a manual job\]$/);
  assert.match(lines[3] as string, /\s+host h0\s+plenty\s+-$/);
});
