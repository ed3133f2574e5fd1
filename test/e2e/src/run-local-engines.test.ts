import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRunLocal, type RunLocal } from './run-local.js';
import { waitUntil } from './services.js';

// `ENGINES=2 make run` (infra/run/run-local.sh) on the lab: two policy-engine replicas on one Redis, the lab
// host's collector given both. One engine decides for the host; killed with SIGKILL, another takes the host
// once the lease has lapsed (6 s). Run with its own Redis, state dir and engine ports and no policies (nothing
// changes the guests).

const LAB = process.env.BALLAST_LAB === '1';
/** run-local's ops ports of the engines (9463, then 9470 + N). */
const PORTS = [9463, 9472];

describe('ENGINES=2 make run: two engine replicas, and a failover on the lab', { skip: LAB ? false : 'needs the lab: run via `make test` or `make e2e`' }, () => {
  let run: RunLocal | undefined;
  const out = () => run?.output() ?? '';
  const healthz = async (port: number) =>
    ((await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { details: { hostsOwned: number } }).details.hostsOwned;

  before(async () => {
    const policy = path.join(mkdtempSync(path.join(tmpdir(), 'ballast-run-engines-')), 'policy.json');
    writeFileSync(policy, JSON.stringify({ policies: {} }));
    run = await startRunLocal({ ENGINES: '2', BALLAST_POLICY_FILE: policy, BALLAST_HOST_ID: 'lab-host' });
  });

  after(async () => {
    const problems = run ? await run.stop([...PORTS, (run?.httpPort ?? 0) + 1]) : [];
    if (problems.length > 0) throw new Error(`${problems.join('\n')}\n--- run-local.sh (tail) ---\n${out().slice(-4000)}`);
  });

  test('one engine holds the lab host; SIGKILL it: a live engine holds it within 10 s', { timeout: 90000 }, async () => {
    const r = run as RunLocal;
    const ports = [r.httpPort, r.httpPort + 1];
    // the collector streams to the first engine that answers (normally engine 1)
    const holder = await waitUntil('one engine holding the lab host', 45000, async () => {
      if (r.exitCode() !== null) throw new Error(`run-local.sh exited (${r.exitCode()})`);
      const owned = await Promise.all(ports.map((p) => healthz(p)));
      return [...owned].sort().join() === '0,1' ? ports[owned.indexOf(1)] : undefined;
    }, 250).catch((e: Error) => assert.fail(`${e.message}\n--- run-local.sh (tail) ---\n${out().slice(-4000)}`));
    const other = ports.find((p) => p !== holder) as number;
    assert.match(out(), /run: 2 policy-engine replicas: HTTP on ports \d+-\d+, gRPC \d+-\d+; collectors stream to 127\.0\.0\.1:\d+,127\.0\.0\.1:\d+/);
    const serving = [...out().matchAll(/"pid":(\d+),"service":"policy-engine"[^\n]*"httpPort":(\d+)/g)].find((m) => Number(m[2]) === holder);
    assert.ok(serving, 'the holding engine\'s "serving" line names its pid');
    process.kill(Number(serving[1]), 'SIGKILL');
    const killed = Date.now();
    // another replica takes the host once the lease has lapsed: the other engine, or the killed one's successor
    // (its supervisor restarts it within seconds; it sees the host through the sample streams too)
    const ownerAfter = await waitUntil('a live engine holding the lab host', 20000, async () => {
      const owned = await Promise.all(ports.map((p) => healthz(p).catch(() => 0)));
      return owned.includes(1) ? ports[owned.indexOf(1)] : undefined;
    }, 200).catch((e: Error) => assert.fail(`${e.message}\n--- run-local.sh (tail) ---\n${out().slice(-4000)}`));
    const ms = Date.now() - killed;
    // what the engines and the collector said about the host (and the move), for the log
    console.log(out().split('\n').filter((l) => /decides for host|is down: streaming|gave up host|no longer decides|lost the lease|policy engine serving/.test(l)).map((l) => l.slice(0, 220)).join('\n'));
    console.log(`ENGINES=2: ${ownerAfter === other ? 'the other engine' : "the killed engine's successor"} held the lab host ${ms} ms after the holder was killed (lease TTL 6000 ms)`);
    assert.ok(ms < 10000, `failover took ${ms} ms`);
    // both engines up again (the supervisor restarted the killed one): one, and only one, holds the host
    await waitUntil('the killed engine back (restarted by its supervisor)', 20000, async () => ((await healthz(holder).catch(() => -1)) >= 0 ? true : undefined), 250);
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual((await Promise.all(ports.map((p) => healthz(p)))).sort(), [0, 1]);
  });
});
