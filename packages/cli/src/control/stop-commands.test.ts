// The stop-switch commands against a fake engine (an injected fetch): the requests, the output, the exit codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runApiCommand, type CommandIo } from '../api/api-command.js';
import { ApiRefusal } from '../api/api-client.js';
import { EXIT } from '../api/exit-codes.js';
import { CliError } from '../cli-error.js';
import { optInCommand, optOutCommand, optOutsCommand, pauseCommand, resumeCommand } from './stop-commands.js';

interface Req {
  method: string;
  path: string;
  body: unknown;
  auth: string | null;
}

/** An engine that records each request and answers `reply(req)`. */
function engine(reply: (r: Req) => { status?: number; body: unknown }) {
  const seen: Req[] = [];
  const out: string[] = [];
  const io: CommandIo = {
    env: { BALLAST_API_URL: 'http://engine:8080', BALLAST_API_TOKEN: 'tok' },
    readText: () => undefined,
    home: '/nonexistent',
    out: (t) => out.push(t),
    err: () => undefined,
    progress: () => undefined,
    sleep: async () => undefined,
    fetch: (async (url: string | URL, init?: RequestInit) => {
      const req = { method: init?.method ?? 'GET', path: new URL(String(url)).pathname, body: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined, auth: new Headers(init?.headers).get('authorization') };
      seen.push(req);
      const r = reply(req);
      return new Response(JSON.stringify(r.body), { status: r.status ?? 200 });
    }) as typeof fetch,
  };
  return { io, seen, out };
}

const SINCE = '2026-11-30T01:00:00.000Z';

test('pause --reason posts the reason with the token and prints who paused since when', async () => {
  const e = engine(() => ({ body: { paused: true, reason: 'kernel upgrade', since: SINCE, actor: 'tok-admin' } }));
  assert.equal(await runApiCommand(pauseCommand, ['--reason', 'kernel upgrade'], e.io), EXIT.ok);
  assert.deepEqual(e.seen, [{ method: 'POST', path: '/v1/pause', body: { reason: 'kernel upgrade' }, auth: 'Bearer tok' }]);
  assert.match(e.out[0] as string, /^paused: +yes$/m);
  assert.match(e.out[0] as string, /^by: +tok-admin$/m);
});

test('pause without a reason (or a blank one) is a usage error, and nothing is sent', async () => {
  for (const argv of [[], ['--reason', '  ']]) {
    const e = engine(() => ({ body: {} }));
    await assert.rejects(runApiCommand(pauseCommand, argv, e.io), (err: unknown) => err instanceof CliError && err.exitCode === EXIT.usage && /--reason/.test(err.message));
    assert.equal(e.seen.length, 0);
  }
});

test('a token without the admin role: the 403 is exit 4 with the engine\'s message', async () => {
  const e = engine(() => ({ status: 403, body: { error: { code: 'forbidden', message: 'Authorization: this call needs the admin role; the token (t1) has viewer' } } }));
  await assert.rejects(runApiCommand(pauseCommand, ['--reason', 'x'], e.io), (err: unknown) => err instanceof ApiRefusal && err.exitCode === EXIT.refused && /needs the admin role/.test(err.message));
});

test('resume sends DELETE /v1/pause and says what it lifted (or that nothing was paused)', async () => {
  const e = engine(() => ({ body: { paused: false, reason: null, since: null, actor: null, lifted: { reason: 'freeze', since: SINCE, actor: 'tok-admin' } } }));
  assert.equal(await runApiCommand(resumeCommand, [], e.io), EXIT.ok);
  assert.deepEqual([e.seen[0]?.method, e.seen[0]?.path, e.seen[0]?.auth], ['DELETE', '/v1/pause', 'Bearer tok']);
  assert.match(e.out[0] as string, /lifted: +freeze \(by tok-admin since 2026-11-30T01:00:00\.000Z\)/);
  const none = engine(() => ({ body: { paused: false, reason: null, since: null, actor: null, lifted: null } }));
  await runApiCommand(resumeCommand, ['-o', 'json'], none.io);
  assert.equal(JSON.parse(none.out[0] as string).lifted, null);
});

test('opt-out <vm> --reason posts to the VM (name escaped); opt-in deletes it; a missing VM argument is a usage error', async () => {
  const e = engine((r) =>
    r.method === 'POST'
      ? { body: { vm: 'db 1', vmUuid: 'u1', source: 'api', reason: 'licensing', since: SINCE, actor: 'tok-op', reported: true } }
      : { body: { vm: 'db 1', vmUuid: 'u1', optedOut: null, lifted: {} } },
  );
  assert.equal(await runApiCommand(optOutCommand, ['db 1', '--reason', 'licensing'], e.io), EXIT.ok);
  assert.equal(await runApiCommand(optInCommand, ['db 1'], e.io), EXIT.ok);
  assert.deepEqual(e.seen.map((s) => [s.method, s.path, s.body]), [['POST', '/v1/vms/db%201/opt-out', { reason: 'licensing' }], ['DELETE', '/v1/vms/db%201/opt-out', undefined]]);
  assert.match(e.out[0] as string, /^reason: +licensing$/m);
  assert.match(e.out[1] as string, /^opted out: +no$/m);
  await assert.rejects(runApiCommand(optOutCommand, ['--reason', 'x'], e.io), (err: unknown) => err instanceof CliError && err.exitCode === EXIT.usage && /missing <vm>/.test(err.message));
  await assert.rejects(runApiCommand(optOutCommand, ['db'], e.io), (err: unknown) => err instanceof CliError && /--reason/.test(err.message));
});

test('opt-in of a VM with only a label opt-out: the 404 names the label (exit 4)', async () => {
  const e = engine(() => ({ status: 404, body: { error: { code: 'opt_out_not_found', message: 'name: VM "b" has no API opt-out (it carries the label ballast.dev/opt-out=true: remove the label to opt it in)', field: 'name' } } }));
  await assert.rejects(runApiCommand(optInCommand, ['b'], e.io), (err: unknown) => err instanceof ApiRefusal && err.exitCode === EXIT.refused && /remove the label/.test(err.message));
});

test('opt-outs lists API and label opt-outs as a table', async () => {
  const e = engine(() => ({ body: { optOuts: [{ vm: 'db', vmUuid: 'u1', source: 'api', reason: 'licensing', since: SINCE, actor: 'tok-op' }, { vm: 'batch', vmUuid: 'u2', source: 'label', reason: '', since: null, actor: null }] } }));
  assert.equal(await runApiCommand(optOutsCommand, [], e.io), EXIT.ok);
  const [head, r1, r2] = (e.out[0] as string).split('\n');
  assert.match(head as string, /^VM\s+UUID\s+SOURCE\s+BY\s+SINCE\s+REASON/);
  assert.match(r1 as string, /^db\s+u1\s+api\s+tok-op\s+2026-11-30T01:00:00\.000Z\s+licensing/);
  assert.match(r2 as string, /^batch\s+u2\s+label\s+-/);
});
