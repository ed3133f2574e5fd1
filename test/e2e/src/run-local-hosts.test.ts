import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { host2DownIfOurs, host2Up, type Host2 } from './host2.js';
import { listening, startRunLocal, type RunLocal } from './run-local.js';
import { waitUntil } from './services.js';
import { LAB_URI } from './virsh.js';

// `make run HOSTS=2` (infra/run/run-local.sh): the lab plus host2, one policy engine, a collector and an actuator
// per host. Run here with its own Redis, state dir, engine ports and no policies (nothing changes the guests); the
// hosts' services use run-local's fixed ports. It is stopped as Ctrl-C would stop it (TERM) and must leave no
// service running; host2 goes down at the end unless it was up before.

const LAB = process.env.BALLAST_LAB === '1';
const SKIP = !LAB
  ? 'needs the lab: run via `make test` or `make e2e` (sets BALLAST_LAB=1)'
  : LAB_URI !== 'qemu:///system'
    ? `host2 pairs with qemu:///system; BALLAST_LAB_URI is ${LAB_URI}`
    : false;
const HOST1 = 'lab-host';
const HOST2 = 'lab-host2'; // run-local's default BALLAST_HOST2_ID
/** The ports run-local.sh gives the hosts' services with HOSTS=2. */
const HOST_PORTS = { [HOST1]: { collectorOps: 9464, actuatorOps: 9465, actuatorGrpc: 50061 }, [HOST2]: { collectorOps: 9466, actuatorOps: 9467, actuatorGrpc: 50062 } };
const ALL_HOST_PORTS = Object.values(HOST_PORTS).flatMap((p) => Object.values(p));

describe('make run HOSTS=2: collector and actuator for both lab hosts, one engine', { skip: SKIP }, () => {
  let h: Host2 | undefined;
  let run: RunLocal | undefined;
  const api = async (p: string) => (run as RunLocal).api(p);
  const out = () => run?.output() ?? '';

  before(async () => {
    h = await host2Up();
    const busy = (await Promise.all(ALL_HOST_PORTS.map(async (p) => ((await listening(p)) ? p : undefined)))).filter((p) => p !== undefined);
    assert.deepEqual(busy, [], `ports run-local.sh gives the hosts' services are taken (a \`make run\` running?): ${busy.join(', ')}`);
    const policy = path.join(mkdtempSync(path.join(tmpdir(), 'ballast-run2-policy-')), 'policy.json');
    writeFileSync(policy, JSON.stringify({ policies: {} }));
    run = await startRunLocal({ HOSTS: '2', BALLAST_POLICY_FILE: policy, BALLAST_HOST_ID: HOST1 });
  });

  after(async () => {
    const problems = run ? await run.stop(ALL_HOST_PORTS) : [];
    const down = await host2DownIfOurs(h);
    if (down) problems.push(down);
    if (problems.length > 0) throw new Error(`${problems.join('\n')}\n--- run-local.sh (tail) ---\n${out().slice(-4000)}`);
  });

  test(`GET /v1/hosts lists ${HOST1} and ${HOST2}; each host's collector and actuator answer on its own ports`, async () => {
    const t0 = Date.now();
    const hosts = await waitUntil(`GET /v1/hosts to list ${HOST1} and ${HOST2}`, 45000, async () => {
      if (run?.exitCode() !== null) throw new Error(`run-local.sh exited (${run?.exitCode()})`);
      const ids = ((await api('/v1/hosts')) as { hosts: { hostId: string }[] }).hosts.map((x) => x.hostId).sort();
      return ids.includes(HOST1) && ids.includes(HOST2) ? ids : undefined;
    }, 250).catch((e: Error) => assert.fail(`${e.message}\n--- run-local.sh (tail) ---\n${out().slice(-4000)}`));
    console.log(`run-local.sh HOSTS=2: engine lists ${hosts.join(', ')} ${Date.now() - t0} ms after the start`);
    assert.deepEqual(hosts, [HOST1, HOST2], 'no other host');
    const vms = ((await api('/v1/vms')) as { vms: { name: string; host: string }[] }).vms;
    assert.ok(vms.some((v) => v.host === HOST1 && /^lab-vm\d+$/.test(v.name)), `lab guests on ${HOST1}: ${JSON.stringify(vms)}`);
    for (const [host, ports] of Object.entries(HOST_PORTS)) {
      for (const [service, port] of [['collector', ports.collectorOps], ['actuator', ports.actuatorOps]] as const) {
        // an actuator serves its ops port once its worker runs, which can be after its host's first report
        await waitUntil(`${host}'s ${service} /healthz on ${port} to say ok`, 15000, async () =>
          ((await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { ok?: boolean }).ok === true ? true : undefined,
        ).catch((e: Error) => assert.fail(`${e.message}\n--- run-local.sh (tail) ---\n${out().slice(-4000)}`));
        assert.match(out(), new RegExp(`"service":"${service}","hostId":"${host}"`), `${service} for ${host} in run-local's output`);
      }
    }
    assert.match(out(), /\[collector lab-host2\] /, 'output lines are labelled with the host');
  });
});
