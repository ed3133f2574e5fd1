// The operator commands against a fake engine (an injected fetch): requests made, output, exit codes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runApiCommand, type CommandIo } from './api/api-command.js';
import { ApiRefusal } from './api/api-client.js';
import { EXIT } from './api/exit-codes.js';
import { CliError } from './cli-error.js';
import { placementCommand } from './cluster/placement-command.js';
import { approveCommand } from './cluster/recommendations-command.js';
import { enginesCommand, hostsCommand, maintenanceCommand, vmsCommand } from './inventory/hosts-command.js';
import { statusCommand } from './inventory/status-command.js';
import { jobsGetCommand, jobsSubmitCommand } from './jobs/jobs-command.js';

type Handler = (req: { method: string; path: string; query: URLSearchParams; body: unknown; auth: string | null }) => { status?: number; body: unknown };

interface Seen {
  method: string;
  url: string;
  body: unknown;
  auth: string | null;
}

function fakeIo(handler: Handler, env: NodeJS.ProcessEnv = { BALLAST_API_URL: 'http://engine:8080', BALLAST_API_TOKEN: 'tok' }) {
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  const seen: Seen[] = [];
  const fetchImpl = (async (url: string | URL, init?: RequestInit) => {
    const u = new URL(String(url));
    const headers = new Headers(init?.headers);
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    seen.push({ method: init?.method ?? 'GET', url: `${u.pathname}${u.search}`, body, auth: headers.get('authorization') });
    const r = handler({ method: init?.method ?? 'GET', path: u.pathname, query: u.searchParams, body, auth: headers.get('authorization') });
    return new Response(typeof r.body === 'string' ? r.body : JSON.stringify(r.body), { status: r.status ?? 200 });
  }) as typeof fetch;
  const io: CommandIo = {
    env,
    fetch: fetchImpl,
    readText: () => undefined,
    home: '/nonexistent',
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    progress: (line) => progress.push(line),
    sleep: async () => undefined,
  };
  return { io, out, err, progress, seen };
}

const usageError = (re: RegExp) => (e: unknown) => e instanceof CliError && e.exitCode === EXIT.usage && re.test(e.message);

const HOST = { hostId: 'h0', hostname: 'h0', pcpuCount: 4, memoryTotalMiB: 8192, memoryFreeMiB: 4096, vmCount: 1, pcpus: [{ pcpu: 0, usagePercent: 10 }, { pcpu: 1, usagePercent: 30 }], lastSampleAt: new Date().toISOString(), stale: false, labels: { rack: 'a' }, maintenance: false };
const VM = { name: 'vm-0-1', uuid: 'u1', host: 'h0', state: 'running', cpuPercent: 12.34, vcpus: [{ id: 0 }, { id: 1 }], balloon: { actualMiB: 1024, maximumMiB: 2048, unusedMiB: 300 }, holds: [] };

