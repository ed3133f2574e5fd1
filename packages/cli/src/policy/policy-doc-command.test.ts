// policy get|apply|history against a fake engine (an injected fetch): requests made, output, exit codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { runApiCommand, type CommandIo } from '../api/api-command.js';
import { ApiRefusal } from '../api/api-client.js';
import { EXIT } from '../api/exit-codes.js';
import { CliError } from '../cli-error.js';
import { policyApplyCommand, policyGetCommand, policyHistoryCommand } from './policy-doc-command.js';

type Req = { method: string; path: string; query: URLSearchParams; body: unknown };

function fake(handler: (r: Req) => { status?: number; body: unknown }, files: Record<string, string> = {}) {
  const out: string[] = [];
  const seen: Req[] = [];
  const io: CommandIo = {
    env: { BALLAST_API_URL: 'http://engine:8080', BALLAST_API_TOKEN: 'tok' },
    fetch: (async (url: string | URL, init?: RequestInit) => {
      const u = new URL(String(url));
      const req = { method: init?.method ?? 'GET', path: u.pathname, query: u.searchParams, body: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined };
      seen.push(req);
      const r = handler(req);
      return new Response(JSON.stringify(r.body), { status: r.status ?? 200 });
    }) as typeof fetch,
    readText: (f) => files[f],
    home: '/nonexistent',
    out: (t) => out.push(t),
    err: () => undefined,
    progress: () => undefined,
    sleep: async () => undefined,
  };
  return { io, out, seen };
}

const CURRENT = {
  version: 3,
  updatedAt: new Date(Date.now() - 60_000).toISOString(),
  actor: 'tok-admin',
  source: 'api',
  document: { policies: { ksm: { automation: 'recommend' } } },
  policies: [{ name: 'ksm', automation: 'recommend', args: {} }],
};
const put = (body: unknown, version: number) => ({ body: { ...CURRENT, version, document: body } });

test('policy get: the version line, then the table; -o yaml: version and policies, ready to edit and apply', async () => {
  const f = fake(() => ({ body: CURRENT }));
  assert.equal(await runApiCommand(policyGetCommand, [], f.io), EXIT.ok);
  const [head, , , row] = (f.out[0] as string).split('\n');
  assert.match(head as string, /^version 3, 6\ds ago by tok-admin \(api\)$/);
  assert.match(row as string, /^ksm\s+recommend\s+-$/);
  await runApiCommand(policyGetCommand, ['-o', 'yaml'], f.io);
  assert.deepEqual(parseYaml(f.out[1] as string), { version: 3, policies: { ksm: { automation: 'recommend' } } });
});

test('policy apply -f file.yaml without --version: reads the current version and applies on top of it', async () => {
  const f = fake((r) => (r.method === 'GET' ? { body: CURRENT } : put(r.body, 4)), { 'p.yaml': 'policies:\n  ksm: {automation: auto}\n' });
  assert.equal(await runApiCommand(policyApplyCommand, ['-f', 'p.yaml', '--comment', 'enable ksm'], f.io), EXIT.ok);
  assert.deepEqual(f.seen.map((s) => `${s.method} ${s.path}`), ['GET /v1/policies', 'PUT /v1/policies']);
  assert.deepEqual(f.seen[1]?.body, { policies: { ksm: { automation: 'auto' } }, version: 3, comment: 'enable ksm' });
  assert.equal(f.out[0], 'applied: version 4 (was 3); in force from the next policy cycle');
});

test("policy apply: --version, else the file's version field; no GET then; they must agree", async () => {
  const f = fake((r) => put(r.body, 8), { 'p.json': '{"version": 7, "policies": {}}' });
  await runApiCommand(policyApplyCommand, ['-f', 'p.json'], f.io);
  assert.deepEqual(f.seen.map((s) => [s.method, (s.body as { version?: number } | undefined)?.version]), [['PUT', 7]]);
  await runApiCommand(policyApplyCommand, ['-f', 'p.json', '--version', '7'], f.io);
  await assert.rejects(runApiCommand(policyApplyCommand, ['-f', 'p.json', '--version', '6'], f.io), (e: unknown) => e instanceof CliError && e.exitCode === EXIT.usage && /--version 6 but p.json says version 7/.test(e.message));
});

test('policy apply: a 409 says it changed meanwhile (exit 4); a 400 prints every issue; a bad file is a usage error', async () => {
  const conflict = fake(() => ({ status: 409, body: { error: { code: 'version_conflict', message: 'stale', field: 'version', currentVersion: 5 } } }), { 'p.json': '{"policies": {}}' });
  await assert.rejects(
    runApiCommand(policyApplyCommand, ['-f', 'p.json', '--version', '4'], conflict.io),
    (e: unknown) => e instanceof ApiRefusal && e.exitCode === EXIT.refused && /changed meanwhile: it is at version 5, this was applied on top of 4/.test(e.message),
  );
  const issues = [{ field: 'policies.ksm.automation', message: 'must be one of auto, recommend, off' }, { field: 'policies.nope', message: 'no such policy' }];
  const invalid = fake(() => ({ status: 400, body: { error: { code: 'invalid_policy_document', message: 'x', field: 'policies.ksm.automation', issues } } }), { 'p.json': '{"policies": {}}' });
  await assert.rejects(
    runApiCommand(policyApplyCommand, ['-f', 'p.json', '--version', '1'], invalid.io),
    (e: unknown) => e instanceof ApiRefusal && e.exitCode === EXIT.refused && e.message.endsWith('  policies.ksm.automation: must be one of auto, recommend, off\n  policies.nope: no such policy'),
  );
  const none = fake(() => ({ body: CURRENT }), { 'bad.yaml': 'policies: [x' });
  await assert.rejects(runApiCommand(policyApplyCommand, ['-f', 'missing.json'], none.io), (e: unknown) => e instanceof CliError && e.exitCode === EXIT.usage && /cannot read/.test(e.message));
  await assert.rejects(runApiCommand(policyApplyCommand, ['-f', 'bad.yaml'], none.io), (e: unknown) => e instanceof CliError && e.exitCode === EXIT.usage && /not valid JSON or YAML/.test(e.message));
  await assert.rejects(runApiCommand(policyApplyCommand, [], none.io), (e: unknown) => e instanceof CliError && e.exitCode === EXIT.usage && /missing -f/.test(e.message));
  assert.equal(none.seen.length, 0, 'nothing sent');
});

test('policy history: newest first, with the limit sent', async () => {
  const v = (version: number, actor: string, source: string, comment?: string) => ({ ...CURRENT, version, actor, source, ...(comment ? { comment } : {}) });
  const f = fake(() => ({ body: { versions: [v(2, 'tok-admin', 'api', 'tune'), v(1, 'file:/etc/ballast/policy.json', 'file')] } }));
  assert.equal(await runApiCommand(policyHistoryCommand, ['--limit', '2'], f.io), EXIT.ok);
  assert.equal(f.seen[0]?.query.get('limit'), '2');
  const lines = (f.out[0] as string).split('\n');
  assert.match(lines[0] as string, /^VERSION\s+AGE\s+ACTOR\s+SOURCE\s+POLICIES\s+COMMENT$/);
  assert.match(lines[1] as string, /^2\s+\d+s\s+tok-admin\s+api\s+ksm\s+tune$/);
  assert.match(lines[2] as string, /^1\s+\d+s\s+file:\/etc\/ballast\/policy\.json\s+file\s+ksm\s+-$/);
});
