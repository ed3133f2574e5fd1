import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runApiCommand, type CommandIo } from '../api/api-command.js';
import { ApiRefusal } from '../api/api-client.js';
import { EXIT } from '../api/exit-codes.js';
import { CliError } from '../cli-error.js';
import { policyReplayCommand, sinceMinutes, type ReplayJson } from './policy-replay-command.js';

const ANSWER: ReplayJson = {
  fromMs: Date.parse('2026-01-01T00:00:00Z'),
  toMs: Date.parse('2026-01-01T01:00:00Z'),
  cycleMs: 2000,
  truncated: false,
  model: 'open-loop: …',
  metrics: {
    cycles: 1800,
    samples: 1800,
    hosts: 1,
    vms: 20,
    jobs: { total: 3, targets: 2, byType: { 'set-memory': 2, 'pin-vcpu': 1 }, byPolicy: { 'memory-balloon': 2, 'vcpu-balance': 1 } },
    decisions: { total: 40, byKind: { grow: 2, hold: 38 }, byPolicy: { 'memory-balloon': 40 } },
    memory: { setMemoryJobs: 2, growMiB: 300, shrinkMiB: 100, netMiB: 200 },
    cluster: null,
  },
  jobs: [{ at: '2026-01-01T00:00:04.000Z', policy: 'memory-balloon', type: 'set-memory', hostId: 'h0', vm: 'vm-0-1', description: 'set memory to 1324 MiB' }],
};

function io(answer: { status: number; body: unknown }) {
  const out: string[] = [];
  const seen: { url: string; body: unknown; auth: string | null }[] = [];
  const fetchImpl = (async (url: string | URL, init?: RequestInit) => {
    seen.push({ url: new URL(String(url)).pathname, body: JSON.parse(String(init?.body)) as unknown, auth: new Headers(init?.headers).get('authorization') });
    return new Response(JSON.stringify(answer.body), { status: answer.status });
  }) as typeof fetch;
  const cio: CommandIo = { env: { BALLAST_API_URL: 'http://engine:8080', BALLAST_API_TOKEN: 'tok' }, fetch: fetchImpl, readText: () => undefined, home: '/nonexistent', out: (t) => out.push(t), err: () => {}, progress: () => {}, sleep: async () => {} };
  return { io: cio, out, seen };
}

function docFile(text: string, name = 'doc.json'): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ballast-replay-')), name);
  writeFileSync(file, text);
  return file;
}

test('--since takes s, m, h, d (minutes by default), at least a minute', () => {
  assert.deepEqual(['90m', '2h', '1d', '90s', '45'].map(sinceMinutes), [90, 120, 1440, 1.5, 45]);
  for (const bad of ['30s', '0', 'soon', '5w', '-5m']) assert.throws(() => sinceMinutes(bad), /--since must be a duration/);
});

test('policy replay posts the document and the window, prints the counts and the first jobs', async () => {
  const f = io({ status: 200, body: ANSWER });
  const file = docFile('{"policies": {"memory-balloon": {"automation": "auto"}}}');
  assert.equal(await runApiCommand(policyReplayCommand, ['-f', file, '--since', '2h', '--host', 'h0', '--limit', '5'], f.io), EXIT.ok);
  assert.equal(f.seen[0]?.url, '/v1/policies/replay');
  assert.equal(f.seen[0]?.auth, 'Bearer tok');
  assert.deepEqual(f.seen[0]?.body, { document: { policies: { 'memory-balloon': { automation: 'auto' } } }, sinceMinutes: 120, hosts: ['h0'], limit: 5 });
  const text = f.out[0] ?? '';
  assert.match(text, /^replayed 2026-01-01T00:00:00.000Z → 2026-01-01T01:00:00.000Z: 1800 cycles of 2000 ms over 1800 reports \(1 hosts, 20 VMs\)$/m);
  assert.match(text, /jobs it would have made: 3 \(for 2 distinct targets\)/);
  assert.match(text, /^set-memory\s+2$/m);
  assert.match(text, /^hold\s+38$/m);
  assert.match(text, /memory: 2 set-memory jobs proposing \+300 MiB grown, -100 MiB released \(net \+200 MiB\)/);
  assert.match(text, /^2026-01-01T00:00:04.000Z\s+memory-balloon\s+h0\s+vm-0-1\s+set memory to 1324 MiB$/m);
});

test('a YAML document, --from/--to, and -o json prints the answer as is', async () => {
  const f = io({ status: 200, body: ANSWER });
  const file = docFile('policies:\n  ksm:\n    automation: recommend\n', 'doc.yaml');
  await runApiCommand(policyReplayCommand, ['-f', file, '--from', '2026-01-01T00:00:00Z', '--to', '1767229200000', '-o', 'json'], f.io);
  assert.deepEqual(f.seen[0]?.body, { document: { policies: { ksm: { automation: 'recommend' } } }, fromMs: ANSWER.fromMs, toMs: ANSWER.toMs });
  assert.deepEqual(JSON.parse(f.out[0] ?? ''), ANSWER);
});

test('usage errors name the flag; the engine refusing a document exits 4 with every issue', async () => {
  const f = io({ status: 200, body: ANSWER });
  await assert.rejects(runApiCommand(policyReplayCommand, [], f.io), (e) => e instanceof CliError && e.exitCode === EXIT.usage && /missing -f/.test(e.message));
  await assert.rejects(runApiCommand(policyReplayCommand, ['-f', '/nonexistent/doc.json'], f.io), (e) => e instanceof CliError && /-f \/nonexistent\/doc.json/.test(e.message));
  const file = docFile('{}');
  await assert.rejects(runApiCommand(policyReplayCommand, ['-f', file, '--since', '1h', '--from', '0'], f.io), /--since or --from/);
  await assert.rejects(runApiCommand(policyReplayCommand, ['-f', file, '--from', 'yesterday'], f.io), /--from must be a time/);
  assert.equal(f.seen.length, 0, 'nothing sent');
  const issues = ['document.policies.ksm.automation: expected one of off, recommend, auto', 'document.policies.nope: no such policy'];
  const refused = io({ status: 400, body: { error: { code: 'invalid_policy_document', message: issues.join('; '), field: 'document.policies.ksm.automation', issues } } });
  await assert.rejects(runApiCommand(policyReplayCommand, ['-f', file], refused.io), (e) => e instanceof ApiRefusal && e.exitCode === EXIT.refused && issues.every((i) => e.message.includes(i)));
});