describe('reads', () => {
  test('hosts: a table; -o json: the API answer as is', async () => {
    const f = fakeIo(() => ({ body: { hosts: [HOST] } }));
    assert.equal(await runApiCommand(hostsCommand, [], f.io), EXIT.ok);
    const [head, row] = (f.out[0] as string).split('\n');
    assert.match(head as string, /^HOST\s+VMS\s+PCPUS\s+CPU%\s+MEM FREE MiB/);
    assert.match(row as string, /^h0\s+1\s+4\s+20\s+4096\s+8192\s+no\s+no\s+rack=a\s+\d+s$/);
    const j = fakeIo(() => ({ body: { hosts: [HOST] } }));
    await runApiCommand(hostsCommand, ['-o', 'json'], j.io);
    assert.deepEqual(JSON.parse(j.out[0] as string), { hosts: [HOST] });
    assert.equal(j.seen[0]?.auth, 'Bearer tok', 'reads send the token too');
  });

  test('engines: each replica with its hosts, the one asked starred, and the hosts nobody decides for', async () => {
    const beat = new Date().toISOString();
    const body = {
      engines: [
        { id: 'e1', url: 'http://127.0.0.1:8080', lastBeat: beat, hostsOwned: 2, hosts: ['h0', 'h1'], cycleOffsetMs: 0, self: true },
        { id: 'e2', url: 'http://127.0.0.1:8081', lastBeat: beat, hostsOwned: 1, hosts: ['h3'], cycleOffsetMs: 1000, self: false },
      ],
      undecided: ['h2'],
    };
    const f = fakeIo(() => ({ body }));
    assert.equal(await runApiCommand(enginesCommand, [], f.io), EXIT.ok);
    assert.equal(f.seen[0]?.url, '/v1/engines');
    const lines = (f.out[0] as string).split('\n');
    assert.match(lines[0] as string, /^ENGINE\s+URL\s+HOSTS\s+HOST IDS\s+CYCLE AT\s+LAST BEAT/);
    assert.match(lines[1] as string, /^e1 \*\s+http:\/\/127\.0\.0\.1:8080\s+2\s+h0,h1\s+\+0ms\s+\d+s$/);
    assert.match(lines[2] as string, /^e2\s+http:\/\/127\.0\.0\.1:8081\s+1\s+h3\s+\+1000ms\s+\d+s$/);
    assert.match(lines[3] as string, /^\(nobody\)\s+-?\s+1\s+h2/);
  });

  test('vms --host passes the host as a query', async () => {
    const f = fakeIo(() => ({ body: { vms: [VM], holdMs: 1 } }));
    await runApiCommand(vmsCommand, ['--host', 'h0'], f.io);
    assert.equal(f.seen[0]?.url, '/v1/vms?host=h0');
    assert.match(f.out[0] as string, /vm-0-1\s+h0\s+running\s+2\s+12\.3\s+1024\s+300\s+-/);
  });

  test('status sums up and exits 1 when the engine is unhealthy', async () => {
    const routes = (healthy: boolean): Handler => (r) =>
      r.path === '/healthz' ? { status: healthy ? 200 : 503, body: { ok: healthy, details: { redis: healthy ? 'ready' : 'reconnecting' } } }
      : r.path === '/v1/hosts' ? { body: { hosts: [HOST, { ...HOST, hostId: 'h1', stale: true }] } }
      : r.path === '/v1/vms' ? { body: { vms: [VM] } }
      : { body: { recommendations: [{ id: 'r1' }] } };
    const ok = fakeIo(routes(true));
    assert.equal(await runApiCommand(statusCommand, [], ok.io), EXIT.ok);
    assert.match(ok.out[0] as string, /engine:\s+http:\/\/engine:8080 healthy \(redis: ready\)/);
    assert.match(ok.out[0] as string, /stale hosts:\s+1 \(h1\)/);
    assert.match(ok.out[0] as string, /vms:\s+1 \(1 running\)/);
    assert.match(ok.out[0] as string, /pending recommendations:\s+1/);
    assert.ok(ok.seen.some((s) => s.url === '/v1/recommendations?state=pending'));
    const bad = fakeIo(routes(false));
    assert.equal(await runApiCommand(statusCommand, ['-o', 'json'], bad.io), EXIT.failed);
    assert.equal((JSON.parse(bad.out[0] as string) as { engine: { healthy: boolean } }).engine.healthy, false);
  });
});

describe('exit codes', () => {
  test('an engine that cannot be reached: exit 3 naming the URL', async () => {
    const f = fakeIo(() => ({ body: {} }));
    f.io.fetch = (async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    }) as typeof fetch;
    await assert.rejects(runApiCommand(hostsCommand, [], f.io), (e: unknown) => e instanceof CliError && e.exitCode === EXIT.unreachable && /http:\/\/engine:8080 \(ECONNREFUSED\)/.test(e.message));
  });

  test('a 4xx: exit 4 with the message and the field', async () => {
    const f = fakeIo(() => ({ status: 404, body: { error: { code: 'host_not_found', message: 'id: no host "hx" reports to this engine', field: 'id' } } }));
    await assert.rejects(runApiCommand(maintenanceCommand, ['hx', 'on'], f.io), (e: unknown) =>
      e instanceof ApiRefusal && e.exitCode === EXIT.refused && e.message === 'POST /v1/hosts/hx/maintenance: 404 host_not_found: id: no host "hx" reports to this engine [field: id]');
  });

  test('a 401 without a token says how to give one', async () => {
    const f = fakeIo(() => ({ status: 401, body: { error: { code: 'unauthorized', message: 'Authorization: missing "Bearer <token>" header' } } }), { BALLAST_API_URL: 'http://e:1' });
    await assert.rejects(runApiCommand(approveCommand, ['r1'], f.io), (e: unknown) => e instanceof ApiRefusal && /no API token: pass --token/.test(e.message));
    assert.equal(f.seen[0]?.auth, null);
  });

  test('a 5xx: exit 1', async () => {
    const f = fakeIo(() => ({ status: 500, body: { error: { code: 'internal', message: 'boom' } } }));
    await assert.rejects(runApiCommand(hostsCommand, [], f.io), (e: unknown) => e instanceof CliError && e.exitCode === EXIT.failed && /500 internal: boom/.test(e.message));
  });

  test('usage errors: exit 2 naming the flag or argument, before any request', async () => {
    const f = fakeIo(() => ({ body: {} }));
    await assert.rejects(runApiCommand(hostsCommand, ['--bogus'], f.io), usageError(/^hosts: .*--bogus/));
    await assert.rejects(runApiCommand(hostsCommand, ['extra'], f.io), usageError(/unexpected argument 'extra'/));
    await assert.rejects(runApiCommand(maintenanceCommand, ['h0'], f.io), usageError(/missing on\|off/));
    await assert.rejects(runApiCommand(maintenanceCommand, ['h0', 'maybe'], f.io), usageError(/on or off/));
    await assert.rejects(runApiCommand(placementCommand, ['--vcpus', '2'], f.io), usageError(/missing --memory-mib/));
    await assert.rejects(runApiCommand(placementCommand, ['--vcpus', 'x', '--memory-mib', '5'], f.io), usageError(/--vcpus must be an integer/));
    await assert.rejects(runApiCommand(placementCommand, ['--vcpus', '1', '--memory-mib', '5', '--label', 'nokey'], f.io), usageError(/--label must be key=value/));
    await assert.rejects(runApiCommand(hostsCommand, ['-o', 'xml'], f.io), usageError(/-o\/--output/));
    await assert.rejects(runApiCommand(jobsGetCommand, [], f.io), usageError(/missing <id>/));
    assert.equal(f.seen.length, 0);
  });

  test('--help prints the usage and exits 0', async () => {
    const f = fakeIo(() => ({ body: {} }));
    assert.equal(await runApiCommand(maintenanceCommand, ['--help'], f.io), EXIT.ok);
    assert.match(f.out[0] as string, /^usage: ballast maintenance <host> on\|off \[--reason <text>\]/);
  });
});

