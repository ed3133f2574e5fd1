// token create/list/revoke, audit, jobs list/cancel against a fake engine (an injected fetch).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runApiCommand, type CommandIo } from '../api/api-command.js';
import { ApiRefusal } from '../api/api-client.js';
import { EXIT } from '../api/exit-codes.js';
import { CliError } from '../cli-error.js';
import { jobsCancelCommand, jobsListCommand } from '../jobs/jobs-command.js';
import { auditCommand, tokenCreateCommand, tokenListCommand, tokenRevokeCommand } from './token-commands.js';

type Reply = { status?: number; body: unknown };

function fake(reply: (method: string, url: string, body: unknown) => Reply) {
  const out: string[] = [];
  const seen: { method: string; url: string; body: unknown; auth: string | null }[] = [];
  const io: CommandIo = {
    env: { BALLAST_API_URL: 'http://engine:8080', BALLAST_API_TOKEN: 'admintok' },
    fetch: (async (url: string | URL, init?: RequestInit) => {
      const u = new URL(String(url));
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
      const method = init?.method ?? 'GET';
      seen.push({ method, url: `${u.pathname}${u.search}`, body, auth: new Headers(init?.headers).get('authorization') });
      const r = reply(method, `${u.pathname}${u.search}`, body);
      return new Response(JSON.stringify(r.body), { status: r.status ?? 200 });
    }) as typeof fetch,
    readText: () => undefined,
    home: '/nonexistent',
    out: (t) => out.push(t),
    err: () => undefined,
    progress: () => undefined,
    sleep: async () => undefined,
  };
  return { io, out, seen };
}

const TOKEN = { id: '0123456789abcdef', role: 'operator', name: 'ci', createdAt: new Date().toISOString(), createdBy: 'bootstrap' };

test('token create: POSTs role and name with the admin token, prints the token once with a warning', async () => {
  const f = fake(() => ({ status: 201, body: { ...TOKEN, token: 'blt_0123456789abcdef_secret' } }));
  assert.equal(await runApiCommand(tokenCreateCommand, ['--role', 'operator', '--name', 'ci'], f.io), EXIT.ok);
  assert.deepEqual(f.seen[0], { method: 'POST', url: '/v1/tokens', body: { role: 'operator', name: 'ci' }, auth: 'Bearer admintok' });
  assert.match(f.out[0] as string, /^token:\s+blt_0123456789abcdef_secret$/m);
  assert.match(f.out[0] as string, /shown only now/);
});

test('token create: a bad --role or no --name is a usage error before any call', async () => {
  const f = fake(() => ({ body: {} }));
  await assert.rejects(runApiCommand(tokenCreateCommand, ['--role', 'root', '--name', 'x'], f.io), (e: unknown) => e instanceof CliError && /--role must be one of viewer, operator, admin/.test(e.message));
  await assert.rejects(runApiCommand(tokenCreateCommand, ['--role', 'viewer'], f.io), (e: unknown) => e instanceof CliError && /missing --name/.test(e.message));
  assert.equal(f.seen.length, 0);
});

test('token create with a lesser token: the 403 is a refusal (exit 4) with the engine\'s message', async () => {
  const f = fake(() => ({ status: 403, body: { error: { code: 'forbidden', message: 'Authorization: this call needs the admin role; the token (x) has operator' } } }));
  await assert.rejects(runApiCommand(tokenCreateCommand, ['--role', 'viewer', '--name', 'x'], f.io), (e: unknown) => e instanceof ApiRefusal && e.exitCode === EXIT.refused && /needs the admin role/.test(e.message));
});

test('token list prints no token; token revoke DELETEs the id', async () => {
  const l = fake(() => ({ body: { tokens: [TOKEN] } }));
  await runApiCommand(tokenListCommand, [], l.io);
  assert.match(l.out[0] as string, /^ID\s+ROLE\s+NAME\s+CREATED BY\s+AGE\n0123456789abcdef\s+operator\s+ci\s+bootstrap\s+\d+s$/);
  const r = fake(() => ({ body: { revoked: TOKEN.id } }));
  await runApiCommand(tokenRevokeCommand, [TOKEN.id], r.io);
  assert.deepEqual([r.seen[0]?.method, r.seen[0]?.url, r.out[0]], ['DELETE', `/v1/tokens/${TOKEN.id}`, `revoked ${TOKEN.id}`]);
});

test('audit passes its filters as the query and prints one row per entry', async () => {
  const f = fake(() => ({ body: { entries: [{ id: '1-0', at: new Date().toISOString(), actor: TOKEN.id, role: 'operator', action: 'submitJob', status: '202', detail: { vm: 'web' } }] } }));
  await runApiCommand(auditCommand, ['--actor', TOKEN.id, '--limit', '5'], f.io);
  assert.equal(f.seen[0]?.url, `/v1/audit?actor=${TOKEN.id}&limit=5`);
  assert.match(f.out[0] as string, /submitJob\s+-\s+202\s+\{"vm":"web"\}/);
});

test('jobs list passes filters; jobs cancel DELETEs the job', async () => {
  const job = { id: 'j1', state: 'queued', type: 'set-memory', vm: 'web', host: 'h1', source: 'manual', params: {}, createdAt: new Date().toISOString(), attempts: 0 };
  const l = fake(() => ({ body: { jobs: [job] } }));
  await runApiCommand(jobsListCommand, ['--state', 'queued', '--vm', 'web'], l.io);
  assert.equal(l.seen[0]?.url, '/v1/jobs?vm=web&state=queued');
  assert.match(l.out[0] as string, /^j1\s+queued\s+set-memory\s+web\s+h1\s+manual\s+\d+s/m);
  const c = fake(() => ({ body: { ...job, state: 'cancelled' } }));
  assert.equal(await runApiCommand(jobsCancelCommand, ['j1'], c.io), EXIT.ok);
  assert.deepEqual([c.seen[0]?.method, c.seen[0]?.url, c.out[0]], ['DELETE', '/v1/jobs/j1', 'cancelled j1']);
});
