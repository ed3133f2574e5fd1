// The real services on simulated hosts: one simulator server (packages/sim/dist/server/main.js) with 3 hosts,
// a collector and an actuator process per host opening LIBVIRT_URI=sim://127.0.0.1:<port>/<host>, the policy
// engine, and a real Redis. The engine's API must show every host and VM, and a manual migrate job must move a
// simulated VM to another host through queue, actuator and simulator.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startRedis, type RedisHandle } from '@ballast/testkit';
import { openHypervisor } from '@ballast/hypervisor';
import { startService, waitUntil, type ServiceProc } from './services.js';
import { startSimServer, type SimServerProc } from './sim-server-proc.js';

const HOSTS = ['h0', 'h1', 'h2'];
const VMS_PER_HOST = 3;
const TOKEN = 'sim-stack-token-0123456789';

interface ApiVm {
  name: string;
  uuid: string;
  host: string;
}

describe('collectors, actuators and the engine on a simulator server of 3 hosts', () => {
  let redis: RedisHandle;
  let sim: SimServerProc;
  let httpPort: number;
  const procs: ServiceProc[] = [];
  const api = (p: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${httpPort}${p}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
  const vms = async () => ((await (await api('/v1/vms')).json()) as { vms: ApiVm[] }).vms;
  const logs = () => procs.map((p) => `--- ${p.name} ---\n${p.output().slice(-3000)}`).join('\n');

  before(async () => {
    // a fast simulated migration (1 GiB/s) keeps the test short
    [redis, sim] = await Promise.all([startRedis(), startSimServer(['--hosts', '3', '--vms-per-host', String(VMS_PER_HOST), '--migration-rate-mibs', '1024'])]);
    httpPort = await freePort();
    const grpcPort = await freePort();
    const common = { REDIS_URL: redis.url, BALLAST_LOG_LEVEL: 'warn', BALLAST_OPS_PORT: '0' };
    procs.push(startService('policy-engine', { ...common, BALLAST_API_TOKEN: TOKEN, BALLAST_HTTP_PORT: String(httpPort), BALLAST_GRPC_PORT: String(grpcPort), BALLAST_CYCLE_MS: '1000' }));
    for (const host of HOSTS) {
      const uri = `${sim.uriPrefix}${host}`;
      const env = { ...common, BALLAST_HOST_ID: host, LIBVIRT_URI: uri };
      // no BALLAST_MIGRATION_URI: a collector on a sim:// URI reports that URI as its migration URI
      procs.push(startService('collector', { ...env, BALLAST_ENGINE_ADDRESS: `127.0.0.1:${grpcPort}`, BALLAST_INTERVAL_MS: '500' }));
      procs.push(startService('actuator', { ...env, BALLAST_GRPC_PORT: '0', BALLAST_LOCK_DURATION_MS: '5000', BALLAST_STALLED_INTERVAL_MS: '2000' }));
    }
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await Promise.all([sim?.stop(), redis?.stop()]);
  });

  test('the engine lists the 3 simulated hosts and their VMs', async () => {
    assert.deepEqual(sim.hosts, HOSTS);
    const hosts = await waitUntil('3 hosts with their VMs in GET /v1/hosts', 30000, async () => {
      const { hosts: hs } = (await (await api('/v1/hosts')).json()) as { hosts: { hostId: string; vmCount: number; stale: boolean }[] };
      return hs.length === 3 && hs.every((h) => h.vmCount === VMS_PER_HOST) ? hs : undefined;
    }).catch((e: Error) => assert.fail(`${e.message}\n${logs()}`));
    assert.deepEqual(hosts.map((h) => [h.hostId, h.vmCount, h.stale]).sort(), HOSTS.map((h) => [h, VMS_PER_HOST, false]));
    const all = await vms();
    assert.deepEqual(
      all.map((v) => `${v.host}/${v.name}`).sort(),
      HOSTS.flatMap((h, i) => Array.from({ length: VMS_PER_HOST }, (_, j) => `${h}/vm-${i}-${j}`)),
    );
  });

  test('a manual migrate job moves a simulated VM from h0 to h2, and the API then shows it there', async () => {
    const r = await api('/v1/jobs', { method: 'POST', body: JSON.stringify({ type: 'migrate', vm: 'vm-0-1', targetHost: 'h2' }) });
    const body = (await r.json()) as { id: string };
    assert.equal(r.status, 202, JSON.stringify(body));
    const job = await waitUntil(`job ${body.id} to finish`, 30000, async () => {
      const j = (await (await api(`/v1/jobs/${body.id}`)).json()) as { state: string; params: { destUri: string }; error?: string; result?: { message: string } };
      return j.state === 'succeeded' || j.state === 'failed' ? j : undefined;
    }).catch((e: Error) => assert.fail(`${e.message}\n${logs()}`));
    assert.equal(job.state, 'succeeded', `${JSON.stringify(job)}\n${logs()}`);
    assert.match(job.result?.message ?? '', /^migrated to h2 in \d+\.\d s$/);
    // the destination is what h2's collector reported as its migration URI: its own sim:// URI
    assert.equal(job.params.destUri, `${sim.uriPrefix}h2`);
    const moved = await waitUntil('vm-0-1 on h2 in GET /v1/vms', 15000, async () => {
      const all = await vms();
      const where = all.filter((v) => v.name === 'vm-0-1').map((v) => v.host);
      return where.length === 1 && where[0] === 'h2' ? all : undefined;
    });
    assert.deepEqual(moved.filter((v) => v.host === 'h2').map((v) => v.name).sort(), ['vm-0-1', 'vm-2-0', 'vm-2-1', 'vm-2-2']);
    assert.deepEqual(moved.filter((v) => v.host === 'h0').map((v) => v.name).sort(), ['vm-0-0', 'vm-0-2']);
    // and the simulator agrees
    const h2 = await openHypervisor(`${sim.uriPrefix}h2`, { readOnly: true });
    try {
      assert.ok((await h2.listVms()).some((v) => v.name === 'vm-0-1' && v.state === 'running'));
    } finally {
      await h2.close();
    }
  });
});