describe('changes', () => {
  test('maintenance on sends the token and the reason', async () => {
    const f = fakeIo((r) => ({ body: { hostId: 'h0', maintenance: true, since: '2026-01-01T00:00:00.000Z', reason: (r.body as { reason: string }).reason } }));
    assert.equal(await runApiCommand(maintenanceCommand, ['h0', 'on', '--reason', 'kernel update'], f.io), EXIT.ok);
    assert.deepEqual(f.seen[0], { method: 'POST', url: '/v1/hosts/h0/maintenance', body: { enabled: true, reason: 'kernel update' }, auth: 'Bearer tok' });
  });

  test('approve sends the note and shows the move and its job', async () => {
    const rec = { id: 'r1', state: 'approved', vm: 'vm-0-1', from: 'h0', to: 'h1', priority: 2, reason: 'imbalance', imbalanceBefore: 0.2, predictedAfter: 0.1, observedAfter: null, createdAt: null, note: 'ok by ops', jobId: 'j7', error: null };
    const f = fakeIo(() => ({ body: rec }));
    assert.equal(await runApiCommand(approveCommand, ['r1', '--note', 'ok by ops'], f.io), EXIT.ok);
    assert.deepEqual(f.seen[0], { method: 'POST', url: '/v1/recommendations/r1/approve', body: { note: 'ok by ops' }, auth: 'Bearer tok' });
    assert.match(f.out[0] as string, /^move:\s+vm-0-1: h0 → h1$/m);
    assert.match(f.out[0] as string, /^job:\s+j7$/m);
  });

  test('placement sends sizes and labels', async () => {
    const f = fakeIo(() => ({ body: { imbalance: 0.1, hosts: [{ hostId: 'h1', rank: 1, fits: true, reason: 'fits', imbalanceAfter: 0.05, cpuLoadAfter: 0.25, memoryLoadAfter: 0.5 }] } }));
    await runApiCommand(placementCommand, ['--vcpus', '2', '--memory-mib', '2048', '--label', 'rack=a', '--label', 'zone=1'], f.io);
    assert.deepEqual(f.seen[0]?.body, { vcpus: 2, memoryMiB: 2048, labels: { rack: 'a', zone: '1' } });
    assert.match(f.out[0] as string, /1\s+h1\s+yes\s+0\.050\s+25\s+50\s+fits/);
  });
});

describe('jobs submit', () => {
  const job = (state: string, extra: Record<string, unknown> = {}) => ({
    id: 'j1', state, type: 'migrate', vm: 'vm-0-1', vmUuid: 'u1', host: 'h0', source: 'manual', params: { targetHost: 'h1', destUri: 'sim://x/h1' }, createdAt: '2026-01-01T00:00:00.000Z', attempts: 1, ...extra,
  });
  const engine = (states: Record<string, unknown>[]): Handler => {
    let i = 0;
    return (r) => (r.method === 'POST' ? { status: 202, body: { id: 'j1', state: 'queued', holdUntil: 'x' } } : { body: states[Math.min(i++, states.length - 1)] });
  };

  test('builds the body from the registry flags', async () => {
    const f = fakeIo(engine([]));
    assert.equal(await runApiCommand(jobsSubmitCommand, ['set-memory', '--vm', 'vm-0-1', '--memory-mib', '400'], f.io), EXIT.ok);
    assert.deepEqual(f.seen[0]?.body, { type: 'set-memory', vm: 'vm-0-1', memoryMiB: 400 });
    assert.match(f.out[0] as string, /^id:\s+j1/);
  });

  test('--wait shows the migration progress and exits 0 on success', async () => {
    const f = fakeIo(engine([
      job('active'),
      job('active', { progress: { phase: 'migrating', memorySentMiB: 512, memoryTotalMiB: 1024, percent: 50, rateMiBs: 256 } }),
      job('succeeded', { result: { message: 'migrated to h1 in 4.0 s', alreadyThere: false }, finishedAt: '2026-01-01T00:00:04.000Z' }),
    ]));
    assert.equal(await runApiCommand(jobsSubmitCommand, ['migrate', '--vm', 'vm-0-1', '--target-host', 'h1', '--wait'], f.io), EXIT.ok);
    assert.deepEqual(f.progress, [
      'job j1: active, migrate vm-0-1 → h1',
      'job j1: active, migrate vm-0-1 → h1: 512/1024 MiB sent (50%) at 256 MiB/s',
      'job j1: succeeded, migrate vm-0-1 → h1',
    ]);
    assert.match(f.out[0] as string, /result:\s+migrated to h1 in 4\.0 s/);
  });

  test('--wait exits 1 when the job failed', async () => {
    const f = fakeIo(engine([job('failed', { error: 'migration aborted' })]));
    assert.equal(await runApiCommand(jobsSubmitCommand, ['migrate', '--vm', 'vm-0-1', '--target-host', 'h1', '--wait', '-o', 'json'], f.io), EXIT.failed);
    assert.equal((JSON.parse(f.out[0] as string) as { error: string }).error, 'migration aborted');
  });

  test('--wait gives up after --timeout with exit 1', async () => {
    const f = fakeIo(engine([job('active')]));
    await assert.rejects(runApiCommand(jobsSubmitCommand, ['migrate', '--vm', 'v', '--target-host', 'h1', '--wait', '--timeout', '0.001'], f.io), (e: unknown) =>
      e instanceof CliError && e.exitCode === EXIT.failed && /still active after 0\.001 s/.test(e.message));
  });

  test("a refusal of a request field names its flag", async () => {
    const f = fakeIo(() => ({ status: 404, body: { error: { code: 'host_not_found', message: 'targetHost: no host "hx" reports to this engine', field: 'targetHost' } } }));
    await assert.rejects(runApiCommand(jobsSubmitCommand, ['migrate', '--vm', 'v', '--target-host', 'hx'], f.io), (e: unknown) =>
      e instanceof ApiRefusal && e.exitCode === EXIT.refused && /\[field: targetHost\] \(--target-host\)$/.test(e.message));
  });

  test('usage errors name the flag', async () => {
    const f = fakeIo(engine([]));
    const cases: [string[], RegExp][] = [
      [['nope', '--vm', 'v'], /unknown job type 'nope'; one of /],
      [[], /missing <type>/],
      [['set-memory', '--memory-mib', '400'], /missing --vm/],
      [['set-memory', '--vm', 'v'], /missing --memory-mib/],
      [['set-memory', '--vm', 'v', '--memory-mib', 'lots'], /--memory-mib must be a number/],
      [['set-memory', '--vm', 'v', '--memory-mib', '0'], /--memory-mib: must be > 0/],
      [['set-memory', '--vm', 'v', '--memory-mib', '1', '--target-host', 'h'], /--target-host is not a flag of this type/],
      [['set-memory', '--vm', 'v', '--memory-mib', '1', '--timeout', '5'], /--timeout goes with --wait/],
      [['pin-vcpu', '--vm', 'v', '--vcpu', '0', '--pcpus', '1,x'], /--pcpus must be a list of numbers/],
      [['set-ksm', '--host', 'h0', '--run', 'sometimes'], /--run: /],
    ];
    for (const [argv, re] of cases) await assert.rejects(runApiCommand(jobsSubmitCommand, argv, f.io), usageError(re), argv.join(' '));
    assert.equal(f.seen.length, 0);
  });
});
